/** IPv4/IPv6 text <-> bytes without the DNS-capable machinery of node:net (the codec runs per PDU). */
import net from 'node:net';
// the address formatter only: importing it does not load the native addon (the codec runs without it)
import { formatIpv6 } from '@osmo/io/sockaddr';
import { NsError } from './errors.js';

export type IpFamily = 'IPv4' | 'IPv6';

/** 4 or 16 bytes of an address; throws NsError (ERR_INVALID_ARG_VALUE) for text that is not an IP address of that family */
export function ipToBytes(ip: string, family: IpFamily): Buffer {
  if (family === 'IPv4') {
    if (!net.isIPv4(ip)) throw new NsError('ERR_INVALID_ARG_VALUE', `not an IPv4 address: ${ip}`);
    return Buffer.from(ip.split('.').map(Number));
  }
  if (!net.isIPv6(ip)) throw new NsError('ERR_INVALID_ARG_VALUE', `not an IPv6 address: ${ip}`);
  let s = ip;
  const out = Buffer.alloc(16);
  // a trailing dotted quad (::ffff:1.2.3.4) becomes the last two groups
  const dot = s.lastIndexOf('.');
  if (dot >= 0) {
    const colon = s.lastIndexOf(':');
    const v4 = s.slice(colon + 1).split('.').map(Number);
    s = `${s.slice(0, colon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** text of 4 (dotted quad) or 16 bytes (RFC 5952, as @osmo/io prints peer addresses) at off */
export function bytesToIp(b: Uint8Array, off: number, family: IpFamily): string {
  if (family === 'IPv4') return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  return formatIpv6(b, off);
}

/** the canonical text of an address (as the core prints a datagram's source), so it can key a map */
export function canonicalIp(ip: string): string {
  return net.isIPv6(ip) ? bytesToIp(ipToBytes(ip, 'IPv6'), 0, 'IPv6') : ip;
}
