/**
 * Socket addresses as the kernel writes them (struct sockaddr bytes) -> SockAddr objects, and checks. Also exported
 * as '@osmo/io/sockaddr': no native addon behind it, for codecs.
 */
import net from 'node:net';
import os from 'node:os';
import { OsmoIoTypeError } from './errors.js';
import type { SockAddr } from './types.js';

const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;

/** RFC 5952 text of the 16 address bytes at o (the one IPv6 formatter of the toolkit). */
export function formatIpv6(bytes: Uint8Array, o: number): string {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return ipv6(b, o);
}

function ipv6(b: Buffer, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(o + i * 2));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff)
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  // the longest run of zero groups (>= 2) becomes "::" (RFC 5952)
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function decodeSockaddr(b: Buffer, off: number, len: number): SockAddr | null {
  if (off < 0 || len < 2) return null;
  const fam = b.readUInt16LE(off);
  if (fam === AF_INET && len >= 8)
    return { address: `${b[off + 4]}.${b[off + 5]}.${b[off + 6]}.${b[off + 7]}`, port: b.readUInt16BE(off + 2), family: 'IPv4' };
  if (fam === AF_INET6 && len >= 24) {
    // a link-local peer carries its zone (sin6_scope_id): "fe80::1%2" is accepted back as a destination
    const scope = len >= 28 ? b.readUInt32LE(off + 24) : 0;
    const address = scope ? `${ipv6(b, off + 8)}%${scope}` : ipv6(b, off + 8);
    return { address, port: b.readUInt16BE(off + 2), family: 'IPv6' };
  }
  if (fam === AF_UNIX) {
    let end = off + 2;
    while (end < off + len && b[end] !== 0) end++;
    return { path: b.toString('utf8', off + 2, end) };
  }
  return null;
}

/** An IPv6 zone ("%lo", "%2") names an interface that exists: else the kernel could not send there. */
function zoneKnown(address: string): boolean {
  const i = address.indexOf('%');
  if (i < 0) return true;
  const zone = address.slice(i + 1);
  if (/^[0-9]+$/.test(zone)) return true;
  return Object.hasOwn(os.networkInterfaces(), zone);
}

/** Validate a destination given by the user; throws TypeError with a code. */
export function checkSockAddr(name: string, a: unknown): SockAddr {
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>;
    if (typeof o.path === 'string' && o.path.length > 0 && Buffer.byteLength(o.path) < 108) return { path: o.path };
    if (typeof o.address === 'string' && net.isIP(o.address) &&
        typeof o.port === 'number' && Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535) {
      if (!zoneKnown(o.address))
        throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `The "${name}" argument names an unknown IPv6 zone: ${o.address}`);
      return { address: o.address, port: o.port, family: net.isIPv6(o.address) ? 'IPv6' : 'IPv4' };
    }
  }
  throw new OsmoIoTypeError('ERR_INVALID_ARG_VALUE', `The "${name}" argument must be { address, port } or { path }`);
}
