/** Host-side (no kernel SCTP needed): cmsg encoding/decoding, notification decoding, bad input, socket() errors. */
import { expect } from 'chai';
import { decodeNotification, parseRcvinfo, sctp, SctpDecodeError, SctpError } from '../src/index.js';
// internals (not exported by the package)
import { buildSndinfo, checkSendInfo, sndFlags, cmsgStats } from '../src/cmsg.js';
import { packAddrs, decodeAddr } from '../src/addr.js';

/** struct sctp_rcvinfo inside a cmsghdr, as the kernel writes it */
function rcvinfoCmsg(o: { sid: number; ssn: number; flags: number; ppid: number; tsn: number; context: number; assoc: number }): Buffer {
  const b = Buffer.alloc(48);
  b.writeUInt32LE(16 + 28, 0); b.writeInt32LE(132, 8); b.writeInt32LE(3, 12);
  b.writeUInt16LE(o.sid, 16); b.writeUInt16LE(o.ssn, 18); b.writeUInt16LE(o.flags, 20);
  b.writeUInt32BE(o.ppid, 24); b.writeUInt32LE(o.tsn, 28); b.writeUInt32LE(0, 32); b.writeUInt32LE(o.context, 36);
  b.writeInt32LE(o.assoc, 40);
  return b;
}

function notif(type: number, len: number, fill?: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(len);
  b.writeUInt16LE(type, 0); b.writeUInt32LE(len, 4);
  fill?.(b);
  return b;
}

