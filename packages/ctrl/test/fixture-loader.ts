/** Test helper: the shared ttcn-fixtures loader, imported by URL (it lives outside this package's rootDir). */
export interface Fixture<F> { name: string; hex: string; fields: F; source: string; file: string }
interface Loader {
  loadFixtures<F>(prefix: string): Fixture<F>[];
  fixtureBytes(f: { hex: string }): Buffer;
}
const loader = (await import(new URL('../../../ttcn-fixtures/index.ts', import.meta.url).href)) as Loader;

export const loadFixtures = <F>(prefix: string): Fixture<F>[] => loader.loadFixtures<F>(prefix);
export const fixtureBytes = (f: { hex: string }): Buffer => loader.fixtureBytes(f);
