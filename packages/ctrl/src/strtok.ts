/** strtok_r semantics over a JS string: leading delimiters skipped, one delimiter consumed after a token. */
export class Tokenizer {
  pos = 0;
  /** offset of the last returned token (or of the end when none) */
  lastStart = 0;
  constructor(private readonly s: string) {}
  next(delims: string): string | null {
    const s = this.s;
    let p = this.pos;
    while (p < s.length && delims.includes(s[p]!)) p++;
    if (p >= s.length) {
      this.pos = s.length;
      this.lastStart = s.length;
      return null;
    }
    const start = p;
    while (p < s.length && !delims.includes(s[p]!)) p++;
    const tok = s.slice(start, p);
    this.pos = p < s.length ? p + 1 : p;
    this.lastStart = start;
    return tok;
  }
  /** what strtok would continue from */
  rest(): string { return this.s.slice(this.pos); }
}

/** atoi(): optional sign and leading digits, 0 when none */
export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}
