// bsc-link-sim as a process: one line on stderr and a non-zero exit for every failure (bad values, nothing listening,
// a silent BSC, an unknown host, OSMO_IO_BACKEND=foo), --help without the addon, host names and IPv6, --json
// progress during the run, the summary table per mode, CTRL on loopback with --listen 0.0.0.0, and the BSC side's
// state bounded by --bts x --trx however many unit ids peers present.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { CtrlClient } from '@osmo/ctrl';
import { sock } from '@osmo/io';
import { runBin } from '../../../packages/ctrl/test/run-bin.js';
import { formatSummary, type SimSummary } from '../src/stats.js';
import { spawnCli, type CliProc } from './spawn-cli.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const TSX = ['--import', 'tsx', '--conditions=source'];
const run = (args: string[], opts: { env?: NodeJS.ProcessEnv; noAddon?: boolean } = {}): ReturnType<typeof runBin> =>
  runBin(CLI, args, { ...opts, nodeArgs: TSX });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The address a TCP port listens on, from /proc/net/tcp (IPv4): e.g. '127.0.0.1' or '0.0.0.0'. */
function listenAddress(port: number): string | null {
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '0A') continue;
    const [hex, p] = f[1]!.split(':');
    if (parseInt(p!, 16) !== port) continue;
    const n = parseInt(hex!, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
  }
  return null;
}

/** IPA CCM ID_RESP with a unit id (tag 0x08), and ID_ACK. */
function ipaIdResp(unitId: string): Buffer {
  const v = Buffer.from(`${unitId}\0`, 'latin1');
  const payload = Buffer.concat([Buffer.from([0x05, (v.length + 1) >> 8, (v.length + 1) & 255, 0x08]), v]);
  return Buffer.concat([Buffer.from([payload.length >> 8, payload.length & 255, 0xfe]), payload]);
}
const IPA_ID_ACK = Buffer.from([0x00, 0x01, 0xfe, 0x06]);

const procs: CliProc[] = [];
function spawnTracked(args: string[], env?: NodeJS.ProcessEnv): CliProc {
  const p = spawnCli(args, env);
  procs.push(p);
  return p;
}

