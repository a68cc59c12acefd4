/** Multi-homing on 127.0.0.1 + 127.0.0.2 (bindx/connectx); one path dropped by tc: PEER_ADDR_CHANGE, data still flows. */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { getBackend } from '@osmo/io';
import { SctpClient, SctpServer, type SctpServerConn } from '../../src/index.js';
import { collect, requireSctp, waitNotification, withTimeout } from './helpers.js';

function tc(...args: string[]): void { execFileSync('tc', args, { stdio: 'pipe' }); }

describe(`@osmo/sctp multi-homing (${getBackend()})`, function () {
  before(function () { requireSctp(this); });

  it('an association over two addresses survives losing one: ADDR_UNREACHABLE, traffic on the other, ADDR_AVAILABLE back', async () => {
    const fast = { rto: { initialMs: 100, minMs: 50, maxMs: 200 }, heartbeatMs: 100, pathMaxRetrans: 1 };
    const srv = new SctpServer({ local: [{ address: '127.0.0.1', port: 0 }, { address: '127.0.0.2', port: 0 }], ...fast });
    const port = srv.port;
    const connP = once(srv, 'connection') as Promise<[SctpServerConn]>;
    const cli = new SctpClient({
      local: [{ address: '127.0.0.1', port: 0 }, { address: '127.0.0.2', port: 0 }],
      remote: [{ address: '127.0.0.1', port }, { address: '127.0.0.2', port }], ...fast,
    });
    cli.open();
    await withTimeout(once(cli, 'connect'), 5000, 'connect');
    const [conn] = await connP;
    let filtered = false;
    try {
      const down = waitNotification(cli, (n) => n.type === 'PEER_ADDR_CHANGE' && n.state === 'ADDR_UNREACHABLE', 15000);
      tc('qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'prio');
      tc('filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'dst', '127.0.0.2/32',
         'action', 'drop');
      filtered = true;
      const n = await down;
      expect(n.address).to.deep.equal({ address: '127.0.0.2', port, family: 'IPv4' });
      const got = collect(conn, 50);
      for (let i = 0; i < 50; i++) cli.send(Buffer.from(`m${i}`), { ppid: 3, stream: 0 });
      expect((await got).map(([d]) => d.toString())).to.deep.equal(Array.from({ length: 50 }, (_, i) => `m${i}`));
      const up = waitNotification(cli, (x) => x.type === 'PEER_ADDR_CHANGE' && x.state === 'ADDR_AVAILABLE', 15000);
      tc('qdisc', 'del', 'dev', 'lo', 'root');
      filtered = false;
      expect((await up).address.address).to.equal('127.0.0.2');
    } finally {
      if (filtered) tc('qdisc', 'del', 'dev', 'lo', 'root');
      cli.close(); srv.close(true);
    }
  });
});
