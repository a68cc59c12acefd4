/**
 * IpaClient / IpaServer against real Osmocom programs (docs/design.md §7). Run by scripts/test-interop.sh,
 * which starts the daemons and exports OSMO_HLR_GSUP, OSMO_STP_IPA, OSMO_BSC_OML (host:port). Each test skips
 * when its peer is not configured.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { IpaClient } from '../../src/client.js';
import { IpaServer, type IpaServerConn } from '../../src/server.js';
import type { IpaMessage } from '../../src/message.js';
import { ioMissing, once, until } from '../util.js';

function peer(name: string): { address: string; port: number } | null {
  const v = process.env[name];
  if (!v) return null;
  const i = v.lastIndexOf(':');
  return { address: v.slice(0, i), port: Number(v.slice(i + 1)) };
}

describe('ipa interop with real Osmocom peers', function () {
  this.timeout(30000);
  const cleanup: (() => void)[] = [];
  before(function () {
    const why = ioMissing();
    if (why) throw new Error(why); // the core is part of this repo: not loading it is a failure
  });
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  function client(where: { address: string; port: number }, opts: ConstructorParameters<typeof IpaClient>[0]): IpaClient {
    const c = new IpaClient({ ...where, reconnectTimeout: -1, ...opts });
    cleanup.push(() => c.destroy());
    return c;
  }

  it('osmo-hlr GSUP: ID handshake with unit id + serial number, PING/PONG keepalive', async function () {
    const p = peer('OSMO_HLR_GSUP');
    if (!p) this.skip(); // OSMO_HLR_GSUP not set (scripts/test-interop.sh sets it)
    const cli = client(p!, {
      identity: { unitId: '0/0/0', serialNumber: 'ipa-interop-hlr', unitName: 'ipa-interop-hlr' },
      keepalive: { interval: 100, timeout: 2000 },
    });
    const pongs: string[] = [];
    cli.on('ccm', (m) => m.type === 'PONG' && pongs.push('pong'));
    const downs: string[] = [];
    cli.on('down', (r) => downs.push(r));
    cli.open();
    await once(cli, 'up', 10000);
    await until(() => pongs.length >= 3, 5000, 'three PONGs from osmo-hlr');
    expect(downs).to.deep.equal([]);
  });

  it('osmo-stp IPA ASP: unit name = AS name is accepted (ID_ACK)', async function () {
    const p = peer('OSMO_STP_IPA');
    if (!p) this.skip(); // OSMO_STP_IPA not set
    const cli = client(p!, { identity: { unitName: 'testasp' } });
    cli.open();
    await once(cli, 'up', 10000);
    expect(cli.isUp).to.equal(true);
  });

  it('osmo-bsc OML: unit id 1801/0/0 is accepted, the BSC talks OML to us', async function () {
    const p = peer('OSMO_BSC_OML');
    if (!p) this.skip(); // OSMO_BSC_OML not set
    const cli = client(p!, { identity: { unitId: '1801/0/0', macAddress: '02:fc:00:00:00:01', location2: 'ipa-interop' } });
    cli.open();
    await once(cli, 'connect', 10000);
    // osmo-bsc sends ID_GET; it answers our ID_ACK with ID_ACK
    await once(cli, 'up', 10000);
    // a BTS that reports nothing gets no OML from the BSC; the link must stay up and answer PINGs
    const pong = once(cli, 'ccm', 5000);
    cli.ping();
    const [m] = (await pong) as [{ type: string }];
    expect(m.type).to.equal('PONG');
  });

  it('osmo-bts-omldummy connects to our IpaServer on 3002 and identifies as 1801/0/0', async function () {
    if (spawnSync('sh', ['-c', 'command -v osmo-bts-omldummy']).status !== 0) this.skip(); // omldummy not installed
    // omldummy always dials port 3002; osmo-bsc holds 127.0.0.1:3002 during the interop run, so our server
    // listens on another loopback address (the whole 127/8 is local) and omldummy is pointed there
    const host = '127.0.0.2';
    const srv = new IpaServer({ address: host, port: 3002, accept: (c) => c.unitId?.site === 1801 });
    srv.open();
    cleanup.push(() => srv.close());
    const oml: IpaMessage[] = [];
    srv.on('message', (_c, m) => m.kind === 'oml' && oml.push(m));
    const child = spawn('osmo-bts-omldummy', [host, '1801', '1'], { stdio: 'ignore' });
    cleanup.push(() => child.kill());
    const [conn] = await once<[IpaServerConn]>(srv, 'up', 10000);
    expect(conn.unitId).to.deep.equal({ site: 1801, bts: 0, trx: 0 });
    expect(conn.identity).to.include({ unitId: '1801/0/0', location2: 'OMLdummy' });
    await until(() => oml.length > 0, 10000, 'OML from omldummy');
    // first OML message: SW Activated Report of the site manager (omldummy-oml-exchange.tsv line 3)
    expect(oml[0]!.payload.toString('hex')).to.equal('808000051000ffffff');
  });
});
