/** ipaSegmentation inside a real IoFd over socketpair('stream'): chunking, bundles, zero-length, oversize. */
import { expect } from 'chai';
import { writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as io from '@osmo/io';
import { ipaSegmentation, ipaSegmentationJs, ipaSegmentationIsNative } from '../src/segment.js';
import { encodeIpaFrame } from '../src/header.js';
import { loadFixtures, hex } from './fixtures.js';
import { ioMissing, turns, until, backendName } from './util.js';

const E = osConstants.errno;

interface Reader {
  frames: string[];
  results: number[];
  iofd: io.IoFd;
  wfd: number;
  close(): void;
}

function reader(make: typeof ipaSegmentation, maxLength?: number): Reader {
  const [a, b] = io.socketpair('stream');
  const r: Reader = {
    frames: [],
    results: [],
    iofd: undefined as unknown as io.IoFd,
    wfd: b,
    close: () => {
      r.iofd.close();
      io.sock.close(b);
    },
  };
  r.iofd = io.IoFd.setup(a, 'ipa-seg-test', 'read_write', {
    segmentationCb: make(maxLength !== undefined ? { maxLength } : {}),
    readCb: (_fd, res, msg) => {
      r.results.push(res);
      if (res > 0) r.frames.push(hex(msg));
    },
  });
  r.iofd.register();
  return r;
}

/** write all bytes, retrying on EAGAIN */
async function writeAll(fd: number, b: Buffer): Promise<void> {
  let off = 0;
  while (off < b.length) {
    try {
      off += writeSync(fd, b, off, b.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      await turns(1); // the reader drains the socket
    }
  }
}

for (const [variant, make] of [['native', ipaSegmentation], ['js', ipaSegmentationJs]] as const) {
describe(`${variant} IPA segmentation in a real IoFd over socketpair (backend ${backendName()})`, function () {
  before(function () {
    const why = ioMissing();
    if (why) throw new Error(why); // the core is part of this repo: not loading it is a failure
  });

  it(`is ${variant === 'native' ? '' : 'not '}the core's native length-prefix segmentation`, () => {
    expect(ipaSegmentationIsNative(make())).to.equal(variant === 'native');
  });

  const bundles = loadFixtures<{ frames: string[] }>('ipa-stream');

  it('many frames in one write -> one readCb per frame', async () => {
    for (const f of bundles) {
      const r = reader(make);
      try {
        await writeAll(r.wfd, Buffer.from(f.hex, 'hex'));
        await until(() => r.frames.length >= f.fields.frames.length, 3000, 'frames');
        await turns(); // nothing more follows
        expect(r.frames).to.deep.equal(f.fields.frames);
        expect(r.results.every((x) => x > 0)).to.equal(true);
      } finally {
        r.close();
      }
    }
  });

  it('the netif bundle split at every byte boundary gives the same frames', async () => {
    const f = bundles.find((x) => x.name === 'netif-segmentation-bundle')!;
    const b = Buffer.from(f.hex, 'hex');
    for (let cut = 0; cut <= b.length; cut++) {
      const r = reader(make);
      try {
        await writeAll(r.wfd, b.subarray(0, cut));
        await turns(); // let the first part be read on its own
        await writeAll(r.wfd, b.subarray(cut));
        await until(() => r.frames.length >= f.fields.frames.length, 3000, `frames (cut ${cut})`);
        expect(r.frames, `cut at ${cut}`).to.deep.equal(f.fields.frames);
      } finally {
        r.close();
      }
    }
  });

  it('one byte per write (chopped PING, TTCN TC_chopped_ipa_ping style)', async () => {
    const r = reader(make);
    try {
      for (const x of Buffer.from('0001fe000000ff0001fe01', 'hex')) {
        await writeAll(r.wfd, Buffer.of(x));
        await turns(2);
      }
      await until(() => r.frames.length >= 3, 3000, 'frames');
      expect(r.frames).to.deep.equal(['0001fe00', '0000ff', '0001fe01']);
    } finally {
      r.close();
    }
  });

  it('zero-length frames are delivered as 3-byte messages', async () => {
    const r = reader(make);
    try {
      await writeAll(r.wfd, Buffer.from('0000ff0000fe0000ee0001fe00', 'hex'));
      await until(() => r.frames.length >= 4, 3000, 'frames');
      expect(r.frames).to.deep.equal(['0000ff', '0000fe', '0000ee', '0001fe00']);
    } finally {
      r.close();
    }
  });

  it('a large frame (60000 bytes) arriving in pieces is delivered whole', async () => {
    const r = reader(make);
    try {
      const big = encodeIpaFrame(0xff, Buffer.alloc(60000, 0x5a));
      await writeAll(r.wfd, Buffer.concat([big, Buffer.from('0001fe00', 'hex')]));
      await until(() => r.frames.length >= 2, 5000, 'frames');
      expect(r.frames[0]).to.equal(hex(big));
      expect(r.frames[1]).to.equal('0001fe00');
    } finally {
      r.close();
    }
  });

  it('a peer announcing 65535 bytes and stalling: readCb(-EMSGSIZE) at once, nothing buffered towards 64 KiB', async () => {
    for (const max of [1200, undefined]) {
      const r = reader(make, max);
      try {
        await writeAll(r.wfd, Buffer.from('ffffff', 'hex'));
        await writeAll(r.wfd, Buffer.alloc(100, 1));
        await until(() => r.results.length >= 1, 3000, 'readCb');
        expect(r.results[0], `max ${max}`).to.equal(-E.EMSGSIZE);
        expect(r.frames).to.deep.equal([]);
      } finally {
        r.close();
      }
    }
  });

  it('within the max, a stalled frame is held (no readCb) until complete', async () => {
    const r = reader(make, 1200);
    try {
      await writeAll(r.wfd, Buffer.from('03e8ff', 'hex'));
      await writeAll(r.wfd, Buffer.alloc(500, 1));
      await turns();
      expect(r.results).to.deep.equal([]);
      await writeAll(r.wfd, Buffer.alloc(500, 1));
      await until(() => r.frames.length === 1, 3000, 'frame');
      expect(r.frames[0]!.length).to.equal(2 * 1003);
    } finally {
      r.close();
    }
  });
});
}
