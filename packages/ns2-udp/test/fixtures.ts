/** Test helper: the shared fixture loader (the same as @osmo/ipa's tests use). */
export { loadFixtures, hex, type Fixture } from '../../ipa/test/fixtures.js';

/** JSON form of a decoded PDU as the fixtures write it: Buffers as hex strings */
export function toJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)
      ? Buffer.from((x as { data: number[] }).data).toString('hex') : x));
}
