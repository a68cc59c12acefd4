/** A tshark capture on loopback for the interop runs, decoded afterwards with gprs-ns on the given UDP ports. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Capture {
  private constructor(private readonly proc: ChildProcess, private readonly dir: string, readonly file: string) {}
  /** null when tshark cannot capture here (not installed / no permission) */
  static async start(filter: string): Promise<Capture | null> {
    if (spawnSync('sh', ['-c', 'command -v tshark']).status !== 0) return null;
    const dir = mkdtempSync(join(tmpdir(), 'ns-cap-'));
    const file = join(dir, 'ns.pcapng');
    const proc = spawn('tshark', ['-q', '-i', 'lo', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const end = Date.now() + 5000;
    while (!/Capturing on/.test(err)) {
      if (proc.exitCode !== null || Date.now() > end) { proc.kill(); rmSync(dir, { recursive: true, force: true }); return null; }
      await new Promise((r) => setTimeout(r, 50));
    }
    return new Capture(proc, dir, file);
  }
  /** stop, then decode: one row per NS PDU (udp ports, PDU type, expert infos) */
  async stop(nsPorts: number[]): Promise<{ rows: string[][]; malformed: string[] }> {
    await new Promise((r) => setTimeout(r, 500)); // let the last packets reach the file
    this.proc.kill('SIGINT');
    await new Promise((r) => this.proc.once('exit', r));
    if (!existsSync(this.file) || statSync(this.file).size === 0) return { rows: [], malformed: ['no capture file'] };
    const dec = nsPorts.flatMap((p) => ['-d', `udp.port==${p},gprs-ns`]);
    const r = spawnSync('tshark', ['-r', this.file, ...dec, '-Y', 'gprs-ns', '-T', 'fields', '-E', 'separator=|',
      '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'nsip.pdu_type', '-e', '_ws.expert', '-e', '_ws.col.Info'], { encoding: 'utf8' });
    const rows = r.stdout.split('\n').filter(Boolean).map((l) => l.split('|'));
    return { rows, malformed: rows.filter((c) => /Malformed|Dissector bug/i.test(c[3] ?? '')).map((c) => c.join('|')) };
  }
  cleanup(): void { rmSync(this.dir, { recursive: true, force: true }); }
}
