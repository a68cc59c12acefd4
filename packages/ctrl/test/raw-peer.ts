/** Test helper: a raw TCP peer (node:net) that speaks IPA frames byte-exactly, independent of the code under test. */
import { connect, type Socket } from 'node:net';

export function ctrlFrame(text: string | Buffer): Buffer {
  const t = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const b = Buffer.alloc(4 + t.length);
  b.writeUInt16BE(t.length + 1, 0);
  b[2] = 0xee;
  b[3] = 0x00;
  t.copy(b, 4);
  return b;
}

export class RawPeer {
  readonly sock: Socket;
  readonly frames: Buffer[] = [];
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 3) {
        const total = 3 + this.buf.readUInt16BE(0);
        if (this.buf.length < total) break;
        this.frames.push(this.buf.subarray(0, total));
        this.buf = this.buf.subarray(total);
      }
      this.wake();
    });
    this.closedPromise = new Promise((resolve) => sock.on('close', () => { this.closed = true; this.wake(); resolve(); }));
    sock.on('error', () => { /* close follows */ });
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, noDelay: true }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(b: Buffer | string): void { this.sock.write(typeof b === 'string' ? ctrlFrame(b) : b); }

  /** wait (for data or the close, no polling) until `done()` holds or the socket closed */
  async waitUntil(done: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
    if (done() || this.closed) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout waiting for ${what} (have ${this.frames.length} frames)`)), timeoutMs);
      const check = (): void => {
        if (done() || this.closed) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(check);
        }
      };
      this.waiters.push(check);
    });
  }

  /** wait until at least n frames arrived (or the socket closed) */
  async waitFrames(n: number, timeoutMs = 10000): Promise<Buffer[]> {
    await this.waitUntil(() => this.frames.length >= n, `${n} frames`, timeoutMs);
    return this.frames.slice(0, n);
  }

  /** next CTRL text (frames consumed in order) */
  async nextText(): Promise<string> {
    const [f] = await this.waitFrames(1);
    if (!f) throw new Error('connection closed, no frame');
    this.frames.shift();
    if (f[2] !== 0xee || f[3] !== 0x00) throw new Error(`not a CTRL frame: ${f.toString('hex')}`);
    return f.subarray(4).toString('latin1');
  }
  async nextFrame(): Promise<Buffer> {
    const [f] = await this.waitFrames(1);
    if (!f) throw new Error('connection closed, no frame');
    this.frames.shift();
    return f;
  }

  async request(text: string): Promise<string> {
    this.write(text);
    return this.nextText();
  }

  close(): void { this.sock.destroy(); }
}

export { sleep } from '../../io/test/loop.js';