describe(`bsc-link-sim CLI failures, names, output (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  this.timeout(40000);
  afterEach(() => { for (const p of procs.splice(0)) p.kill(); });

  it('--help works without the addon', async () => {
    const r = await run(['--help'], { noAddon: true });
    expect(r.code).to.equal(0);
    expect(r.err).to.equal('');
    for (const opt of ['--bsc HOST:PORT', '--listen [H:]PORT', '--ctrl-bind ADDR', '--json', 'exit codes']) expect(r.out).to.contain(opt);
  });

  it('bad values: one line each, our message, exit 2 (nothing of the I/O layer loaded)', async () => {
    const cases: [string[], string][] = [
      [['--bsc', '127.0.0.1:99999'], 'invalid --bsc 127.0.0.1:99999: port must be 1..65535'],
      [['--bsc', '127.0.0.1:0'], 'invalid --bsc 127.0.0.1:0: port must be 1..65535'],
      [['--bsc', 'localhost'], 'invalid --bsc localhost: HOST:PORT (IPv6 in brackets: [::1]:3002)'],
      [['--bsc', '::1:3002'], 'invalid --bsc ::1:3002: HOST:PORT (IPv6 in brackets: [::1]:3002)'],
      [['--bts', '1.5'], 'invalid --bts 1.5: an integer from 1 to 10000'],
      [['--bts', '-3'], 'invalid --bts -3: an integer from 1 to 10000'],
      [['--trx', '9'], 'invalid --trx 9: an integer from 1 to 8'],
      [['--rate', 'abc'], 'invalid --rate abc: a number from 0 to 100000'],
      [['--duration', '-1'], 'invalid --duration -1: a number from 0 to 31536000'],
      [['--ctrl-port', '65536'], 'invalid --ctrl-port 65536: an integer from 0 to 65535'],
      [['--listen', '127.0.0.1:x'], 'invalid --listen 127.0.0.1:x: port must be 0..65535'],
      [['--listen', '0', '--bsc', '127.0.0.1:1'], '--listen and --bsc exclude each other'],
      [['--backend', 'epoll'], 'unknown --backend epoll: auto, poll, io_uring or node-net'],
      [['--bts'], "Option '--bts <value>' argument missing"],
    ];
    for (const [args, msg] of cases) {
      const r = await run(args, { noAddon: true });
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.errLines, args.join(' ')).to.deep.equal([`bsc-link-sim: ${msg} (see bsc-link-sim --help)`]);
    }
  });

  it('OSMO_IO_BACKEND=foo: one clear line, exit 4 (no silent fallback)', async () => {
    const r = await run(['--duration', '1', '--bts', '1', '--trx', '1'], { env: { OSMO_IO_BACKEND: 'foo' } });
    expect(r.code).to.equal(4);
    expect(r.errLines).to.deep.equal(['bsc-link-sim: invalid OSMO_IO_BACKEND "foo": use poll or io_uring']);
  });

  it('the addon cannot be loaded (--backend auto): runs on node-net without a CTRL interface, says so, exit 0', async () => {
    const r = await run(['--duration', '0.5', '--bts', '1', '--trx', '1', '--json'], { noAddon: true });
    expect(r.code, r.err).to.equal(0);
    expect(r.errLines).to.have.length(2);
    expect(r.errLines[0]).to.match(/^bsc-link-sim: @osmo\/io unavailable \(@osmo\/io: the native addon \/nonexistent\/osmo_io\.node does not load here \(Cannot find module .*\); using node-net$/);
    expect(r.errLines[1]).to.equal('bsc-link-sim: no CTRL interface without @osmo/io');
    const summary = JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(summary).to.include({ event: 'summary', backend: 'node-net', ctrlPort: null, lost: 0, unaccounted: 0 });
  });

  it('the addon cannot be loaded and --ctrl-port asks for CTRL: cannot start, exit 4', async () => {
    const r = await run(['--duration', '0.5', '--bts', '1', '--trx', '1', '--ctrl-port', '0'], { noAddon: true });
    expect(r.code, r.err).to.equal(4);
    expect(r.errLines.at(-1)).to.match(/^bsc-link-sim: cannot start the BSC side on 127\.0\.0\.1:0: @osmo\/io: the native addon \/nonexistent\/osmo_io\.node does not load here/);
  });

  // the osmo-io transport needs the core's errno fix on io_uring (until then the reason reads "connect ENOTCONN")
  for (const backend of ['auto', 'node-net']) {
    it(`--bsc where nothing listens (--backend ${backend}): says the BSC refused, exit 3`, async () => {
      const port = await closedPort();
      const r = await run(['--bsc', `127.0.0.1:${port}`, '--bts', '1', '--trx', '1', '--duration', '1.5', '--backend', backend]);
      expect(r.code, r.err).to.equal(3);
      expect(r.errLines[0]).to.equal(`bsc-link-sim: connecting to the BSC at 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}; retrying every 1 s`);
      expect(r.errLines.at(-1)).to.match(new RegExp(`^bsc-link-sim: no link came up: the BSC at 127\\.0\\.0\\.1:${port} refused the connection \\(ECONNREFUSED, \\d+ attempts\\)$`));
      expect(r.err).to.not.match(/\n\s+at /);
      // the table: BTS side only, no rows of a BSC side that is not here
      expect(r.out).to.contain('BTS side against a remote BSC').and.contain('failed connect attempts');
      for (const row of ['RSL messages received', 'lost (gaps seen by BSC)', 'unaccounted', 'CTRL port']) expect(r.out).to.not.contain(row);
    });
  }

  it('--bsc that accepts TCP but never speaks IPA: "never completed the IPA identity handshake", exit 3', async () => {
    const socks = new Set<net.Socket>();
    const silent = net.createServer((s) => { socks.add(s); s.on('error', () => undefined); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const r = await run(['--bsc', `127.0.0.1:${port}`, '--bts', '1', '--trx', '1', '--duration', '1']);
      expect(r.code, r.err).to.equal(3);
      expect(r.errLines.at(-1)).to.equal(`bsc-link-sim: no link came up: the BSC at 127.0.0.1:${port} accepted 1 connection(s) but never completed the IPA identity handshake`);
    } finally {
      for (const s of socks) s.destroy();
      silent.close();
    }
  });

  it('--bsc that does not answer (its accept queue is full: SYNs are dropped): "did not answer", exit 3', async () => {
    // a listening socket nobody accepts on, backlog 1, filled by two connections of ours
    const fd = sock.inet({ proto: 'tcp', local: { address: '127.0.0.1', port: 0 }, listen: 1 });
    const port = (sock.localAddress(fd) as { port: number }).port;
    const fillers = [0, 1].map(() => net.connect(port, '127.0.0.1').on('error', () => undefined));
    try {
      await Promise.all(fillers.map((s) => new Promise((r) => s.once('connect', r))));
      const r = await run(['--bsc', `127.0.0.1:${port}`, '--bts', '1', '--trx', '1', '--duration', '1.5']);
      expect(r.code, r.err).to.equal(3);
      expect(r.errLines.at(-1)).to.match(new RegExp(`^bsc-link-sim: no link came up: the BSC at 127\\.0\\.0\\.1:${port} did not answer within 1\\.\\d s$`));
    } finally {
      for (const s of fillers) s.destroy();
      sock.close(fd);
    }
  });

  it('--bsc nonexistent.invalid:3002: one line with ENOTFOUND and the name, exit 3', async () => {
    const r = await run(['--bsc', 'nonexistent.invalid:3002', '--duration', '1']);
    expect(r.code).to.equal(3);
    expect(r.errLines).to.deep.equal(['bsc-link-sim: cannot resolve nonexistent.invalid: getaddrinfo ENOTFOUND nonexistent.invalid']);
  });

  it('--json streams progress objects while it runs, the summary last', async () => {
    const p = spawnTracked(['--bts', '2', '--trx', '1', '--rate', '5', '--duration', '2.5', '--json']);
    const first = await p.next((e) => e['event'] === 'progress', 8000);
    expect(p.child.exitCode, 'a progress object arrived while the run was still going').to.equal(null);
    expect(first).to.include.keys('t', 'omlUp', 'rslUp', 'msgsPerS', 'cpuPercent', 'backend');
    expect(await p.exited).to.equal(0);
    const last = p.events.at(-1)!;
    expect(last['event']).to.equal('summary');
    expect(last['ctrlPort']).to.be.a('number');
    expect(p.events.filter((e) => e['event'] === 'progress').length).to.be.at.least(2);
  });

  it('the table shows the CTRL port and only the rows of the mode', async () => {
    const r = await run(['--bts', '2', '--trx', '1', '--rate', '5', '--duration', '1']);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/\| CTRL port +\| \d+ +\|/).and.contain('unaccounted').and.contain('RSL messages sent');
    const none = await run(['--bts', '1', '--trx', '1', '--duration', '0.5', '--ctrl-port', 'none']);
    expect(none.out).to.match(/\| CTRL port +\| none +\|/);
    const base: SimSummary = {
      mode: 'bsc', backend: 'poll', bts: 1, trxPerBts: 1, durationS: 1, omlLinksUp: 1, rslLinksUp: 1, linksExpected: 2,
      omlBringupsCompleted: 1, reconnects: 0, sent: 0, received: 5, lost: 0, duplicates: 0, unaccounted: 0, rslDecodeErrors: 0,
      cpuPercent: 1, cpuUsPerMessage: 1, msgsPerSecond: 5, ctrlPort: 4249, rejectedUnits: 0,
    };
    const bsc = formatSummary(base);
    expect(bsc).to.match(/\| CTRL port +\| 4249 +\|/).and.contain('RSL messages received').and.contain('OML connections accepted');
    for (const row of ['RSL messages sent', 'unaccounted', 'failed connect attempts', 'n/a (BSC side only)']) expect(bsc).to.not.contain(row);
  });

  it('host names: --listen localhost:0 and --bsc localhost:PORT bring the links up', async () => {
    const bscP = spawnTracked(['--listen', 'localhost:0', '--bts', '1', '--trx', '1', '--control']);
    const ready = await bscP.next((e) => e['event'] === 'ready', 10000);
    expect(ready['host']).to.equal('127.0.0.1');
    const r = await run(['--bsc', `localhost:${String(ready['omlPort'])}`, '--bts', '1', '--trx', '1', '--rate', '5', '--duration', '1.5', '--json']);
    expect(r.code, r.err).to.equal(0);
    const summary = JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, number>;
    expect(summary['omlUps']).to.be.at.least(1);
    expect(summary['omlLinksUp']).to.equal(1);
  });

  it('IPv6 in brackets: --listen [::1]:0 and --bsc [::1]:PORT', async function () {
    const probe = net.createServer();
    try { await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.listen(0, '::1', resolve); }); } catch { this.skip(); }
    probe.close();
    const bscP = spawnTracked(['--listen', '[::1]:0', '--bts', '1', '--trx', '1', '--control']);
    const ready = await bscP.next((e) => e['event'] === 'ready', 10000);
    expect(ready['host']).to.equal('::1');
    const r = await run(['--bsc', `[::1]:${String(ready['omlPort'])}`, '--bts', '1', '--trx', '1', '--rate', '5', '--duration', '1.5', '--json']);
    expect(r.code, r.err).to.equal(0);
    expect((JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, number>)['omlUps']).to.be.at.least(1);
  });

  it('--listen 0.0.0.0:0 keeps CTRL on 127.0.0.1; --ctrl-bind 0.0.0.0 asks for more', async () => {
    const p = spawnTracked(['--listen', '0.0.0.0:0', '--bts', '1', '--trx', '1', '--control']);
    const ready = await p.next((e) => e['event'] === 'ready', 10000);
    expect(ready['ctrlHost']).to.equal('127.0.0.1');
    expect(listenAddress(ready['omlPort'] as number)).to.equal('0.0.0.0');
    expect(listenAddress(ready['ctrlPort'] as number)).to.equal('127.0.0.1');
    const c = new CtrlClient({ port: ready['ctrlPort'] as number });
    await c.connect();
    expect(await c.get('number-of-bts')).to.equal('0');
    c.close();
    const q = spawnTracked(['--listen', '127.0.0.1:0', '--bts', '1', '--trx', '1', '--control', '--ctrl-bind', '0.0.0.0']);
    const r2 = await q.next((e) => e['event'] === 'ready', 10000);
    expect(listenAddress(r2['ctrlPort'] as number)).to.equal('0.0.0.0');
    expect(listenAddress(r2['omlPort'] as number)).to.equal('127.0.0.1');
  });

  it('--listen: unit ids outside --bts x --trx are refused; the state stays bounded (300 ids presented)', async () => {
    const p = spawnTracked(['--listen', '127.0.0.1:0', '--bts', '2', '--trx', '1', '--control']);
    const ready = await p.next((e) => e['event'] === 'ready', 10000);
    let closed = 0;
    const isClosed = new Array<boolean>(300).fill(false);
    const links = Array.from({ length: 300 }, (_, i) => {
      // site 1801.. (BTS 0..297) and, for the first two sites, a TRX number beyond --trx (5..6)
      const unitId = i < 298 ? `${1801 + i}/0/0` : `${1801 + i - 298}/0/${i - 293}`;
      const s = net.connect(ready['omlPort'] as number, '127.0.0.1');
      s.on('error', () => undefined);
      s.once('data', () => s.write(Buffer.concat([ipaIdResp(unitId), IPA_ID_ACK]))); // the server's ID_GET
      s.on('close', () => { closed++; isClosed[i] = true; });
      return s;
    });
    try {
      const end = Date.now() + 20000;
      while (closed < 298 && Date.now() < end) await sleep(20);
      // every id but BTS 0 and 1 (TRX 0) was refused: exactly those two links are open (no quiet window needed)
      expect(isClosed.flatMap((c, i) => (c ? [] : [i]))).to.deep.equal([0, 1]);
      const c = new CtrlClient({ port: ready['ctrlPort'] as number });
      await c.connect();
      expect(await c.get('number-of-bts')).to.equal('2');
      c.close();
      expect(closed).to.equal(298);
      const summary = await p.request('exit', 'summary', 10000);
      expect(summary['rejectedUnits']).to.equal(298);
    } finally {
      for (const l of links) l.destroy();
    }
  });
});
