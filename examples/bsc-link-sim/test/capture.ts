// Test helper: read a captured omldummy <-> osmo-bsc exchange (test/fixtures/*.tsv) and split it into IPA frames.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeIpaFrames } from '@osmo/ipa';

export interface CapturedFrame { from: 'BTS' | 'BSC'; proto: number; payload: Buffer }

export function loadCapture(name: string): CapturedFrame[] {
  const path = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const frames: CapturedFrame[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [from, hex] = line.split('\t') as ['BTS' | 'BSC', string];
    for (const f of decodeIpaFrames(Buffer.from(hex, 'hex'))) frames.push({ from, proto: f.proto, payload: f.payload });
  }
  return frames;
}
