/** recvmsg_sendmsg mode with real control messages: IP_PKTINFO over UDP, SCM_RIGHTS over a Unix socketpair. */
import { expect } from 'chai';
import fs from 'node:fs';
import { IoFd, errno, getBackend, socketpair, sock, type RecvmsgInfo, type SockAddr } from '@osmo/io';
import { turns, until } from './helpers.js';

const C = sock.constants;
// Linux LP64: struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data, 8-byte aligned
const CMSG_HDR = 16;
const align = (n: number): number => (n + 7) & ~7;
const CMSG_SPACE = (n: number): number => CMSG_HDR + align(n);

interface Cmsg { level: number; type: number; data: Buffer }

function parseCmsgs(ctl: Buffer): Cmsg[] {
  const out: Cmsg[] = [];
  let off = 0;
  while (off + CMSG_HDR <= ctl.length) {
    const len = Number(ctl.readBigUInt64LE(off));
    if (len < CMSG_HDR || off + len > ctl.length) break;
    out.push({ level: ctl.readInt32LE(off + 8), type: ctl.readInt32LE(off + 12), data: ctl.subarray(off + CMSG_HDR, off + len) });
    off += align(len);
  }
  return out;
}

function cmsg(level: number, type: number, data: Buffer): Buffer {
  const b = Buffer.alloc(CMSG_SPACE(data.length));
  b.writeBigUInt64LE(BigInt(CMSG_HDR + data.length), 0);
  b.writeInt32LE(level, 8);
  b.writeInt32LE(type, 12);
  data.copy(b, CMSG_HDR);
  return b;
}

const ip4 = (b: Buffer, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; } */
function pktinfo(ifindex: number, specDst: string): Buffer {
  const b = Buffer.alloc(12);
  b.writeInt32LE(ifindex, 0);
  Buffer.from(specDst.split('.').map(Number)).copy(b, 4);
  return b;
}

function udp(address = '127.0.0.1'): { fd: number; port: number } {
  const fd = sock.inet({ proto: 'udp', local: { address, port: 0 } });
  return { fd, port: (sock.localAddress(fd) as { port: number }).port };
}

