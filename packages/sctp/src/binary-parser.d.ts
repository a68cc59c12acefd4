// binary-parser 2.x ships types, but its package.json "exports" hides them from moduleResolution nodenext;
// this declares the part of its API used here.
declare module 'binary-parser' {
  type Opts = Record<string, unknown>;
  export class Parser {
    constructor();
    endianness(e: 'little' | 'big'): this;
    seek(n: number): this;
    uint8(name: string): this;
    uint16(name: string): this;
    uint16be(name: string): this;
    uint32(name: string): this;
    uint32be(name: string): this;
    int32(name: string): this;
    buffer(name: string, opts: Opts): this;
    nest(name: string, opts: { type: Parser }): this;
    parse(b: Buffer | Uint8Array): unknown;
  }
}