describe('@osmo/sctp codecs (host)', () => {
  it('builds SCTP_SNDINFO with the PPID in network order and the cmsg header the kernel expects', () => {
    const c = buildSndinfo(7, sndFlags({ unordered: true }), 3, 0x11223344, 42, 0);
    expect(c.length).to.equal(32);
    expect(c.readUInt32LE(0)).to.equal(32);             // cmsg_len = CMSG_LEN(16)
    expect(c.readInt32LE(8)).to.equal(132);             // IPPROTO_SCTP
    expect(c.readInt32LE(12)).to.equal(2);              // SCTP_SNDINFO
    expect(c.readUInt16LE(16)).to.equal(7);             // snd_sid
    expect(c.readUInt16LE(18)).to.equal(1);             // SCTP_UNORDERED
    expect([...c.subarray(20, 24)]).to.deep.equal([0, 0, 0, 3]); // M3UA PPID 3 on the wire
    expect(c.readUInt32LE(24)).to.equal(0x11223344);
    expect(c.readInt32LE(28)).to.equal(42);
  });

  it('adds SCTP_PRINFO (policy TTL) when ttlMs is set', () => {
    const c = buildSndinfo(0, 0, 1, 0, 0, 250);
    expect(c.length).to.equal(56);
    expect(c.readUInt32LE(32)).to.equal(24);            // CMSG_LEN(8)
    expect(c.readInt32LE(44)).to.equal(5);              // SCTP_PRINFO
    expect(c.readUInt16LE(48)).to.equal(0x10);          // SCTP_PR_SCTP_TTL
    expect(c.readUInt32LE(52)).to.equal(250);
  });

  it('reuses its slab within a tick without overwriting pending slots, and falls back to fresh buffers past 1024', () => {
    const before = cmsgStats.fresh;
    const bufs = [];
    for (let i = 0; i < 1100; i++) bufs.push(buildSndinfo(i % 100, 0, i, 0, 0, 0));
    for (let i = 0; i < 1100; i++) expect(bufs[i].readUInt32BE(20)).to.equal(i);
    expect(cmsgStats.fresh - before).to.be.at.least(76);
  });

  it('decodes SCTP_RCVINFO (PPID to host numbers) and tolerates other cmsgs before it', () => {
    const other = Buffer.alloc(24); other.writeUInt32LE(20, 0); other.writeInt32LE(0, 8); other.writeInt32LE(99, 12);
    const ctl = Buffer.concat([other, rcvinfoCmsg({ sid: 4, ssn: 9, flags: 1, ppid: 0xfeedf00d, tsn: 77, context: 5, assoc: 3 })]);
    const r = parseRcvinfo(ctl, 0)!;
    expect(r).to.include({ stream: 4, ssn: 9, ppid: 0xfeedf00d, tsn: 77, context: 5, assocId: 3, unordered: true });
    expect(parseRcvinfo(Buffer.alloc(0), 0)).to.equal(null);
  });

  it('rejects truncated and malformed control data with typed errors', () => {
    const good = rcvinfoCmsg({ sid: 1, ssn: 0, flags: 0, ppid: 1, tsn: 1, context: 0, assoc: 0 });
    const check = (f: () => unknown, code: string) => {
      try { f(); expect.fail('no error'); } catch (e) {
        expect(e).to.be.instanceOf(SctpDecodeError);
        expect((e as SctpDecodeError).code).to.equal(code);
      }
    };
    check(() => parseRcvinfo(good, 0x8 /* MSG_CTRUNC */), 'ERR_SCTP_TRUNCATED');
    const short = Buffer.from(good); short.writeUInt32LE(16 + 10, 0);
    check(() => parseRcvinfo(short.subarray(0, 32), 0), 'ERR_SCTP_TRUNCATED');
    const huge = Buffer.from(good); huge.writeUInt32LE(4096, 0);
    check(() => parseRcvinfo(huge, 0), 'ERR_SCTP_CMSG_MALFORMED');
    const tiny = Buffer.from(good); tiny.writeUInt32LE(3, 0);
    check(() => parseRcvinfo(tiny, 0), 'ERR_SCTP_CMSG_MALFORMED');
    check(() => parseRcvinfo(Buffer.alloc(5), 0), 'ERR_SCTP_CMSG_MALFORMED');
    // any byte string: decodes or throws SctpDecodeError, nothing else
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(Math.floor(Math.random() * 80));
      for (let k = 0; k < b.length; k++) b[k] = Math.random() * 256;
      if (b.length >= 8 && Math.random() < 0.5) { b.writeUInt32LE(Math.floor(Math.random() * 64), 0); b.writeUInt32LE(0, 4); }
      try { parseRcvinfo(b, 0); } catch (e) { expect(e).to.be.instanceOf(SctpDecodeError); }
    }
  });

  it('decodes the notifications', () => {
    expect(decodeNotification(notif(0x8001, 20, (b) => { b.writeUInt16LE(0, 8); b.writeUInt16LE(10, 12); b.writeUInt16LE(5, 14); b.writeInt32LE(9, 16); })))
      .to.deep.equal({ type: 'ASSOC_CHANGE', state: 'COMM_UP', error: 0, outStreams: 10, inStreams: 5, assocId: 9 });
    expect(decodeNotification(notif(0x8001, 20, (b) => b.writeUInt16LE(1, 8)))).to.include({ state: 'COMM_LOST' });
    const pa = decodeNotification(notif(0x8002, 148, (b) => {
      b.writeUInt16LE(2, 8); b.writeUInt16BE(2905, 10); b[12] = 127; b[13] = 0; b[14] = 0; b[15] = 2;
      b.writeInt32LE(1, 136); b.writeInt32LE(0, 140); b.writeInt32LE(4, 144);
    }));
    expect(pa).to.deep.equal({ type: 'PEER_ADDR_CHANGE', address: { address: '127.0.0.2', port: 2905, family: 'IPv4' },
      state: 'ADDR_UNREACHABLE', error: 0, assocId: 4 });
    const sf = decodeNotification(notif(0x800d, 36, (b) => {
      b.writeUInt16LE(1, 2); b.writeUInt32LE(0, 8); b.writeUInt16LE(3, 12); b.writeUInt32BE(3, 16); b.writeUInt32LE(77, 20);
      b.writeInt32LE(2, 28); b.write('data', 32);
    }));
    expect(sf).to.deep.include({ type: 'SEND_FAILED_EVENT', sent: true, stream: 3, ppid: 3, context: 77, assocId: 2, legacy: false });
    expect((sf as { data: Buffer }).data.toString()).to.equal('data');
    const old = decodeNotification(notif(0x8003, 50, (b) => { b.writeUInt16LE(6, 12); b.writeUInt32BE(46, 20); b.writeUInt32LE(8, 24); b.writeInt32LE(11, 44); }));
    expect(old).to.deep.include({ type: 'SEND_FAILED_EVENT', stream: 6, ppid: 46, context: 8, assocId: 11, legacy: true });
    expect(decodeNotification(notif(0x8005, 12, (b) => b.writeInt32LE(6, 8)))).to.deep.equal({ type: 'SHUTDOWN_EVENT', assocId: 6 });
    expect(decodeNotification(notif(0x8009, 12, (b) => b.writeInt32LE(6, 8)))).to.deep.equal({ type: 'SENDER_DRY_EVENT', assocId: 6 });
    expect(decodeNotification(notif(0x8006, 24, (b) => { b.writeInt32LE(2, 12); b.writeUInt32LE(3, 16); b.writeUInt32LE(4, 20); })))
      .to.deep.equal({ type: 'PARTIAL_DELIVERY_EVENT', indication: 0, stream: 3, seq: 4, assocId: 2 });
    expect(decodeNotification(notif(0x8004, 18, (b) => { b.writeUInt16BE(0x1234, 8); b.writeInt32LE(1, 12); })))
      .to.deep.include({ type: 'REMOTE_ERROR', error: 0x1234, assocId: 1 });
    expect(decodeNotification(notif(0x8007, 16, (b) => { b.writeUInt32LE(99, 8); b.writeInt32LE(1, 12); })))
      .to.deep.equal({ type: 'ADAPTATION_INDICATION', indication: 99, assocId: 1 });
    expect(decodeNotification(notif(0x8008, 20, (b) => { b.writeUInt16LE(2, 8); b.writeUInt32LE(1, 12); b.writeInt32LE(5, 16); })))
      .to.deep.equal({ type: 'AUTHENTICATION_EVENT', keyNumber: 2, indication: 1, assocId: 5 });
    expect(decodeNotification(notif(0x80ff, 10))).to.deep.include({ type: 'UNKNOWN', snType: 0x80ff });
  });

  it('reports short and cut notifications as typed errors', () => {
    const codes: string[] = [];
    const tryDecode = (b: Buffer) => { try { decodeNotification(b); codes.push('ok'); } catch (e) {
      expect(e).to.be.instanceOf(SctpDecodeError); codes.push((e as SctpDecodeError).code); } };
    tryDecode(Buffer.alloc(3));
    tryDecode(notif(0x8001, 20).subarray(0, 12));          // header says 20, 12 arrived
    tryDecode(notif(0x8002, 40));                          // PEER_ADDR_CHANGE needs 148
    tryDecode(notif(0x800d, 20));                          // SEND_FAILED_EVENT needs 32
    expect(codes).to.deep.equal(['ERR_SCTP_TRUNCATED', 'ERR_SCTP_TRUNCATED', 'ERR_SCTP_NOTIFICATION_MALFORMED',
      'ERR_SCTP_NOTIFICATION_MALFORMED']);
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.alloc(Math.floor(Math.random() * 200));
      for (let k = 0; k < b.length; k++) b[k] = Math.random() * 256;
      if (b.length >= 8) { b.writeUInt16LE(0x8000 + Math.floor(Math.random() * 16), 0); if (Math.random() < 0.7) b.writeUInt32LE(b.length, 4); }
      try { decodeNotification(b); } catch (e) { expect(e).to.be.instanceOf(SctpDecodeError); }
    }
  });

  it('validates send info (ranges and types) with coded errors', () => {
    expect(() => checkSendInfo({ stream: 65536 })).to.throw(RangeError).with.property('code', 'ERR_OUT_OF_RANGE');
    expect(() => checkSendInfo({ ppid: -1 })).to.throw(RangeError);
    expect(() => checkSendInfo({ ttlMs: 1.5 })).to.throw(RangeError);
    expect(() => checkSendInfo('x' as never)).to.throw(TypeError).with.property('code', 'ERR_INVALID_ARG_TYPE');
    expect(() => checkSendInfo({ ppid: 0xffffffff, stream: 0xffff, context: 1, assocId: -1 })).not.to.throw();
  });

  it('packs sockaddrs for bindx/connectx and decodes them back', () => {
    const b = packAddrs([{ address: '127.0.0.1', port: 2905 }, { address: '::1', port: 7 }, { address: '127.0.0.2', port: 2905 }]);
    expect(b.length).to.equal(16 + 28 + 16);
    expect(decodeAddr(b.subarray(0, 16))).to.deep.equal({ address: '127.0.0.1', port: 2905, family: 'IPv4' });
    expect(decodeAddr(b.subarray(16, 44))).to.deep.equal({ address: '::1', port: 7, family: 'IPv6' });
    expect(decodeAddr(Buffer.alloc(4))).to.equal(null);
  });

  it('socket(): bad options throw coded errors; a kernel without SCTP says so with EPROTONOSUPPORT', () => {
    expect(() => sctp.socket({ type: 'dgram' as never })).to.throw(TypeError).with.property('code', 'ERR_INVALID_ARG_VALUE');
    expect(() => sctp.socket({ type: 'stream', local: [{ address: 'nope', port: 1 }] })).to.throw(TypeError);
    expect(() => sctp.socket({ type: 'stream', streams: { out: 0, in: 1 } })).to.throw(RangeError);
    let fd = -1;
    try {
      fd = sctp.socket({ type: 'stream' });
    } catch (e) {
      expect(e).to.be.instanceOf(SctpError);
      expect((e as SctpError).code).to.equal('EPROTONOSUPPORT');
      expect((e as Error).message).to.match(/no SCTP/);
      return;
    }
    expect(fd).to.be.greaterThan(2); // this kernel has SCTP
  });
});
