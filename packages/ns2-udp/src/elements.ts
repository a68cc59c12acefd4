/**
 * IP element lists of IP-SNS (TS 48.016 10.3.2c/d): fixed-size records, decoded with binary-parser.
 * IPv4 element: address 4 | UDP port 2 | signalling weight 1 | data weight 1 (8 bytes);
 * IPv6 element: address 16 | port 2 | sig 1 | data 1 (20 bytes).
 */
import { Parser } from 'binary-parser';
import { bytesToIp, ipToBytes, type IpFamily } from './ip.js';

export interface IpElement {
  /** address text: dotted quad, or RFC 5952 IPv6 */
  ip: string;
  port: number;
  sigWeight: number;
  dataWeight: number;
}

export const IPV4_ELEMENT_LEN = 8;
export const IPV6_ELEMENT_LEN = 20;

const ipv4Element = new Parser()
  .endianness('big')
  .array('ip', { type: 'uint8', length: 4, formatter: (a: unknown) => bytesToIp(Uint8Array.from(a as number[]), 0, 'IPv4') })
  .uint16('port')
  .uint8('sigWeight')
  .uint8('dataWeight');
const ipv6Element = new Parser()
  .endianness('big')
  .array('ip', { type: 'uint8', length: 16, formatter: (a: unknown) => bytesToIp(Uint8Array.from(a as number[]), 0, 'IPv6') })
  .uint16('port')
  .uint8('sigWeight')
  .uint8('dataWeight');
const ipv4List = new Parser().array('elements', { type: ipv4Element, readUntil: 'eof' });
const ipv6List = new Parser().array('elements', { type: ipv6Element, readUntil: 'eof' });

/**
 * The elements of a list IE value. The caller checked that the length is a multiple of the element size
 * (binary-parser reads past the end with a RangeError otherwise).
 */
export function decodeElements(value: Uint8Array, family: IpFamily): IpElement[] {
  if (value.length === 0) return [];
  const p = family === 'IPv4' ? ipv4List : ipv6List;
  return (p.parse(value) as { elements: IpElement[] }).elements;
}

/** list IE value bytes; throws RangeError for an address of the wrong family or out-of-range numbers */
export function encodeElements(list: readonly IpElement[], family: IpFamily): Buffer {
  const size = family === 'IPv4' ? IPV4_ELEMENT_LEN : IPV6_ELEMENT_LEN;
  const out = Buffer.alloc(list.length * size);
  list.forEach((e, i) => {
    const o = i * size;
    ipToBytes(e.ip, family).copy(out, o);
    out.writeUInt16BE(e.port, o + size - 4);
    out.writeUInt8(e.sigWeight, o + size - 2);
    out.writeUInt8(e.dataWeight, o + size - 1);
  });
  return out;
}