describe(`recvmsg_sendmsg with control messages (${getBackend()})`, () => {
  it('UDP with IP_PKTINFO: the control chain carries the destination address 127.0.0.1', async () => {
    const r = udp();
    sock.setsockopt(r.fd, C.IPPROTO_IP, C.IP_PKTINFO, 1);
    const got: [number, string, SockAddr | null, Cmsg[], number][] = [];
    const R = IoFd.setup(r.fd, 'pktinfo-r', 'recvmsg_sendmsg', {
      recvmsgCb: (_io, res, msg, info: RecvmsgInfo) =>
        got.push([res, msg.toString(), info.from, parseCmsgs(Buffer.from(info.control)), info.flags]),
    });
    expect(R.setCmsgSize(CMSG_SPACE(12) * 2)).to.equal(0);
    R.register();
    const s = udp();
    const sent: [number, string | null][] = [];
    const S = IoFd.setup(s.fd, 'pktinfo-s', 'recvmsg_sendmsg', { sendmsgCb: (_io, res, msg) => sent.push([res, msg && msg.toString()]) });
    S.register();
    expect(S.sendmsg(Buffer.from('hello'), { dest: { address: '127.0.0.1', port: r.port, family: 'IPv4' } })).to.equal(0);
    await until(() => got.length === 1 && sent.length === 1, 5000, 'datagram');
    const [res, text, from, cmsgs, flags] = got[0];
    expect([res, text]).to.deep.equal([5, 'hello']);
    expect(from).to.deep.equal({ address: '127.0.0.1', port: s.port, family: 'IPv4' });
    expect(flags & C.MSG_CTRUNC).to.equal(0);
    const pi = cmsgs.find((c) => c.level === C.IPPROTO_IP && c.type === C.IP_PKTINFO);
    expect(pi, 'IP_PKTINFO cmsg').to.not.equal(undefined);
    expect(pi!.data.length).to.equal(12);
    expect(ip4(pi!.data, 8), 'ipi_addr (header destination)').to.equal('127.0.0.1');
    expect(pi!.data.readInt32LE(0), 'ifindex of lo').to.be.greaterThan(0);
    expect(sent).to.deep.equal([[5, 'hello']]);
    R.close(); S.close();
  });

  it('sendmsg with an IP_PKTINFO cmsg picks the source address (127.0.0.2), seen by the receiver', async () => {
    const r = udp();
    const got: [string, SockAddr | null][] = [];
    const R = IoFd.setup(r.fd, 'src-r', 'recvfrom_sendto', { recvfromCb: (_io, _res, msg, from) => got.push([msg.toString(), from]) });
    R.register();
    const s = udp('0.0.0.0');
    const sent: number[] = [];
    const S = IoFd.setup(s.fd, 'src-s', 'recvmsg_sendmsg', { sendmsgCb: (_io, res) => sent.push(res) });
    S.register();
    const dest = { address: '127.0.0.1', port: r.port, family: 'IPv4' as const };
    expect(S.sendmsg(Buffer.from('via .2'), { dest, control: cmsg(C.IPPROTO_IP, C.IP_PKTINFO, pktinfo(0, '127.0.0.2')) })).to.equal(0);
    expect(S.sendmsg(Buffer.from('plain'), { dest })).to.equal(0);
    await until(() => got.length === 2 && sent.length === 2, 5000, 'datagrams');
    expect(got).to.deep.equal([
      ['via .2', { address: '127.0.0.2', port: s.port, family: 'IPv4' }],
      ['plain', { address: '127.0.0.1', port: s.port, family: 'IPv4' }],
    ]);
    expect(sent).to.deep.equal([6, 5]);
    R.close(); S.close();
  });

  it('sendmsg without dest on a connected UDP socket; a bad cmsg gives a negative errno in sendmsgCb', async () => {
    const r = udp();
    const got: string[] = [];
    const R = IoFd.setup(r.fd, 'conn-r', 'recvmsg_sendmsg', { recvmsgCb: (_io, _res, msg) => got.push(msg.toString()) });
    R.register();
    const sfd = sock.inet({ proto: 'udp', local: { address: '127.0.0.1', port: 0 }, remote: { address: '127.0.0.1', port: r.port } });
    const sent: number[] = [];
    const S = IoFd.setup(sfd, 'conn-s', 'recvmsg_sendmsg', { sendmsgCb: (_io, res) => sent.push(res) });
    S.register();
    S.sendmsg(Buffer.from('a'), {});
    // an IP_PKTINFO cmsg with a truncated payload: the kernel refuses it
    S.sendmsg(Buffer.from('b'), { control: cmsg(C.IPPROTO_IP, C.IP_PKTINFO, Buffer.alloc(4)) });
    S.sendmsg(Buffer.from('c'), {});
    await until(() => sent.length === 3 && got.length === 2, 5000, 'sends');
    expect(sent[0]).to.equal(1);
    expect(sent[1]).to.equal(-errno.EINVAL);
    expect(sent[2]).to.equal(1);
    expect(got).to.deep.equal(['a', 'c']);
    R.close(); S.close();
  });

  it('SCM_RIGHTS over a Unix socketpair: an fd sent in control arrives and works', async () => {
    const [a, b] = socketpair('stream');
    const [x, y] = socketpair('stream'); // x travels from A to B; we read what is written to it at y
    const got: [string, Cmsg[], number][] = [];
    const B = IoFd.setup(b, 'rights-r', 'recvmsg_sendmsg', {
      recvmsgCb: (_io, res, msg, info) => { if (res > 0) got.push([msg.toString(), parseCmsgs(Buffer.from(info.control)), info.flags]); },
    });
    expect(B.setCmsgSize(CMSG_SPACE(4 * 4))).to.equal(0);
    B.register();
    const sent: number[] = [];
    const A = IoFd.setup(a, 'rights-s', 'recvmsg_sendmsg', { sendmsgCb: (_io, res) => sent.push(res) });
    A.register();
    const fdb = Buffer.alloc(4);
    fdb.writeInt32LE(x, 0);
    expect(A.sendmsg(Buffer.from('take this'), { control: cmsg(C.SOL_SOCKET, C.SCM_RIGHTS, fdb) })).to.equal(0);
    await until(() => got.length === 1 && sent.length === 1, 5000, 'fd passing');
    expect(sent).to.deep.equal([9]);
    const [text, cmsgs, flags] = got[0];
    expect(text).to.equal('take this');
    expect(flags & C.MSG_CTRUNC).to.equal(0);
    expect(cmsgs.length).to.equal(1);
    expect([cmsgs[0].level, cmsgs[0].type, cmsgs[0].data.length]).to.deep.equal([C.SOL_SOCKET, C.SCM_RIGHTS, 4]);
    const recvd = cmsgs[0].data.readInt32LE(0);
    expect(recvd).to.not.equal(x);
    expect(fs.fstatSync(recvd).isSocket()).to.equal(true);
    sock.close(x); // the received fd alone keeps that end alive now
    expect(fs.writeSync(recvd, 'through the passed fd')).to.equal(21);
    const buf = Buffer.alloc(64);
    let n = -1;
    await until(() => { try { n = fs.readSync(y, buf); return true; } catch { return false; } }, 5000, 'read at y');
    expect(buf.subarray(0, n).toString()).to.equal('through the passed fd');
    sock.close(recvd); sock.close(y);
    A.close(); B.close();
  });

  it('setCmsgSize: too small a control buffer sets MSG_CTRUNC; setCmsgSize is -EINVAL outside recvmsg mode', async () => {
    const [a, b] = socketpair('dgram');
    const [x, y] = socketpair('dgram');
    const got: [number, number, number][] = [];
    const B = IoFd.setup(b, 'ctrunc-r', 'recvmsg_sendmsg', {
      recvmsgCb: (_io, res, _msg, info) => got.push([res, info.control.length, info.flags]),
    });
    expect(B.setCmsgSize(0)).to.equal(0);
    B.register();
    const A = IoFd.setup(a, 'ctrunc-s', 'recvmsg_sendmsg', {});
    A.register();
    const fdb = Buffer.alloc(4);
    fdb.writeInt32LE(x, 0);
    A.sendmsg(Buffer.from('fd'), { control: cmsg(C.SOL_SOCKET, C.SCM_RIGHTS, fdb) });
    await until(() => got.length === 1, 5000, 'datagram');
    expect(got[0][0]).to.equal(2);
    expect(got[0][1]).to.equal(0);
    expect(got[0][2] & C.MSG_CTRUNC).to.equal(C.MSG_CTRUNC);
    const rw = IoFd.setup(x, 'rw', 'read_write', {});
    expect(rw.setCmsgSize(64)).to.equal(-errno.EINVAL);
    const rf = IoFd.setup(y, 'rf', 'recvfrom_sendto', {});
    expect(rf.setCmsgSize(64)).to.equal(-errno.EINVAL);
    expect(B.setCmsgSize(65537)).to.equal(-errno.EINVAL);
    rw.close(); rf.close(); A.close(); B.close();
    await turns();
  });
});
