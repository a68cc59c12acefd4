/** IPA unit id "site/bts/trx" (ID tag 0x08). */
import { IpaDecodeError, checkU16 } from './errors.js';

export interface UnitId {
  site: number;
  bts: number;
  trx: number;
}

function parseNum(s: string, pos: number): [number, number] {
  let i = pos;
  let v = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    v = (v * 10 + (c - 0x30)) % 0x100000000; // strtoul-like wrap, then masked below
    i++;
  }
  if (i === pos) throw new IpaDecodeError('ERR_IPA_UNIT_ID', pos, `unit id: digit expected in ${JSON.stringify(s)}`);
  return [v & 0xffff, i];
}

/**
 * Parses "site/bts/trx" the upstream way: decimal numbers, each masked to 16 bits, '/' separators required,
 * trailing text after trx (e.g. the NUL of the ID_RESP value) ignored. Offsets in errors are string indices.
 */
export function parseUnitId(s: string): UnitId {
  const [site, p1] = parseNum(s, 0);
  if (s[p1] !== '/') throw new IpaDecodeError('ERR_IPA_UNIT_ID', p1, `unit id: '/' expected in ${JSON.stringify(s)}`);
  const [bts, p2] = parseNum(s, p1 + 1);
  if (s[p2] !== '/') throw new IpaDecodeError('ERR_IPA_UNIT_ID', p2, `unit id: '/' expected in ${JSON.stringify(s)}`);
  const [trx] = parseNum(s, p2 + 1);
  return { site, bts, trx };
}

/** "site/bts/trx"; each part must be 0..65535. */
export function formatUnitId(u: UnitId): string {
  checkU16(u.site, 'unit id site');
  checkU16(u.bts, 'unit id bts');
  checkU16(u.trx, 'unit id trx');
  return `${u.site}/${u.bts}/${u.trx}`;
}
