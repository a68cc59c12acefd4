/** A minimal Osmocom VTY (telnet) client for interop tests: run commands, collect the text up to the next prompt. */
import net from 'node:net';

export class Vty {
  private buf = '';
  private waiter: (() => void) | null = null;
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      // drop telnet option negotiation (IAC sequences)
      this.buf += d.replace(/\xff[\xfb-\xfe]./g, '').replace(/\xff./g, '');
      this.waiter?.();
    });
  }
  static async connect(port: number, host = '127.0.0.1'): Promise<Vty> {
    const s = net.connect(port, host);
    await new Promise<void>((res, rej) => { s.once('connect', res); s.once('error', rej); });
    const v = new Vty(s);
    await v.prompt();
    return v;
  }
  private async prompt(ms = 5000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const m = /\n?[\w-]+(\([\w-]+\))?[>#] $/.exec(this.buf);
      if (m) { const out = this.buf.slice(0, m.index); this.buf = ''; return out; }
      if (Date.now() > end) throw new Error(`VTY: no prompt (got ${JSON.stringify(this.buf.slice(-200))})`);
      await new Promise<void>((r) => { this.waiter = r; setTimeout(r, 50); });
    }
  }
  /** run one command; returns its output without the echo */
  async cmd(c: string): Promise<string> {
    this.sock.write(c + '\r\n');
    const out = await this.prompt();
    return out.replace(/\r/g, '').split('\n').filter((l) => l.trim() !== c && !/^[\w-]+(\([\w-]+\))?[>#] ?/.test(l)).join('\n');
  }
  close(): void { this.sock.destroy(); }
}
