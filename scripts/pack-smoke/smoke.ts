// Smoke program for scripts/test-pack.sh: runs in a fresh project where the packages were installed from their
// tarballs, so it imports them by name exactly as a user would, and is type-checked against their .d.ts files.
// Prints one "ok <name>" or "FAIL <name>: <why>" line per check; the exit code is the number of failures.
import { createRequire } from 'node:module';
import path from 'node:path';
import { IoFd, socketpair, getBackend, sock, type IoOps } from '@osmo/io';
import { IpaServer, IpaClient, type IpaMessage } from '@osmo/ipa';
import { CtrlServer, CtrlTree, CtrlClient } from '@osmo/ctrl';

let failures = 0;
async function check(name: string, fn: () => Promise<string | void>, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const note = await Promise.race([
      fn(),
      new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs); }),
    ]);
    console.log(`ok ${name}${note ? ` (${note})` : ''}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
function expectEqual<T>(what: string, got: T, want: T): void {
  if (got !== want) throw new Error(`${what}: got ${String(got)}, want ${String(want)}`);
}

const require = createRequire(import.meta.url);
const ioDir = path.dirname(require.resolve('@osmo/io/package.json'));

await check('addon loads from the installed package', async () => {
  // the loader @osmo/io itself uses, resolved from @osmo/io (it need not be hoisted)
  const ioRequire = createRequire(path.join(ioDir, 'package.json'));
  const file = (ioRequire('node-gyp-build') as { path(d: string): string }).path(ioDir);
  const want = process.env.SMOKE_EXPECT_ADDON; // 'prebuilds' or 'build'
  if (want && !path.relative(ioDir, file).startsWith(`${want}${path.sep}`))
    throw new Error(`loaded ${path.relative(ioDir, file)}, expected one under ${want}/`);
  return `${path.relative(ioDir, file)}, backend ${getBackend()}`;
});

await check('IoFd echo over a socketpair', () => new Promise<string>((resolve, reject) => {
  const [a, b] = socketpair('stream');
  const echo: IoOps = {
    readCb(io, res, msg) {
      if (res <= 0) { io.close(); return; }
      io.write(msg); // received Buffers belong to us: echo as is
    },
  };
  const server = IoFd.setup(b, 'echo', 'read_write', echo);
  const client = IoFd.setup(a, 'client', 'read_write', {
    readCb(io, res, msg) {
      if (res < 0) { reject(new Error(`read error ${res}`)); return; }
      const got = msg.toString();
      io.close(); server.close();
      if (got === 'hello osmo_io') resolve(`${got.length} bytes back`);
      else reject(new Error(`echo returned ${JSON.stringify(got)}`));
    },
  });
  server.register(); client.register();
  expectEqual('write()', client.write(Buffer.from('hello osmo_io')), 0);
}));

await check('IPA client/server: ID handshake and an OML frame echoed', () => new Promise<string>((resolve, reject) => {
  const srv = new IpaServer({ address: '127.0.0.1', port: 0, accept: (conn) => conn.unitId?.site === 1801 });
  srv.on('message', (conn, m: IpaMessage) => { if (m.kind === 'oml') conn.sendOml(m.payload); });
  srv.open();
  const cli = new IpaClient({ address: '127.0.0.1', port: srv.port, identity: { unitId: '1801/0/0', unitName: 'smoke' } });
  const payload = Buffer.from('8080000d6100ffffff2401070001030401', 'hex');
  cli.on('up', () => cli.sendOml(payload));
  cli.on('message', (m: IpaMessage) => {
    if (m.kind !== 'oml') return;
    const same = Buffer.from(m.payload).equals(payload);
    cli.destroy(); srv.close();
    if (same) resolve(`unit 1801/0/0 up, ${payload.length}-byte OML frame echoed`);
    else reject(new Error(`OML echo differs: ${Buffer.from(m.payload).toString('hex')}`));
  });
  cli.open();
}));

await check('CTRL GET/SET against a CtrlServer', async () => {
  let lac = 23;
  const tree = new CtrlTree();
  tree.root.command({ name: 'name', readOnly: true, get: () => 'smoke' });
  tree.root.command({
    name: 'location-area-code', get: () => String(lac),
    verify: (_req, v) => (/^\d+$/.test(v) && Number(v) < 65536 ? true : 'Input not within the range'),
    set: (req) => { lac = Number(req.value); return String(lac); },
  });
  const srv = new CtrlServer({ tree, port: 0 });
  srv.open();
  const cli = new CtrlClient({ host: '127.0.0.1', port: srv.port, timeout: 5000 });
  try {
    await cli.connect();
    expectEqual('GET name', await cli.get('name'), 'smoke');
    expectEqual('SET location-area-code', await cli.set('location-area-code', 42), '42');
    expectEqual('GET location-area-code', await cli.get('location-area-code'), '42');
    const bad = await cli.set('location-area-code', 'x').then(() => 'accepted', (e: Error) => e.message);
    if (!/verification|range/i.test(bad)) throw new Error(`a bad SET was not refused: ${bad}`);
    return 'GET name, SET/GET location-area-code, bad value refused';
  } finally {
    cli.close(); srv.close();
  }
});

await check('sock helpers: TCP listen on port 0', async () => {
  const fd = sock.inet({ proto: 'tcp', local: { address: '127.0.0.1', port: 0 }, listen: true });
  const port = (sock.localAddress(fd) as { port: number }).port;
  sock.close(fd);
  if (!(port > 0)) throw new Error(`no port bound (${port})`);
  return `bound ${port}`;
});

process.exitCode = failures;
setTimeout(() => process.exit(failures), 200).unref();
