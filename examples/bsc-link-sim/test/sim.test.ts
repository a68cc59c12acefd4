import { expect } from 'chai';
import net from 'node:net';
import { BscSide } from '../src/bsc.js';
import { BtsSide } from '../src/bts.js';
import { SeqCheck } from '../src/stats.js';
import { pickTransport, runSimulation, DEFAULTS } from '../src/sim.js';
import type { Transport } from '../src/transport.js';

import { sleep, until } from '../../../packages/io/test/loop.js';

async function transport(): Promise<Transport> {
  const b = process.env['OSMO_IO_BACKEND'] as 'poll' | 'io_uring' | undefined;
  return (await pickTransport(b ?? 'auto').catch(() => pickTransport('node-net'))).transport;
}

describe('SeqCheck', () => {
  it('counts gaps as loss and steps back as duplicates', () => {
    const s = new SeqCheck();
    for (const n of [0, 1, 2, 5, 6, 6, 3, 7]) s.accept(n);
    expect({ received: s.received, lost: s.lost, duplicates: s.duplicates }).to.deep.equal({ received: 8, lost: 2, duplicates: 2 });
  });
});

describe('bsc-link-sim on loopback', function () {
  this.timeout(60000);

  it('brings up 5 BTS x 2 TRX, carries RSL traffic, and accounts for every message across dropped links', async () => {
    const run = await runSimulation({ ...DEFAULTS, bts: 5, trx: 2, rate: 50, durationS: 4, chaosS: 0.5, reconnectMs: 100, ctrlPort: null, progressMs: 200 }, await transport());
    const s = run.summary;
    expect(s.omlBringupsCompleted).to.be.greaterThan(5);   // OML drops redo the bring-up
    expect(s.reconnects).to.be.greaterThan(0);
    expect(s.sent).to.be.greaterThan(0);
    expect(s.duplicates).to.equal(0);
    expect(s.rslDecodeErrors).to.equal(0);
    expect(s.unaccounted, JSON.stringify(s)).to.equal(0);   // every sent message was received or reported lost
    expect(s.received + s.lost).to.equal(s.sent);
  });

  it('the BSC side survives garbage and a peer stalled mid-frame', async () => {
    const t = await transport();
    const bsc = new BscSide({ transport: t, host: '127.0.0.1', omlPort: 0, rslPort: 0, siteBase: 1801 });
    await bsc.start();
    const raw = (bytes: Buffer): net.Socket => { const s = net.connect(bsc.omlPort, '127.0.0.1', () => s.write(bytes)); s.on('error', () => {}); return s; };
    const g1 = raw(Buffer.from('ffffff0102030405060708', 'hex'));               // absurd frame length / unknown proto
    const g1Closed = new Promise<void>((resolve) => g1.on('close', () => resolve()));
    const g2 = raw(Buffer.from('0009ff808000051000ffffff', 'hex'));             // OML before identification
    const stalled = raw(Buffer.from('0011fe05000a08', 'hex'));                  // ID_RESP cut in the middle
    // node-net drops an over-long frame at once; with @osmo/ipa this depends on IpaServer (see README, open points)
    if (t.kind === 'node-net') await g1Closed;
    const bts = new BtsSide({ transport: t, host: '127.0.0.1', omlPort: bsc.omlPort, bts: 2, trx: 1, rate: 20, siteBase: 1801, reconnectMs: 100 });
    bts.start();
    await until(() => bts.rslUp === 2, 10000);
    await until(() => bsc.totals().received > 10, 10000);
    expect(bsc.omlConnectionState(bsc.bts.get(0)!)).to.equal('connected');
    bts.close(); g1.destroy(); g2.destroy(); stalled.destroy(); bsc.close();
  });
});
