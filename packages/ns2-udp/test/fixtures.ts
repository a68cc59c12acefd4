/** Test helper: the shared fixture loader, imported by URL so the package's tsconfig (rootDir) stays untouched. */
export interface Fixture<F> {
  name: string;
  hex: string;
  fields: F;
  source: string;
  file: string;
}
interface Loader {
  loadFixtures<F>(prefix: string): Fixture<F>[];
}
const url = new URL('../../../ttcn-fixtures/index.ts', import.meta.url).href;
const loader = (await import(url)) as Loader;

export function loadFixtures<F>(prefix: string): Fixture<F>[] {
  return loader.loadFixtures<F>(prefix);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** JSON form of a decoded PDU as the fixtures write it: Buffers as hex strings */
export function toJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)
      ? Buffer.from((x as { data: number[] }).data).toString('hex') : x));
}
