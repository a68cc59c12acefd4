/**
 * osmo-ctrl-server as a process: --help documents every option (also without the I/O addon), bad values are one
 * line and exit 2, OSMO_IO_BACKEND=foo one line, --bind takes host names and IPv6 in brackets.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CtrlClient } from '@osmo/ctrl';
import { runBin } from '../../../packages/ctrl/test/run-bin.js';
import { PROGRAM_NAME } from '../src/index.js';

const BIN = fileURLToPath(new URL('../bin/osmo-ctrl-server.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Start the server with --json, check it with a GET name through `host`, stop it with SIGINT. */
async function serveAndGet(args: string[], host: string): Promise<{ listening: Record<string, unknown>; code: number | null }> {
  let listening: Record<string, unknown> | null = null;
  let got = '';
  const r = await runBin(BIN, ['--port', '0', '--json', '--progress', '0', ...args], {
    onSpawn: (ch, st) => {
      void (async () => {
        while (!st.out.includes('\n') && ch.exitCode === null) await sleep(10);
        if (ch.exitCode !== null) return;
        listening = JSON.parse(st.out.split('\n')[0]!) as Record<string, unknown>;
        const c = new CtrlClient({ host, port: listening['port'] as number });
        try { await c.connect(); got = await c.get('name'); } finally { c.close(); }
        ch.kill('SIGINT');
      })().catch(() => ch.kill('SIGINT'));
    },
  });
  expect(got, r.err).to.equal(PROGRAM_NAME);
  return { listening: listening!, code: r.code };
}

describe(`osmo-ctrl-server CLI (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  before(() => { if (!existsSync(DIST)) throw new Error('examples/ctrl-server/dist missing: run `npx tsc -b` (npm test builds it)'); });

  it('--help documents every option, and works without a built addon', async () => {
    for (const noAddon of [false, true]) {
      const r = await runBin(BIN, ['--help'], { noAddon });
      expect(r.code).to.equal(0);
      expect(r.err).to.equal('');
      for (const opt of ['--port P', '--bind ADDR', '--json', '--progress SECONDS', '--help', 'OSMO_IO_BACKEND', 'exit codes']) {
        expect(r.out, opt).to.contain(opt);
      }
    }
  });

  it('bad values: one line, exit 2 (also without the addon: nothing is loaded before the check)', async () => {
    const cases: [string[], string][] = [
      [['--port', '70000'], 'osmo-ctrl-server: invalid port 70000: 0..65535 (see osmo-ctrl-server --help)'],
      [['--port', '-1'], 'osmo-ctrl-server: invalid port -1: 0..65535 (see osmo-ctrl-server --help)'],
      [['--port', '1.5'], 'osmo-ctrl-server: invalid port 1.5: 0..65535 (see osmo-ctrl-server --help)'],
      [['--port', '0', '--progress', 'abc'], 'osmo-ctrl-server: invalid --progress abc: seconds, 0..86400 (see osmo-ctrl-server --help)'],
      [['--port', '0', '--progress', '-2'], 'osmo-ctrl-server: invalid --progress -2: seconds, 0..86400 (see osmo-ctrl-server --help)'],
      [[], 'osmo-ctrl-server: --port P is required (0..65535, 0 = any free port) (see osmo-ctrl-server --help)'],
      [['--port', '0', '--bind', ''], 'osmo-ctrl-server: --bind must not be empty (see osmo-ctrl-server --help)'],
    ];
    for (const [args, line] of cases) {
      const r = await runBin(BIN, args, { noAddon: true });
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.errLines, args.join(' ')).to.deep.equal([line]);
    }
  });

  it('OSMO_IO_BACKEND=foo: one clear line, exit 1', async () => {
    const r = await runBin(BIN, ['--port', '0'], { env: { OSMO_IO_BACKEND: 'foo' } });
    expect(r.code).to.equal(1);
    expect(r.errLines).to.deep.equal(['osmo-ctrl-server: invalid OSMO_IO_BACKEND "foo": use poll or io_uring']);
  });

  it('without the addon (after the checks): one line, exit 1', async () => {
    const r = await runBin(BIN, ['--port', '0'], { noAddon: true });
    expect(r.code).to.equal(1);
    expect(r.errLines).to.have.length(1);
    expect(r.errLines[0]).to.match(/^osmo-ctrl-server: @osmo\/io: the native addon \/nonexistent\/osmo_io\.node does not load here \(Cannot find module/);
  });

  it('--bind localhost listens on its address; clients reach it by name', async () => {
    const { listening, code } = await serveAndGet(['--bind', 'localhost'], 'localhost');
    expect(listening).to.include({ event: 'listening', address: '127.0.0.1' });
    expect(code).to.equal(0);
  });

  it('--bind [::1] (IPv6 in brackets)', async function () {
    // it either fails at once (no IPv6 loopback) or prints its listening line: then it is stopped
    const probe = await runBin(BIN, ['--port', '0', '--bind', '::1', '--progress', '0'], {
      onSpawn: (ch, st) => ch.stdout!.on('data', () => { if (st.out.includes('\n')) ch.kill('SIGINT'); }),
    });
    if (probe.err.includes('EADDRNOTAVAIL') || probe.err.includes('EAFNOSUPPORT')) this.skip(); // no IPv6 loopback here
    const { listening, code } = await serveAndGet(['--bind', '[::1]'], '::1');
    expect(listening).to.include({ address: '::1' });
    expect(code).to.equal(0);
  });

  it('--bind nonexistent.invalid: one line with ENOTFOUND and the name, exit 1', async () => {
    const r = await runBin(BIN, ['--port', '0', '--bind', 'nonexistent.invalid']);
    expect(r.code).to.equal(1);
    expect(r.errLines).to.deep.equal(['osmo-ctrl-server: cannot resolve --bind nonexistent.invalid: getaddrinfo ENOTFOUND nonexistent.invalid']);
  });

  it('a port in use: one line, exit 1', async () => {
    let port = 0;
    let second: Awaited<ReturnType<typeof runBin>> | null = null;
    const r = await runBin(BIN, ['--port', '0', '--json', '--progress', '0'], {
      onSpawn: (ch, st) => {
        void (async () => {
          while (!st.out.includes('\n')) await sleep(10);
          port = (JSON.parse(st.out.split('\n')[0]!) as { port: number }).port;
          second = await runBin(BIN, ['--port', String(port)]);
        })().finally(() => ch.kill('SIGINT'));
      },
    });
    expect(r.code).to.equal(0);
    expect(second!.code).to.equal(1);
    expect(second!.errLines).to.have.length(1);
    expect(second!.errLines[0]).to.match(new RegExp(`^osmo-ctrl-server: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });
});
