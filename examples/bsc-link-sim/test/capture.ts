// Test helper: read a captured omldummy <-> osmo-bsc exchange (test/fixtures/*.tsv) and split it into IPA frames.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CapturedFrame { from: 'BTS' | 'BSC'; proto: number; payload: Buffer; frame: Buffer }

export function splitIpa(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let o = 0;
  while (o + 3 <= buf.length) {
    const len = buf.readUInt16BE(o);
    out.push(buf.subarray(o, o + 3 + len));
    o += 3 + len;
  }
  return out;
}

export function loadCapture(name: string): CapturedFrame[] {
  const path = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const frames: CapturedFrame[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [from, hex] = line.split('\t') as ['BTS' | 'BSC', string];
    for (const f of splitIpa(Buffer.from(hex, 'hex'))) frames.push({ from, proto: f[2]!, payload: f.subarray(3), frame: f });
  }
  return frames;
}
