/** Segmentation through the public API: small read buffers, the 16-bit segment limit, errors, native vs JS. */
import { expect } from 'chai';
import fs from 'node:fs';
import { IoFd, errno, getBackend, lengthPrefixSegmentation, socketpair, sock } from '@osmo/io';
import { frame, jsIpaSegmentation, turns, until } from './helpers.js';

const ipaNative = lengthPrefixSegmentation({ headerLen: 3, lengthOffset: 0, lengthBytes: 2, lengthAdjust: 3 });

/** Deterministic pseudo-random bytes (no Math.random: failures must be reproducible). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s >>> 8;
  };
}

function payload(n: number, seed: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

interface Reader {
  io: IoFd;
  got: [number, Buffer][];
}

/** A read_write reader on fd that records every (res, msg) and closes itself on res <= 0. */
function reader(fd: number, seg: ((d: Buffer) => number) | undefined, size?: number, headroom = 0): Reader {
  const got: [number, Buffer][] = [];
  const io = IoFd.setup(fd, 'seg-r', 'read_write', {
    segmentationCb: seg,
    readCb: (i, res, msg) => {
      got.push([res, msg]);
      if (res <= 0) i.close();
    },
  });
  if (size !== undefined) io.setAllocInfo(size, headroom);
  io.register();
  return { io, got };
}

/** A writer IoFd on fd (it handles partial writes and backpressure for us). */
function writer(fd: number): { io: IoFd; written: () => number } {
  let n = 0;
  const io = IoFd.setup(fd, 'seg-w', 'read_write', { writeCb: (_i, res) => { if (res > 0) n += res; } });
  io.register();
  return { io, written: () => n };
}

