// Test helper: one CTRL GET over IPA (proto 0xEE, ext 0x00) with node:net, independent of the code under test.
import net from 'node:net';

export function ctrlGet(host: string, port: number, variable: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const id = String(Math.floor(Math.random() * 1e6));
    const text = Buffer.from(`\0GET ${id} ${variable}`, 'latin1');
    const h = Buffer.alloc(3); h.writeUInt16BE(text.length, 0); h[2] = 0xee;
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`CTRL GET ${variable}: timeout`)); }, timeoutMs);
    s.on('connect', () => s.write(Buffer.concat([h, text])));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 3 && buf.length >= 3 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0), proto = buf[2];
        const payload = buf.subarray(3, 3 + len).toString('latin1');
        buf = buf.subarray(3 + len);
        if (proto !== 0xee) continue;
        const m = /^\0(GET_REPLY|ERROR) (\S+) (.*)$/s.exec(payload);
        if (!m || (m[2] !== id && m[2] !== 'err')) continue;
        clearTimeout(timer); s.destroy();
        if (m[1] === 'ERROR') reject(new Error(`CTRL ERROR: ${m[3]}`));
        else resolve(m[3]!.slice(variable.length + 1));
        return;
      }
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

export async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try { last = await fn(); if (ok(last)) return last; } catch { /* retry */ }
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms, last value ${String(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
