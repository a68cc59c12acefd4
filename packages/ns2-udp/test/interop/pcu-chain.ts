/**
 * The real BSS side of IP-SNS: osmo-bsc (bsc-gprs config) + osmo-bts-trx + osmo-pcu (gb-dialect ip-sns). The BTS
 * and the PCU each run in a restart loop (the BTS exits when OML closes, the PCU when the PCU socket drops), from
 * one scratch directory (both use the relative PCU socket path `pcu_bts`). The PCU's NS-VC: 127.0.0.1:23010 ->
 * the SGSN on 127.0.0.1:23001; NSEI 1800, BVCI 1800.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, PEERS_DIR } from './daemon.js';
import { Vty } from './vty.js';

export class PcuChain {
  private loops: ChildProcess[] = [];
  private constructor(readonly bsc: Daemon, readonly dir: string) {}

  static async start(): Promise<PcuChain> {
    const bsc = await Daemon.start('osmo-bsc', ['osmo-bsc-gprs.cfg'], 4242);
    if (!bsc.started) {
      // someone else's osmo-bsc: only usable with our GPRS config (NS-VC to the SGSN on 127.0.0.1:23001)
      const vty = await Vty.connect(4242);
      const cfg = await vty.cmd('show running-config');
      vty.close();
      if (!/gprs nsvc 0 remote udp port 23001/.test(cfg))
        throw new Error('an osmo-bsc without the GPRS config of test/peers/osmo-bsc-gprs.cfg listens on VTY 4242: stop it first');
    }
    const dir = mkdtempSync(join(tmpdir(), 'ns-interop-pcu-'));
    for (const c of ['osmo-pcu.cfg', 'osmo-bts-trx.cfg']) copyFileSync(join(PEERS_DIR, c), join(dir, c));
    const chain = new PcuChain(bsc, dir);
    // the PCU must be connected before the BTS reports its features: start it first
    chain.loop('osmo-pcu -c osmo-pcu.cfg');
    await new Promise((r) => setTimeout(r, 500));
    chain.loop('osmo-bts-trx -c osmo-bts-trx.cfg');
    return chain;
  }
  log = '';
  private loop(cmd: string): void {
    const p = spawn('sh', ['-c', `while true; do ${cmd}; sleep 0.3; done`], { cwd: this.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (b: Buffer) => { this.log += b.toString(); });
    p.stderr!.on('data', (b: Buffer) => { this.log += b.toString(); });
    this.loops.push(p);
  }
  /** kill the running osmo-pcu; its loop starts a new one */
  restartPcu(): void {
    spawnSync('pkill', ['-x', '-P', String(this.loops[0]!.pid), 'osmo-pcu']);
  }
  async stop(): Promise<void> {
    for (const p of this.loops) {
      try { process.kill(-p.pid!, 'SIGTERM'); } catch { /* gone */ }
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const p of this.loops) {
      try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    this.loops = [];
    await this.bsc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
