/**
 * Issue 10's remote crash, as one unauthenticated TCP peer does it, against the real processes: `bsc-link-sim --listen`
 * and `osmo-ctrl-server`. A frame the server rejects, then ~9,000 3-byte IPA frames in one write (io_uring cuts them
 * into 1 KiB chunks that never align with frames, and thousands of events arrive in one batch); five times. The
 * process must keep serving, then exit cleanly (exit 0, nothing from the allocator on stderr).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { CtrlClient } from '@osmo/ctrl';
import { spawnCli } from './spawn-cli.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CTRL_SERVER = fileURLToPath(new URL('../../ctrl-server/bin/osmo-ctrl-server.js', import.meta.url)); // dist: npm test builds it

/** What the attacker sends: `first`, then 9,000 empty-payload CCM frames (3 bytes each), in one write. */
function attack(first: Buffer): Buffer {
  const tiny = Buffer.alloc(9000 * 3);
  for (let i = 0; i < 9000; i++) tiny[i * 3 + 2] = 0xfe;
  return Buffer.concat([first, tiny]);
}

async function hit(port: number, payload: Buffer): Promise<void> {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.on('error', () => {});
  await new Promise<void>((r) => s.once('connect', () => r()));
  // then a PING: the server closes the connection (rejected) or keeps it; then, having read all of it, it answers PONG
  let got = Buffer.alloc(0);
  s.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); });
  s.write(Buffer.concat([payload, Buffer.from('0001fe00', 'hex')]));
  await new Promise<void>((r) => {
    s.once('close', () => r());
    s.on('data', () => { if (got.includes(Buffer.from('0001fe01', 'hex'))) r(); });
  });
  s.destroy();
}

const ALLOCATOR = /free\(\)|corrupted|double free|malloc|Segmentation|AddressSanitizer/;

describe(`remote attack on the processes (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  this.timeout(60000);

  it('bsc-link-sim --listen: an undecodable ID_RESP, then 9,000 tiny frames, x5: it serves on and exits 0', async () => {
    const p = spawnCli(['--listen', '127.0.0.1:0', '--bts', '1', '--trx', '1', '--control']);
    try {
      const ready = await p.next((e) => e['event'] === 'ready', 15000);
      const oml = ready['omlPort'] as number;
      // ID_RESP whose tag length runs past the frame: it does not decode
      const badIdResp = Buffer.from([0x00, 0x04, 0xfe, 0x05, 0x00, 0x40, 0x08]);
      for (let i = 0; i < 5; i++) await hit(oml, attack(badIdResp));
      p.send('stats');
      const stats = await p.next((e) => e['event'] === 'stats', 10000);
      expect(stats).to.be.an('object');
      p.send('exit');
      expect(await p.exited).to.equal(0);
      expect(p.stderr).to.not.match(ALLOCATOR);
    } finally {
      p.kill();
    }
  });

  it('osmo-ctrl-server: an unknown IPA protocol byte, then 9,000 tiny frames, x5: it serves on and exits 0', async () => {
    const ch = spawn(process.execPath, [CTRL_SERVER, '--port', '0', '--json', '--progress', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    ch.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    ch.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    try {
      for (let i = 0; i < 3000 && !out.includes('\n'); i++) await sleep(10);
      const listening = JSON.parse(out.split('\n')[0]!) as { port: number };
      for (let i = 0; i < 5; i++) await hit(listening.port, attack(Buffer.from([0x00, 0x01, 0x42, 0x00])));
      const c = new CtrlClient({ port: listening.port });
      await c.connect();
      expect(await c.get('name')).to.be.a('string');
      c.close();
      const code = await new Promise<number | null>((r) => { ch.on('close', r); ch.kill('SIGINT'); });
      expect(code, err).to.equal(0);
      expect(err).to.not.match(ALLOCATOR);
    } finally {
      if (ch.exitCode === null) ch.kill('SIGKILL');
    }
  });
});
