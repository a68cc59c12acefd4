// BTS side against a real osmo-bsc (test/peers/bsc.cfg, started by scripts/test-interop.sh; OSMO_BSC_OML/CTRL).
import { expect } from 'chai';
import { BtsSide } from '../../src/bts.js';
import { pickTransport } from '../../src/sim.js';
import { ctrlGet, waitFor } from '../ctrl-get.js';
import { spawnCli } from '../spawn-cli.js';

const parse = (v: string | undefined): { host: string; port: number } | null => {
  const m = v ? /^(.+):(\d+)$/.exec(v) : null;
  return m ? { host: m[1]!, port: Number(m[2]) } : null;
};

describe('interop: BTS side against osmo-bsc', function () {
  this.timeout(60000);
  const oml = parse(process.env['OSMO_BSC_OML']);
  const ctrl = parse(process.env['OSMO_BSC_CTRL']);
  let bts: BtsSide | null = null;

  before(function () { if (!oml || !ctrl) this.skip(); });
  afterEach(() => { bts?.close(); bts = null; });

  // The toolkit's own IPA stack (@osmo/ipa IpaClient over @osmo/io) under the backend OSMO_IO_BACKEND selects
  // (scripts/test.sh-style runs set poll / io_uring), and the node:net transport as a reference.
  const want = process.env['OSMO_IO_BACKEND']?.toLowerCase() as 'poll' | 'io_uring' | undefined;
  const variants: ('osmo-io' | 'node-net')[] = process.env['LINKSIM_INTEROP_NODE_NET'] === '0' ? ['osmo-io'] : ['osmo-io', 'node-net'];
  for (const variant of variants)
  it(`[${variant === 'osmo-io' ? `osmo-io ${want ?? 'default backend'}` : 'node-net'}] brings BTS 0 up (OML + RSL): osmo-bsc reports bts.0.oml-connection-state connected, and again after an OML drop`, async () => {
    const { transport } = await pickTransport(variant === 'node-net' ? 'node-net' : want ?? 'auto');
    if (variant === 'osmo-io') {
      expect(transport.kind).to.equal('osmo-io');
      if (want) expect(transport.backend).to.equal(want);
    }
    // a previous variant's links must be gone first (osmo-bsc sees the close at once)
    await waitFor(() => ctrlGet(ctrl!.host, ctrl!.port, 'bts.0.oml-connection-state'), (v) => v !== 'connected', 10000);
    bts = new BtsSide({ transport, host: oml!.host, omlPort: oml!.port, bts: 1, trx: 1, rate: 2, siteBase: 1801, reconnectMs: 500 });
    let rslUps = 0;
    bts.on('rsl-up', () => { rslUps++; });
    bts.start();
    const state = await waitFor(() => ctrlGet(ctrl!.host, ctrl!.port, 'bts.0.oml-connection-state'), (v) => v === 'connected', 20000);
    expect(state).to.equal('connected');
    expect(await ctrlGet(ctrl!.host, ctrl!.port, 'bts.0.rf_state')).to.equal('operational,unlocked,on');
    // osmo-bsc calls the TRX operational before it has started every channel (our bring-up ends there), and before
    // our RSL client has handled its answer to the ID: wait for both
    await waitFor(async () => bts!.bringups, (n) => n >= 1, 5000);
    expect(bts.bringups).to.equal(1);
    await waitFor(async () => rslUps, (n) => n >= 1, 5000);
    expect(rslUps).to.equal(1);
    // drop OML: osmo-bsc drops RSL too; the BTS side reconnects and redoes the bring-up
    bts.dropOml(0);
    await waitFor(async () => bts!.bringups, (n) => n >= 2, 20000);
    expect(await waitFor(() => ctrlGet(ctrl!.host, ctrl!.port, 'bts.0.oml-connection-state'), (v) => v === 'connected', 20000)).to.equal('connected');
  });
});

// Both @osmo/io backends in one run, whatever OSMO_IO_BACKEND this process has: the bsc-link-sim CLI as its own
// process (BTS side only, osmo-io transport) per backend, checked through osmo-bsc's CTRL interface.
describe('interop: bsc-link-sim CLI (osmo-io transport) against osmo-bsc, per backend', function () {
  this.timeout(60000);
  const oml = parse(process.env['OSMO_BSC_OML']);
  const ctrl = parse(process.env['OSMO_BSC_CTRL']);
  before(function () { if (!oml || !ctrl) this.skip(); });

  for (const backend of ['poll', 'io_uring'] as const)
  it(`[${backend}] OML up and RSL accepted: bts.0.oml-connection-state connected; the CLI reports backend ${backend}`, async () => {
    await waitFor(() => ctrlGet(ctrl!.host, ctrl!.port, 'bts.0.oml-connection-state'), (v) => v !== 'connected', 10000);
    const cli = spawnCli(['--bsc', `${oml!.host}:${oml!.port}`, '--bts', '1', '--trx', '1', '--rate', '2', '--duration', '40',
      '--backend', backend, '--control']);
    try {
      const ready = await cli.next((e) => e['event'] === 'ready', 15000);
      expect(ready['backend']).to.equal(backend);
      expect(await waitFor(() => ctrlGet(ctrl!.host, ctrl!.port, 'bts.0.oml-connection-state'), (v) => v === 'connected', 20000)).to.equal('connected');
      // OML "connected" comes before the bring-up ends, and osmo-bsc calls the TRX operational before it has
      // started every channel (our bring-up ends there) and before our RSL client has handled its answer to the
      // ID: wait for all of it before exiting
      await waitFor(() => ctrlGet(ctrl!.host, ctrl!.port, 'bts.0.rf_state'), (v) => v === 'operational,unlocked,on', 20000);
      const st = await waitFor(() => cli.request('stats', 'stats'),
        (s) => s['rslUp'] === 1 && s['omlBringupsCompleted'] === 1, 5000);
      expect({ omlUp: st['omlUp'], rslUp: st['rslUp'], bringups: st['omlBringupsCompleted'] })
        .to.deep.equal({ omlUp: 1, rslUp: 1, bringups: 1 });
      cli.send('exit');
      const sum = await cli.next((e) => e['event'] === 'summary', 10000);
      expect(sum['backend']).to.equal(backend);
      expect(sum['omlBringupsCompleted']).to.equal(1);
    } finally { cli.kill(); }
  });
});
