/**
 * Notification subscription against kernels that refuse part of it (host test, no SCTP needed: the setsockopt is a
 * stand-in): a refused SEND_FAILED_EVENT falls back to SEND_FAILED (Linux 6.1 in the reference refuses it), a
 * kernel without SCTP_EVENT gets the SCTP_EVENTS struct, and other refusals leave the type out, never fail.
 */
import { expect } from 'chai';
import { subscribeEvents, DEFAULT_EVENTS } from '../src/index.js';
import { SCTP_EVENT, SCTP_EVENTS, SN, SOL_SCTP } from '../src/constants.js';

const EINVAL = -22, ENOPROTOOPT = -92;
const typeName = (t: number): string => Object.entries(SN).find(([, v]) => v === t)?.[0] ?? String(t);

describe('SCTP notification subscription fallbacks', () => {
  it('a refused SEND_FAILED_EVENT is replaced by SEND_FAILED; the rest as asked', () => {
    const asked: string[] = [];
    const on = subscribeEvents(3, DEFAULT_EVENTS, (fd, level, name, buf) => {
      expect([fd, level, name]).to.deep.equal([3, SOL_SCTP, SCTP_EVENT]);
      const t = typeName(buf.readUInt16LE(4));
      asked.push(t);
      return t === 'SEND_FAILED_EVENT' ? EINVAL : 0;
    });
    expect(on).to.include('SEND_FAILED').and.not.include('SEND_FAILED_EVENT');
    expect(on).to.include.members(['ASSOC_CHANGE', 'SHUTDOWN_EVENT', 'PEER_ADDR_CHANGE']);
    expect(asked.indexOf('SEND_FAILED')).to.equal(asked.indexOf('SEND_FAILED_EVENT') + 1);
  });

  it('a kernel without SCTP_EVENT gets the SCTP_EVENTS struct, with SEND_FAILED for SEND_FAILED_EVENT', () => {
    let struct: Buffer | null = null;
    const on = subscribeEvents(3, ['ASSOC_CHANGE', 'SEND_FAILED_EVENT'], (_fd, _l, name, buf) => {
      if (name === SCTP_EVENT) return ENOPROTOOPT;
      expect(name).to.equal(SCTP_EVENTS);
      struct = Buffer.from(buf);
      return 0;
    });
    expect(on).to.deep.equal(['ASSOC_CHANGE', 'SEND_FAILED']);
    expect(struct![SN.ASSOC_CHANGE - 0x8000]).to.equal(1);
    expect(struct![SN.SEND_FAILED - 0x8000]).to.equal(1);
  });

  it('a type refused without an older equivalent is left out; the socket is not failed', () => {
    const on = subscribeEvents(3, ['ASSOC_CHANGE', 'AUTHENTICATION_EVENT'], (_fd, _l, _n, buf) =>
      typeName(buf.readUInt16LE(4)) === 'AUTHENTICATION_EVENT' ? EINVAL : 0);
    expect(on).to.deep.equal(['ASSOC_CHANGE']);
  });
});