describe(`segmentation (${getBackend()})`, () => {
  for (const [kind, seg] of [['native', ipaNative], ['JS', jsIpaSegmentation]] as const) {
    it(`${kind}: read buffers smaller than the messages (setAllocInfo(6, 0)) deliver exact messages`, async () => {
      const [a, b] = socketpair('stream');
      const r = reader(b, seg, 6, 0);
      const frames: Buffer[] = [];
      for (let i = 0; i < 60; i++) frames.push(frame(i & 0xff, payload(i % 23, i)));
      // dribble the stream in odd-sized pieces, so frames straddle reads in every possible way
      const all = Buffer.concat(frames);
      const rnd = prng(7);
      for (let off = 0; off < all.length;) {
        const n = Math.min(all.length - off, 1 + (rnd() % 11));
        expect(fs.writeSync(a, all.subarray(off, off + n))).to.equal(n);
        off += n;
        if (rnd() % 4 === 0) await turns(1);
      }
      await until(() => r.got.length === frames.length, 5000, 'all frames');
      expect(r.got.map(([, m]) => m.toString('hex'))).to.deep.equal(frames.map((f) => f.toString('hex')));
      for (const [res] of r.got) expect(res).to.be.greaterThan(0).and.at.most(6);
      await turns();
      expect(r.got.length).to.equal(frames.length);
      r.io.close(); sock.close(a);
    });
  }

  it('setAllocInfo(1, 0): one byte per read still yields whole messages, nothing lost', async () => {
    const [a, b] = socketpair('stream');
    const r = reader(b, ipaNative, 1, 0);
    const frames = [frame(1, Buffer.from('abc')), frame(2, Buffer.alloc(0)), frame(3, payload(40, 3))];
    fs.writeSync(a, Buffer.concat(frames));
    await until(() => r.got.length === 3, 5000, 'frames');
    expect(r.got.map(([res, m]) => [res, m.toString('hex')])).to.deep.equal(frames.map((f) => [1, f.toString('hex')]));
    r.io.close(); sock.close(a);
  });

  it('segments up to the 16-bit limit (65535 bytes) arrive whole across many reads', async () => {
    const [a, b] = socketpair('stream');
    const r = reader(b, ipaNative, 4096, 0);
    const w = writer(a);
    const big = (seed: number) => frame(seed, payload(65535 - 3, seed));
    const frames = [big(1), frame(9, Buffer.from('small')), big(2), big(3), frame(10, Buffer.alloc(1))];
    for (const f of frames) expect(w.io.write(f)).to.equal(0);
    await until(() => r.got.length === frames.length, 8000, 'frames');
    expect(r.got.map(([, m]) => m.length)).to.deep.equal(frames.map((f) => f.length));
    for (let i = 0; i < frames.length; i++) expect(r.got[i][1].equals(frames[i]), `frame ${i}`).to.equal(true);
    // res is the size of the read that completed the segment, never more than one buffer
    for (const [res] of r.got) expect(res).to.be.greaterThan(0).and.at.most(4096);
    r.io.close(); w.io.close();
  });

  it('with headroom the limit is 65535 - headroom: a segment of exactly that size still arrives', async () => {
    const [a, b] = socketpair('stream');
    const r = reader(b, ipaNative, 2048, 1000);
    const w = writer(a);
    const f = frame(5, payload(65535 - 1000 - 3, 5));
    w.io.write(f);
    w.io.write(frame(6, Buffer.from('x')));
    await until(() => r.got.length === 2, 8000, 'frames');
    expect(r.got[0][1].equals(f)).to.equal(true);
    expect(r.got[1][1].toString('hex')).to.equal(frame(6, Buffer.from('x')).toString('hex'));
    r.io.close(); w.io.close();
  });

  for (const [kind, seg] of [['native', ipaNative], ['JS', jsIpaSegmentation]] as const) {
    it(`${kind}: a segment too big for 16 bits gives readCb(-EPROTO) once`, async () => {
      const [a, b] = socketpair('stream');
      const got: [number, number][] = [];
      const io = IoFd.setup(b, 'too-big', 'read_write', {
        segmentationCb: seg,
        readCb: (i, res, msg) => {
          got.push([res, msg.length]);
          if (res < 0) i.close();
        },
      });
      io.setAllocInfo(4096, 0);
      io.register();
      const w = writer(a);
      // a 3-byte header announcing 65533 + 3 = 65536 bytes: one more than a segment can hold
      const h = Buffer.from([0xff, 0xfd, 0x00]);
      w.io.write(Buffer.concat([frame(1, Buffer.from('ok')), h, payload(70000, 1)]));
      await until(() => got.length >= 2, 8000, 'EPROTO');
      await turns();
      expect(got[0]).to.deep.equal([got[0][0], 5]);
      expect(got.length).to.equal(2);
      expect(got[1][0]).to.equal(-errno.EPROTO);
      expect(io.fd).to.equal(-1);
      w.io.close();
    });
  }

  it('headroom lowers the limit: a segment over 65535 - headroom gives -EPROTO', async () => {
    const [a, b] = socketpair('stream');
    const got: number[] = [];
    const io = IoFd.setup(b, 'too-big-h', 'read_write', {
      segmentationCb: ipaNative,
      readCb: (i, res) => { got.push(res); if (res < 0) i.close(); },
    });
    io.setAllocInfo(1024, 2000);
    io.register();
    const w = writer(a);
    w.io.write(frame(1, payload(65535 - 2000 - 3 + 1, 2))); // one byte over
    await until(() => got.length >= 1, 8000, 'EPROTO');
    await turns();
    expect(got).to.deep.equal([-errno.EPROTO]);
    w.io.close();
  });

  it('a JS segmentationCb error (-ENOBUFS) reaches readCb(-ENOBUFS, data)', async () => {
    const [a, b] = socketpair('stream');
    const got: [number, string][] = [];
    const seen: string[] = [];
    const io = IoFd.setup(b, 'seg-err', 'read_write', {
      segmentationCb: (d) => {
        seen.push(d.toString());
        if (d[0] === 0x21 /* ! */) return -errno.ENOBUFS;
        const nl = d.indexOf(0x0a);
        return nl < 0 ? -errno.EAGAIN : nl + 1;
      },
      readCb: (i, res, msg) => {
        got.push([res, msg.toString()]);
        if (res < 0) i.close();
      },
    });
    io.register();
    fs.writeSync(a, 'one\n');
    await until(() => got.length === 1);
    fs.writeSync(a, '!bad\nthree\n');
    await until(() => got.length === 2, 5000, 'error');
    await turns();
    expect(got[0]).to.deep.equal([4, 'one\n']);
    expect(got[1][0]).to.equal(-errno.ENOBUFS);
    expect(got[1][1].startsWith('!bad')).to.equal(true);
    expect(got.length).to.equal(2);
    expect(seen).to.include('!bad\nthree\n');
    sock.close(a);
  });

  it('the native lengthPrefixSegmentation and the equivalent JS function give identical results', async () => {
    // a 4-byte little-endian length including the header, with a 2-byte tag in front
    const spec = { headerLen: 6, lengthOffset: 2, lengthBytes: 4 as const, bigEndian: false, lengthAdjust: 0 };
    const nat = lengthPrefixSegmentation(spec);
    const js = (d: Buffer): number => (d.length < 6 ? -errno.EAGAIN : d.readUInt32LE(2));
    const rnd = prng(42);
    const frames: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const body = payload(rnd() % (i % 50 === 0 ? 3000 : 90), i);
      const h = Buffer.alloc(6);
      h.writeUInt16BE(i, 0);
      h.writeUInt32LE(body.length + 6, 2);
      frames.push(Buffer.concat([h, body]));
    }
    const stream = Buffer.concat(frames);
    const results: string[][] = [];
    for (const seg of [nat, js]) {
      const [a, b] = socketpair('stream');
      const r = reader(b, seg, 100, 0);
      const w = writer(a);
      const cut = prng(99); // the same chunking for both runs
      for (let off = 0; off < stream.length;) {
        const n = Math.min(stream.length - off, 1 + (cut() % 700));
        expect(w.io.write(stream.subarray(off, off + n))).to.equal(0);
        off += n;
      }
      await until(() => r.got.length === frames.length, 8000, 'frames');
      results.push(r.got.map(([, m]) => m.toString('hex')));
      r.io.close(); w.io.close();
    }
    expect(results[0]).to.deep.equal(frames.map((f) => f.toString('hex')));
    expect(results[1]).to.deep.equal(results[0]);
    // and called directly, the native descriptor's function agrees with the JS one
    for (let i = 0; i < 40; i++) {
      const part = stream.subarray(0, i * 7);
      expect(nat(part), `prefix ${i * 7}`).to.equal(js(part));
    }
  });

  it('maxLength: a longer message is -EMSGSIZE from the native segmentation', async () => {
    const [a, b] = socketpair('stream');
    const got: [number, number][] = [];
    const io = IoFd.setup(b, 'maxlen', 'read_write', {
      segmentationCb: lengthPrefixSegmentation({ headerLen: 3, lengthOffset: 0, lengthBytes: 2, lengthAdjust: 3, maxLength: 10 }),
      readCb: (i, res, msg) => { got.push([res, msg.length]); if (res < 0) i.close(); },
    });
    io.register();
    fs.writeSync(a, Buffer.concat([frame(1, Buffer.from('1234567')), frame(1, Buffer.from('12345678'))]));
    await until(() => got.length === 2, 5000, 'error');
    await turns();
    expect(got[0]).to.deep.equal([got[0][0], 10]);
    expect(got[1][0]).to.equal(-errno.EMSGSIZE);
    expect(got.length).to.equal(2);
    sock.close(a);
  });

  for (const [kind, seg] of [['native', ipaNative], ['JS', jsIpaSegmentation]] as const) {
    it(`${kind}: EOF with a partial segment pending gives readCb(0, empty) and drops the partial`, async () => {
      const [a, b] = socketpair('stream');
      const r = reader(b, seg, 8, 0);
      const f = frame(1, Buffer.from('complete'));
      fs.writeSync(a, Buffer.concat([f, frame(2, Buffer.from('never finished')).subarray(0, 9)]));
      await until(() => r.got.length === 1, 5000, 'first frame');
      sock.close(a);
      await until(() => r.got.length === 2, 5000, 'EOF');
      await turns();
      expect(r.got.map(([res, m]) => [res, m.toString('hex')])).to.deep.equal([
        [r.got[0][0], f.toString('hex')], [0, ''],
      ]);
      expect(r.got[1][1].length).to.equal(0);
      expect(r.io.fd).to.equal(-1);
    });
  }
});
