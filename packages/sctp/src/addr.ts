/** struct sockaddr_in / sockaddr_in6 packing for bindx / connectx, and decoding from notifications. */
import net from 'node:net';

export interface InetEndpoint { address: string; port: number }
export interface SctpAddress { address: string; port: number; family: 'IPv4' | 'IPv6' }

/** Packed sockaddr list (16 bytes per IPv4, 28 per IPv6), as SCTP_SOCKOPT_BINDX_ADD / CONNECTX take it. */
export function packAddrs(list: readonly InetEndpoint[]): Buffer {
  let n = 0;
  for (const e of list) n += net.isIPv6(e.address) ? 28 : 16;
  const b = Buffer.alloc(n);
  let o = 0;
  for (const e of list) {
    if (net.isIPv6(e.address)) {
      b.writeUInt16LE(10, o); b.writeUInt16BE(e.port, o + 2);
      ipv6Bytes(e.address).copy(b, o + 8);
      o += 28;
    } else {
      b.writeUInt16LE(2, o); b.writeUInt16BE(e.port, o + 2);
      const p = e.address.split('.');
      for (let i = 0; i < 4; i++) b[o + 4 + i] = Number(p[i]);
      o += 16;
    }
  }
  return b;
}

function ipv6Bytes(a: string): Buffer {
  const out = Buffer.alloc(16);
  let s = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1].split('.').map(Number);
    s = s.slice(0, -v4[1].length) + ((p[0] << 8) | p[1]).toString(16) + ':' + ((p[2] << 8) | p[3]).toString(16);
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

/** sockaddr_storage bytes -> address, or null for a family other than IPv4/IPv6 */
export function decodeAddr(b: Buffer): SctpAddress | null {
  if (b.length < 8) return null;
  const fam = b.readUInt16LE(0);
  if (fam === 2) return { address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: b.readUInt16BE(2), family: 'IPv4' };
  if (fam === 10 && b.length >= 24) {
    const g: string[] = [];
    for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(8 + i * 2).toString(16));
    // net.SocketAddress normalises to the RFC 5952 text form
    const address = new net.SocketAddress({ address: g.join(':'), family: 'ipv6' }).address;
    return { address, port: b.readUInt16BE(2), family: 'IPv6' };
  }
  return null;
}
