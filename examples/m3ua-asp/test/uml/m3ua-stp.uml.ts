/**
 * The m3ua-asp example against a real osmo-stp, both inside user-mode Linux: SCTP up, ASPUP/ASPUP_ACK,
 * REG_REQ/REG_RSP (dynamic routing key), ASPAC/ASPAC_ACK, DATA routed back, BEAT/BEAT_ACK; osmo-stp's VTY
 * lists the ASP as ASP_ACTIVE; SIGTERM -> ASPDN, exit 0.
 */
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { getBackend } from '@osmo/io';
import { requireSctp, withTimeout } from '../../../../packages/sctp/test/uml/helpers.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One VTY command; resolves with what came before the next prompt. */
async function vty(cmd: string): Promise<string> {
  const s = net.connect(4239, '127.0.0.1');
  let buf = '';
  s.setEncoding('latin1');
  s.on('data', (d: string) => { buf += d; });
  await withTimeout(new Promise<void>((res, rej) => { s.once('connect', () => res()); s.once('error', rej); }), 3000, 'vty connect');
  await withTimeout((async () => { while (!/OsmoSTP[>#] ?$/.test(buf)) await sleep(20); })(), 5000, 'vty prompt');
  buf = '';
  s.write(`${cmd}\r\n`);
  await withTimeout((async () => { while (!/OsmoSTP[>#] ?$/.test(buf)) await sleep(20); })(), 5000, () => `vty answer: ${buf}`);
  s.destroy();
  return buf.replace(/\r/g, '').replace(/OsmoSTP[>#] ?$/, '');
}

describe(`examples/m3ua-asp against osmo-stp (${getBackend()})`, function () {
  this.timeout(60000);
  let stp: ChildProcess | null = null;
  const stpLog: string[] = [];

  before(async function () {
    requireSctp(this);
    if (spawnSync('sh', ['-c', 'command -v osmo-stp']).status !== 0) {
      console.log('    SKIPPED: osmo-stp is not installed (apt-get install osmo-stp)');
      this.skip();
    }
    stp = spawn('osmo-stp', ['-c', here('../../stp-m3ua.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
    stp.stdout!.on('data', (d) => stpLog.push(String(d)));
    stp.stderr!.on('data', (d) => stpLog.push(String(d)));
    await withTimeout((async () => {
      for (;;) {
        const ok = await new Promise<boolean>((res) => {
          const s = net.connect(4239, '127.0.0.1', () => { s.destroy(); res(true); });
          s.on('error', () => res(false));
        });
        if (ok) return;
        await sleep(100);
      }
    })(), 15000, () => `osmo-stp VTY (log: ${stpLog.join('')})`);
  });

  after(() => { stp?.kill('SIGTERM'); });

  it('comes up ASP_ACTIVE with a dynamic routing key, exchanges DATA and BEAT, and leaves with ASPDN on SIGTERM', async function () {
    this.timeout(300000);
    // where tshark is installed, capture the exchange: Wireshark must decode our M3UA without malformed packets
    const pcap = `/tmp/m3ua-${getBackend()}.pcapng`;
    let cap: ChildProcess | null = null;
    if (spawnSync('sh', ['-c', 'command -v tshark']).status === 0) {
      cap = spawn('tshark', ['-i', 'lo', '-f', 'sctp', '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      cap.stderr!.on('data', (d) => { err += String(d); });
      // tshark loads every dissector before it captures: under UML on a busy host that can take a minute
      await withTimeout((async () => { while (!/Capturing on/.test(err)) await sleep(50); })(), 90000, () => `tshark start: ${err}`);
    } else console.log('      (tshark not installed: no capture)');
    const asp = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', here('../../src/main.ts'),
      '--stp', '127.0.0.1:2905', '--dpc', '0.23.2', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const events: Record<string, any>[] = [];
    createInterface({ input: asp.stdout! }).on('line', (l) => { try { events.push(JSON.parse(l)); } catch { /* not ours */ } });
    const seen = (e: string) => events.some((x) => x.event === e);
    try {
      // the ASP runs from its TypeScript source (tsx): starting it under UML on a busy host can take a minute
      await withTimeout((async () => { while (!(seen('asp_active') && seen('beat_ack'))) await sleep(50); })(), 100000,
        () => `ASP active + BEAT_ACK; events: ${JSON.stringify(events)}\nosmo-stp: ${stpLog.join('')}`);
      const show = await vty('show cs7 instance 0 asp');
      const rx = events.filter((e) => e.event === 'rx').map((e) => e.msg);
      expect(rx).to.include.members(['ASPUP_ACK', 'REG_RSP', 'ASPAC_ACK', 'BEAT_ACK']);
      expect(events.filter((e) => e.event === 'rx').every((e) => e.ppid === 3)).to.equal(true);
      const reg = events.find((e) => e.event === 'registered')!;
      expect(reg.status).to.equal(0);
      expect(events.find((e) => e.event === 'asp_active')!.routingContext).to.equal(reg.routingContext);
      const line = show.split('\n').find((l) => /ASP_ACTIVE/.test(l));
      expect(line, show).to.match(/m3ua/);
      // the DATA we sent to our own point code (our routing key) comes back through the STP
      await withTimeout((async () => { while (!seen('data')) await sleep(50); })(), 5000, 'DATA routed back');
      const data = events.find((e) => e.event === 'data')!;
      expect([data.opc, data.dpc, data.data]).to.deep.equal(['0.23.2', '0.23.2', 'm3ua-asp hello']);
      console.log(`      --- our events (${getBackend()}):`);
      for (const e of events) console.log(`      ${JSON.stringify(e)}`);
      console.log('      --- osmo-stp VTY: show cs7 instance 0 asp');
      for (const l of show.split('\n')) if (l.trim()) console.log(`      ${l}`);
      const exited = new Promise<number | null>((res) => asp.once('exit', (code) => res(code)));
      asp.kill('SIGTERM');
      expect(await withTimeout(exited, 5000, 'm3ua-asp exit')).to.equal(0);
      if (cap) {
        await sleep(300);
        const capDone = new Promise((res) => cap!.once('exit', res));
        cap.kill('SIGINT');
        await withTimeout(capDone, 10000, 'tshark stop');
        // one pass (tshark starts slowly under UML): every M3UA packet with class/type, and anything malformed
        const rows = spawnSync('tshark', ['-r', pcap, '-Y', 'm3ua || _ws.malformed', '-T', 'fields', '-e', 'm3ua.message_class',
          '-e', 'm3ua.message_type', '-e', '_ws.malformed'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim())
          .map((l) => l.split('\t'));
        const m3ua = rows.filter((r) => r[0]).map((r) => `${r[0]}/${r[1]}`);
        const malformed = rows.filter((r) => r[2]).length;
        console.log(`      --- tshark: ${m3ua.length} M3UA packets (class/type: ${m3ua.join(' ')}), malformed: ${malformed}`);
        expect(m3ua.length).to.be.at.least(10);
        expect(malformed).to.equal(0);
      }
      const summary = events.find((e) => e.event === 'summary')!;
      expect(summary.stateAtStop).to.equal('ASP_ACTIVE');
      expect(events.filter((e) => e.event === 'rx').map((e) => e.msg)).to.include('ASPDN_ACK');
    } finally { asp.kill('SIGKILL'); cap?.kill('SIGKILL'); }
  });
});
