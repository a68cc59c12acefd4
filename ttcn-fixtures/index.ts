/**
 * Loader for the byte-level fixtures in this directory. Each `<prefix>*.json` file holds one fixture object or an
 * array of them: `{ name, hex, fields, source }` — `hex` the bytes (whitespace allowed), `fields` the decoded values
 * (layout chosen by the protocol package that owns the prefix), `source` where the bytes come from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Fixture<F = Record<string, unknown>> {
  name: string;
  /** lower-case hex without separators */
  hex: string;
  fields: F;
  source: string;
  /** file the fixture was read from (basename) */
  file: string;
}

export const fixturesDir: string = dirname(fileURLToPath(import.meta.url));

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every fixture from the `<prefix>*.json` files, in file-name order then file order. Throws on malformed files. */
export function loadFixtures<F = Record<string, unknown>>(prefix: string, dir: string = fixturesDir): Fixture<F>[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort();
  const out: Fixture<F>[] = [];
  for (const file of files) {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const list = Array.isArray(parsed) ? parsed : [parsed];
    list.forEach((e: unknown, i) => {
      if (!isObj(e) || typeof e.name !== 'string' || typeof e.hex !== 'string' || typeof e.source !== 'string' || !isObj(e.fields)) {
        throw new Error(`${file}[${i}]: a fixture needs string name, hex, source and an object fields`);
      }
      const hex = e.hex.replace(/\s+/g, '').toLowerCase();
      if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`${file}[${i}] ${e.name}: hex is not an even-length hex string`);
      out.push({ name: e.name, hex, fields: e.fields as F, source: e.source, file });
    });
  }
  return out;
}

/** The fixture bytes as a Buffer. */
export function fixtureBytes(f: Pick<Fixture<unknown>, 'hex'>): Buffer {
  return Buffer.from(f.hex.replace(/\s+/g, ''), 'hex');
}
