/**
 * osmo-ctrl as a process and as runCli: one line on stderr and a non-zero exit for every failure, host names,
 * --help without the I/O addon, OSMO_IO_BACKEND=foo, SET too long / the server's verification reason, monitor
 * stopped by SIGINT without "connection lost", control characters from the peer escaped.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CtrlRegistry, CtrlServer, CtrlTree } from '../src/index.js';
import { runCli, EXIT as CLI_EXIT } from '../src/cli.js';
import { Lines } from './lines.js';
import { sleep } from './raw-peer.js';
import { runBin } from './run-bin.js';

const BIN = fileURLToPath(new URL('../bin/osmo-ctrl.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}

describe(`osmo-ctrl failures and host names (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  let srv: CtrlServer;
  let trapValue = '';
  before(() => { if (!existsSync(DIST)) throw new Error('packages/ctrl/dist missing: run `npx tsc -b` (npm test builds it)'); });
  beforeEach(() => {
    const tree = new CtrlTree();
    tree.root.command({ name: 'evil', get: () => 'a\x1b[31mred\x07\x9b!' });
    tree.root.command({ name: 'lines', get: () => 'imsi1,1\nimsi2,2\tx\r' });
    tree.root.command({ name: 'num', get: () => '1', verify: (_r, v) => (/^\d+$/.test(v) ? true : 'value must be a number'), set: (r) => r.value! });
    tree.root.command({ name: 'plain', get: () => 'ok', verify: (_r, v) => v === 'ok', set: (r) => r.value! });
    srv = new CtrlServer({ tree, registry: new CtrlRegistry() });
    srv.open();
    trapValue = '';
  });
  afterEach(() => srv.close());

  it('--help without a built addon: exit 0, the usage on stdout', async () => {
    const r = await runBin(BIN, ['--help'], { noAddon: true });
    expect(r.code).to.equal(0);
    expect(r.out).to.contain('usage: osmo-ctrl');
    expect(r.err).to.equal('');
  });

  it('without the addon a command fails with one line (exit 5), usage errors still say what is wrong', async () => {
    const r = await runBin(BIN, ['--port', String(srv.port), 'get', 'evil'], { noAddon: true });
    expect(r.code).to.equal(CLI_EXIT.IO_SETUP);
    expect(r.errLines).to.have.length(1);
    expect(r.errLines[0]).to.match(/^osmo-ctrl: @osmo\/io: the native addon \/nonexistent\/osmo_io\.node does not load here \(Cannot find module/);
    const u = await runBin(BIN, ['--port', '0', 'get', 'x'], { noAddon: true });
    expect(u.code).to.equal(CLI_EXIT.USAGE);
    expect(u.errLines).to.deep.equal(['osmo-ctrl: invalid port 0 (1..65535) (see osmo-ctrl --help)']);
  });

  it('OSMO_IO_BACKEND=foo: one clear line, exit 5, no stack trace', async () => {
    const r = await runBin(BIN, ['--port', String(srv.port), 'get', 'evil'], { env: { OSMO_IO_BACKEND: 'foo' } });
    expect(r.code).to.equal(CLI_EXIT.IO_SETUP);
    expect(r.errLines).to.deep.equal(['osmo-ctrl: invalid OSMO_IO_BACKEND "foo": use poll or io_uring']);
  });

  it('bad values: one line each with our message (negative numbers are not "ambiguous")', async () => {
    const cases: [string[], RegExp][] = [
      [['--port', '99999', 'get', 'x'], /^osmo-ctrl: invalid port 99999 \(1\.\.65535\)/],
      [['--port', '-5', 'get', 'x'], /^osmo-ctrl: invalid port -5 \(1\.\.65535\)/],
      [['--port', '1.5', 'get', 'x'], /^osmo-ctrl: invalid port 1\.5/],
      [['--timeout', '-1', 'get', 'x'], /^osmo-ctrl: invalid timeout -1/],
      [['--timeout', 'abc', 'get', 'x'], /^osmo-ctrl: invalid timeout abc/],
      [['--host', '', 'get', 'x'], /^osmo-ctrl: --host must not be empty/],
      [['--host', '[]', 'get', 'x'], /^osmo-ctrl: --host must not be empty/],
      [['--host', '[::1]:99999', 'get', 'x'], /^osmo-ctrl: invalid port 99999 \(1\.\.65535\)/],
      [['--host', 'h:1', '--port', '2', 'get', 'x'], /^osmo-ctrl: --host h:1 names port 1, --port says 2/],
      [['--bogus'], /^osmo-ctrl: Unknown option '--bogus'/],
    ];
    for (const [argv, re] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).to.equal(CLI_EXIT.USAGE);
      expect(r.err, argv.join(' ')).to.have.length(1);
      expect(r.err[0], argv.join(' ')).to.match(re).and.not.contain('ambiguous');
    }
  });

  it("--host localhost and '[::1]' / '::1' work", async function () {
    expect(await cli(['--host', 'localhost', '--port', String(srv.port), 'get', 'num'])).to.deep.equal({ code: 0, out: ['1'], err: [] });
    expect(await cli(['--host', `localhost:${srv.port}`, 'get', 'num'])).to.deep.equal({ code: 0, out: ['1'], err: [] });
    const tree = new CtrlTree();
    tree.root.command({ name: 'where', get: () => 'v6' });
    let s6: CtrlServer;
    try { s6 = new CtrlServer({ tree, registry: new CtrlRegistry(), address: '::1' }); s6.open(); } catch { this.skip(); }
    try {
      for (const host of ['[::1]', '::1']) {
        expect(await cli(['--host', host, '--port', String(s6.port), 'get', 'where'])).to.deep.equal({ code: 0, out: ['v6'], err: [] });
      }
      expect(await cli(['--host', `[::1]:${s6.port}`, 'get', 'where'])).to.deep.equal({ code: 0, out: ['v6'], err: [] });
    } finally {
      s6.close();
    }
  });

  it('--host nonexistent.invalid: exit 3, one line naming the host and ENOTFOUND', async () => {
    const r = await cli(['--host', 'nonexistent.invalid', '--port', '4249', 'get', 'x']);
    expect(r.code).to.equal(CLI_EXIT.CONNECTION);
    expect(r.err).to.deep.equal(['osmo-ctrl: cannot connect to nonexistent.invalid:4249: host name not found (ENOTFOUND nonexistent.invalid)']);
  });

  // needs the core's errno fix on io_uring (until then: "connect ENOTCONN")
  it('nothing listens: exit 3, "connection refused (ECONNREFUSED)"', async () => {
    const port = srv.port;
    srv.close();
    const r = await cli(['--port', String(port), 'get', 'x']);
    expect(r.code).to.equal(CLI_EXIT.CONNECTION);
    expect(r.err).to.deep.equal([`osmo-ctrl: cannot connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`]);
  });

  it('SET: a value too long for a CTRL frame is refused before sending, saying why', async () => {
    let accepted = 0;
    srv.on('connection', () => accepted++);
    const r = await cli(['--port', String(srv.port), 'set', 'num', 'x'.repeat(1300)]);
    expect(r.code).to.equal(CLI_EXIT.USAGE);
    expect(r.err).to.have.length(1);
    expect(r.err[0]).to.match(/^osmo-ctrl: VALUE too long: the SET message would be \d+ bytes, a CTRL frame holds at most 1196$/);
    expect(accepted).to.equal(0);
  });

  it("SET: the server's verification reason is printed (and upstream's default text where it sends none)", async () => {
    const r = await cli(['--port', String(srv.port), 'set', 'num', 'abc']);
    expect(r).to.deep.equal({ code: CLI_EXIT.ERROR_REPLY, out: [], err: ['osmo-ctrl: ERROR: value must be a number'] });
    const d = await cli(['--port', String(srv.port), 'set', 'plain', 'nope']);
    expect(d.err).to.deep.equal(['osmo-ctrl: ERROR: Value failed verification.']);
  });

  it('control characters from the peer are shown escaped (GET, TRAP, TRAP --json)', async () => {
    const g = await cli(['--port', String(srv.port), 'get', 'evil']);
    expect(g.out).to.deep.equal(['a\\x1b[31mred\\x07\\x9b!']);
    // multi-line replies (subscriber lists) keep newline and tab; CR is escaped
    expect((await cli(['--port', String(srv.port), 'get', 'lines'])).out).to.deep.equal(['imsi1,1\nimsi2,2\tx\\x0d']);
    for (const json of [false, true]) {
      const ac = new AbortController();
      const lines = new Lines();
      const err = new Lines();
      const done = runCli(['--port', String(srv.port), ...(json ? ['--json'] : []), 'monitor'],
        { stdout: lines.push, stderr: err.push, signal: ac.signal });
      await err.until((l) => l.some((x) => x.includes('monitoring TRAPs')));
      srv.sendTrap('t', 'x\x1b]0;pwned\x07y\x85');
      await lines.until((l) => l.length >= 1);
      ac.abort();
      expect(await done).to.equal(0);
      const out = lines.all;
      expect(out[0]).to.not.match(/[\x00-\x1f\x7f-\x9f]/);
      if (json) expect(JSON.parse(out[0]!)).to.include({ variable: 't', value: 'x\x1b]0;pwned\x07y\x85' });
      else expect(out[0]).to.equal('TRAP t x\\x1b]0;pwned\\x07y\\x85');
    }
    void trapValue;
  });

  it('monitor stopped by SIGINT (the bin): exit 0, no "connection lost"', async () => {
    const r = await runBin(BIN, ['--port', String(srv.port), 'monitor'], {
      onSpawn: (ch, st) => {
        void (async () => {
          while (!st.err.includes('monitoring TRAPs')) await sleep(10);
          srv.sendTrap('trap-test', 'one');
          while (!st.out.includes('one')) await sleep(10);
          ch.kill('SIGINT');
        })();
      },
    });
    expect(r.code).to.equal(0);
    expect(r.out).to.equal('TRAP trap-test one\n');
    expect(r.err).to.not.contain('lost');
    expect(r.errLines.at(-1)).to.equal('osmo-ctrl: 1 TRAP(s) received');
  });
});
