/**
 * binary-parser 2 ships its types, but its package.json "exports" hides them from `moduleResolution: nodenext`;
 * the part of its API this package uses.
 */
declare module 'binary-parser' {
  type Formatter = (v: unknown) => unknown;
  interface ArrayOptions { type: string | Parser; length?: number; readUntil?: 'eof'; formatter?: Formatter }
  export class Parser {
    constructor();
    endianness(e: 'big' | 'little'): this;
    uint8(name: string, opts?: { formatter?: Formatter }): this;
    uint16(name: string, opts?: { formatter?: Formatter }): this;
    uint16be(name: string, opts?: { formatter?: Formatter }): this;
    array(name: string, opts: ArrayOptions): this;
    parse(buf: Uint8Array): unknown;
  }
}
