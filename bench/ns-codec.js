#!/usr/bin/env node
// Micro-benchmark behind @osmo/ns2-udp's NS-UNITDATA decode path: decodeNs (hand-written 4-octet fast path)
// against the same header read with a binary-parser 2 Parser, and the IPv4 element list (binary-parser, the
// layout the package uses). Single process, no I/O: ns per PDU. `node bench/ns-codec.js` after `npm run build`.
import { Parser } from 'binary-parser';
import { decodeNs, decodeElements } from '@osmo/ns2-udp';

const N = Number(process.argv[2] ?? 2_000_000);
const pdu = Buffer.concat([Buffer.from([0, 0, 0x07, 0x08]), Buffer.alloc(96, 0x5a)]);
const header = new Parser().endianness('big').uint8('pduType').uint8('sduControl').uint16('bvci');

function time(label, fn) {
  for (let i = 0; i < 200000; i++) fn(); // warm-up (JIT)
  const t0 = process.hrtime.bigint();
  let x = 0;
  for (let i = 0; i < N; i++) x += fn();
  const ns = Number(process.hrtime.bigint() - t0) / N;
  console.log(`${label.padEnd(52)} ${ns.toFixed(1).padStart(7)} ns/PDU  (${x % 7})`);
  return ns;
}

const hand = time('decodeNs (hand-written UNITDATA fast path)', () => {
  const d = decodeNs(pdu);
  return d.type === 'NS-UNITDATA' ? d.bvci + d.sdu.length : 0;
});
const bp = time('binary-parser header + subarray SDU', () => {
  const h = header.parse(pdu);
  const sdu = pdu.subarray(4);
  return h.pduType === 0 ? h.bvci + sdu.length : 0;
});
const list = Buffer.from('7f00000159d801017f00000159d90203', 'hex');
time('decodeElements, 2 IPv4 elements (binary-parser)', () => decodeElements(list, 'IPv4').length);
console.log(`binary-parser / hand-written on the UNITDATA path: ${(bp / hand).toFixed(2)}x`);
