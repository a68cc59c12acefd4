/** Bad arguments throw TypeError / RangeError with a code; I/O errors come back as negative errno results. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoFd, errno, getBackend, socketpair, sock, type SockAddr } from '@osmo/io';
import { until } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function throwsCode(fn: () => unknown, ctor: ErrorConstructor, code: string): void {
  expect(fn).to.throw(ctor).with.property('code', code);
}

describe(`argument checks and errno results (${getBackend()})`, () => {
  it('wrong mode for write / sendto / sendmsg / notifyConnected -> ERR_OSMO_IO_MODE', () => {
    const [a, b] = socketpair('dgram');
    const rw = IoFd.setup(a, 'rw', 'read_write', {});
    const rf = IoFd.setup(b, 'rf', 'recvfrom_sendto', {});
    const rm = IoFd.setup(-1, 'rm', 'recvmsg_sendmsg', {});
    const x = Buffer.from('x');
    throwsCode(() => rw.sendto(x, null), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => rw.sendmsg(x, {}), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => rf.write(x), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => rf.sendmsg(x, {}), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => rf.notifyConnected(), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => rm.write(x), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => rm.sendto(x, null), TypeError, 'ERR_OSMO_IO_MODE');
    expect(rw.txqueueLen + rf.txqueueLen + rm.txqueueLen).to.equal(0);
    rw.close(); rf.close(); rm.close();
  });

  it('callbacks of another mode, an invalid mode or non-function ops in setup / setIoOps', () => {
    const f = (): void => {};
    throwsCode(() => IoFd.setup(-1, 'x', 'read_write', { recvfromCb: f }), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => IoFd.setup(-1, 'x', 'read_write', { sendmsgCb: f }), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => IoFd.setup(-1, 'x', 'recvfrom_sendto', { readCb: f }), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => IoFd.setup(-1, 'x', 'recvfrom_sendto', { segmentationCb: () => 0 }), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => IoFd.setup(-1, 'x', 'recvmsg_sendmsg', { writeCb: f }), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => IoFd.setup(-1, 'x', 'recvmsg_sendmsg', { sendtoCb: f }), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => IoFd.setup(-1, 'x', 'bogus' as never, {}), TypeError, 'ERR_OSMO_IO_MODE');
    throwsCode(() => IoFd.setup(-1, 'x', 'read_write', { readCb: 42 as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => IoFd.setup(-1, 'x', 'read_write', 'ops' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => IoFd.setup(-1, 42 as never, 'read_write', {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    const io = IoFd.setup(-1, 'x', 'read_write', { readCb: f });
    throwsCode(() => io.setIoOps({ recvmsgCb: f }), TypeError, 'ERR_OSMO_IO_MODE');
    expect(io.getIoOps().readCb).to.equal(f); // unchanged after the rejected call
    io.close();
  });

  it('non-Buffer messages and controls -> ERR_INVALID_ARG_TYPE', () => {
    const [a, b] = socketpair('dgram');
    const rw = IoFd.setup(a, 'rw', 'read_write', {});
    const rm = IoFd.setup(b, 'rm', 'recvmsg_sendmsg', {});
    for (const bad of ['text', 42, null, undefined, new Uint8Array(3) as unknown, [1, 2]]) {
      throwsCode(() => rw.write(bad as Buffer), TypeError, 'ERR_INVALID_ARG_TYPE');
      throwsCode(() => rm.sendmsg(bad as Buffer, {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    }
    throwsCode(() => rm.sendmsg(Buffer.from('x'), { control: 'cmsg' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => rm.sendmsg(Buffer.from('x'), { flags: 1.5 }), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => rm.sendmsg(Buffer.from('x'), { flags: -1 }), RangeError, 'ERR_OUT_OF_RANGE');
    expect(rw.txqueueLen + rm.txqueueLen).to.equal(0);
    rw.close(); rm.close();
  });

  it('bad fd / size arguments -> ERR_OUT_OF_RANGE or ERR_INVALID_ARG_TYPE', () => {
    throwsCode(() => IoFd.setup(-2, 'x', 'read_write', {}), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => IoFd.setup(1.5, 'x', 'read_write', {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => IoFd.setup('3' as never, 'x', 'read_write', {}), TypeError, 'ERR_INVALID_ARG_TYPE');
    const io = IoFd.setup(-1, 'x', 'read_write', {});
    throwsCode(() => io.register(-5), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => io.register(NaN), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => io.setAllocInfo(0, 0), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => io.setAllocInfo(65536, 0), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => io.setAllocInfo(100, -1), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => io.setAllocInfo('1' as never, 0), TypeError, 'ERR_INVALID_ARG_TYPE');
    expect(() => io.setAllocInfo(65000, 1000)).to.throw(RangeError); // size + headroom > 65535
    expect(() => io.setAllocInfo(65000, 535)).to.not.throw();
    throwsCode(() => io.setIoBuffers('read', 1.5), TypeError, 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => io.setCmsgSize(Infinity), TypeError, 'ERR_INVALID_ARG_TYPE');
    io.close();
    throwsCode(() => sock.close(-1), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => sock.setsockopt(-1, 1, 1, 1), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => sock.inet({ proto: 'tcp', local: { address: 'localhost', port: 0 } }), TypeError, 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => sock.inet({ proto: 'tcp', local: { address: '127.0.0.1', port: 70000 } }), RangeError, 'ERR_OUT_OF_RANGE');
    throwsCode(() => sock.inet({ proto: 'icmp' as never }), TypeError, 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => socketpair('raw' as never), TypeError, 'ERR_INVALID_ARG_VALUE');
  });

  it('invalid destinations -> ERR_INVALID_ARG_VALUE', () => {
    const [a, b] = socketpair('dgram');
    const rf = IoFd.setup(a, 'rf', 'recvfrom_sendto', {});
    const rm = IoFd.setup(b, 'rm', 'recvmsg_sendmsg', {});
    const x = Buffer.from('x');
    const bad: unknown[] = [
      { address: 'not-an-ip', port: 1 }, { address: '127.0.0.1', port: 65536 }, { address: '127.0.0.1', port: -1 },
      { address: '127.0.0.1' }, { path: '' }, { path: 'p'.repeat(200) }, 'host:1', 42, {},
    ];
    for (const d of bad) {
      throwsCode(() => rf.sendto(x, d as SockAddr), TypeError, 'ERR_INVALID_ARG_VALUE');
      throwsCode(() => rm.sendmsg(x, { dest: d as SockAddr }), TypeError, 'ERR_INVALID_ARG_VALUE');
    }
    expect(rf.txqueueLen + rm.txqueueLen).to.equal(0);
    rf.close(); rm.close();
  });

  it('setIoBuffers(op, 0) returns 8, n > 8 -> -EINVAL; setSqes on poll -> -EINVAL', () => {
    const io = IoFd.setup(-1, 'x', 'read_write', {});
    expect(io.setIoBuffers('read', 0)).to.equal(8);
    expect(io.setIoBuffers('write', 0)).to.equal(8);
    expect(io.setIoBuffers('read', 8)).to.equal(0);
    expect(io.setIoBuffers('write', 1)).to.equal(0);
    expect(io.setIoBuffers('read', 9)).to.equal(-errno.EINVAL);
    expect(io.setIoBuffers('read', -1)).to.equal(-errno.EINVAL);
    expect(io.setIoBuffers('bogus' as never, 1)).to.equal(-errno.EINVAL);
    const dg = IoFd.setup(-1, 'd', 'recvfrom_sendto', {});
    expect(dg.setIoBuffers('read', 2)).to.equal(-errno.EINVAL); // read_write mode only
    if (getBackend() === 'poll') {
      expect(io.setSqes('read', 1)).to.equal(-errno.EINVAL);
      expect(io.setSqes('read', 4)).to.equal(-errno.EINVAL);
    } else {
      expect(io.setSqes('read', 4)).to.equal(0);
      expect(io.setSqes('read', 0)).to.equal(-errno.EINVAL);
      expect(io.setSqes('read', 33)).to.equal(-errno.EINVAL);
      expect(io.setSqes('write' as never, 1)).to.equal(-errno.EINVAL);
    }
    io.close(); dg.close();
  });

  it('I/O errors are negative errno results: sendto to an unreachable / invalid destination', async () => {
    const fd = sock.inet({ proto: 'udp', local: { address: '127.0.0.1', port: 0 } });
    const res: [number, string, SockAddr | null][] = [];
    const io = IoFd.setup(fd, 'udp', 'recvfrom_sendto', { sendtoCb: (_i, r, m, to) => res.push([r, m ? m.toString() : '', to]) });
    io.register();
    // port 0 is not a valid destination; an IPv6 destination on an IPv4 socket; a Unix path on an inet socket
    expect(io.sendto(Buffer.from('a'), { address: '127.0.0.1', port: 0, family: 'IPv4' })).to.equal(0);
    expect(io.sendto(Buffer.from('b'), { address: '::1', port: 9, family: 'IPv6' })).to.equal(0);
    expect(io.sendto(Buffer.from('c'), { path: '/nonexistent/osmo-io-test' })).to.equal(0);
    expect(io.sendto(Buffer.from('d'), null)).to.equal(0); // unconnected, no destination
    await until(() => res.length === 4, 5000, 'send results');
    expect(res.map(([, m]) => m)).to.deep.equal(['a', 'b', 'c', 'd']);
    for (const [r, m] of res) expect(r, `result for ${m}`).to.be.lessThan(0);
    expect(res[0][0]).to.equal(-errno.EINVAL);
    expect(res[1][0]).to.be.oneOf([-os.constants.errno.EAFNOSUPPORT, -errno.EINVAL]);
    expect(res[3][0]).to.be.oneOf([-os.constants.errno.EDESTADDRREQ, -errno.ENOTCONN]);
    expect(res[2][2]).to.deep.equal({ path: '/nonexistent/osmo-io-test' });
    io.close();
  });

  it('a read error is a negative errno result (a refused UDP peer gives -ECONNREFUSED)', async () => {
    // a connected UDP socket whose peer port is closed: the ICMP error comes back on the next receive
    const l = sock.inet({ proto: 'udp', local: { address: '127.0.0.1', port: 0 } });
    const port = (sock.localAddress(l) as { port: number }).port;
    sock.close(l);
    const fd = sock.inet({ proto: 'udp', local: { address: '127.0.0.1', port: 0 }, remote: { address: '127.0.0.1', port } });
    const got: number[] = [];
    const io = IoFd.setup(fd, 'refused', 'recvfrom_sendto', {
      recvfromCb: (i, r) => { got.push(r); if (r < 0) i.unregister(); },
    });
    io.register();
    io.sendto(Buffer.from('anyone?'), null);
    await until(() => got.length >= 1, 5000, 'receive error');
    expect(got[0]).to.equal(-errno.ECONNREFUSED);
    io.close();
  });

  it('importing @osmo/io and the codecs of @osmo/ipa and @osmo/ctrl loads no addon; the first I/O use does (child process)', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', path.join(here, 'fixtures', 'codec-only.mjs')],
                      { env: { ...process.env, OSMO_IO_ADDON: path.join(here, 'fixtures', 'no-such-addon.node') },
                        stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      p.stdout.on('data', (d) => { s += d; });
      p.on('error', reject);
      p.on('close', () => resolve(s));
    });
    expect(out).to.equal('codecs 3 GET\nfirst I/O use loads the addon: ERR_OSMO_IO_NOT_BUILT\n');
  });

  it('an invalid OSMO_IO_BACKEND fails with ERR_OSMO_IO_BACKEND (child process)', async () => {
    const run = (env: Record<string, string>): Promise<string> => new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', path.join(here, 'fixtures', 'bad-backend.ts')],
                      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.on('error', reject);
      p.on('close', () => resolve(out));
    });
    const [bad, badSize, upper, badWait, badCoalesce] = await Promise.all([
      run({ OSMO_IO_BACKEND: 'epoll' }),
      run({ OSMO_IO_BACKEND: getBackend(), OSMO_IO_URING_SIZE: '7' }),
      run({ OSMO_IO_BACKEND: getBackend().toUpperCase() }),
      run({ OSMO_IO_BACKEND: getBackend(), OSMO_IO_URING_BATCH_WAIT_US: '-1' }),
      run({ OSMO_IO_BACKEND: getBackend(), OSMO_IO_URING_COALESCE_US: '10001' }),
    ]);
    expect(bad).to.match(/^ERR_OSMO_IO_BACKEND .*epoll/);
    expect(upper).to.equal(`loaded ${getBackend()}\n`);
    if (getBackend() === 'io_uring') {
      expect(badSize).to.match(/^ERR_OSMO_IO_BACKEND .*OSMO_IO_URING_SIZE/);
      expect(badWait).to.match(/^ERR_OSMO_IO_BACKEND .*OSMO_IO_URING_BATCH_WAIT_US/);
      expect(badCoalesce).to.match(/^ERR_OSMO_IO_BACKEND .*OSMO_IO_URING_COALESCE_US/);
    }
  });
});
