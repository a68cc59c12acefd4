/**
 * Real Osmocom daemons for the NS interop tests, from this package's own configs (test/peers/). A daemon already
 * listening on its VTY port (e.g. started by scripts/peers.sh) is reused and left running; one started here is
 * stopped by `stop()`. Skips the suite when the binary is missing (CI installs the Debian packages).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));

export function hasBinary(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

export async function tcpListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export class Daemon {
  private proc: ChildProcess | null = null;
  private dir: string | null = null;
  private constructor(readonly name: string) {}

  /** start `bin -c cfg` in a scratch dir (cwd), wait until `vtyPort` listens; reuse a running one */
  static async start(bin: string, cfgs: string[], vtyPort: number, args: (dir: string) => string[] = (d) => ['-c', join(d, cfgs[0]!)]): Promise<Daemon> {
    const d = new Daemon(bin);
    if (await tcpListening(vtyPort)) return d; // someone else's daemon: use it, leave it running
    d.dir = mkdtempSync(join(tmpdir(), `ns-interop-${bin}-`));
    for (const c of cfgs) copyFileSync(join(PEERS_DIR, c), join(d.dir, c));
    d.proc = spawn(bin, args(d.dir), { cwd: d.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    d.log = '';
    d.proc.stdout!.on('data', (b: Buffer) => { d.log += b.toString(); });
    d.proc.stderr!.on('data', (b: Buffer) => { d.log += b.toString(); });
    const end = Date.now() + 15000;
    while (!(await tcpListening(vtyPort))) {
      if (d.proc.exitCode !== null || Date.now() > end) throw new Error(`${bin} did not come up: ${d.log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return d;
  }
  /** stdout+stderr of a daemon started here ('' for a reused one) */
  log = '';
  get started(): boolean { return this.proc !== null; }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 3000);
      await new Promise((r) => p.once('exit', r));
      clearTimeout(t);
    }
    this.proc = null;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

