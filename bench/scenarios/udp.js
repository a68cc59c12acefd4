// Scenario udp: the C blaster sends 100-byte datagrams (sendmmsg batches) to one receiver process for a
// fixed time, then end markers. Receivers: Node `dgram` (baseline) and @osmo/io recvfrom_sendto under poll
// and io_uring. The sender is faster than every receiver, so the receivers run saturated and drop the
// excess (loss %); received/s is the receiver's capacity and CPU µs/msg its cost at full load.

import { datagramScenario, SIZE } from '../lib/datagram-scenario.js';

export const name = 'udp';
export const title = 'UDP receive, 100-byte datagrams from one sender (blast unless --udp-rate)';

/** @param {import('../run.js').Ctx} ctx */
export function variants(ctx) {
  /** @type {import('../run.js').Variant[]} */
  const v = [{ id: 'dgram', label: 'node dgram', baseline: true,
    server: { name: 'dgram-recv', script: 'dgram-recv.js', args: ['--size', String(SIZE)] } }];
  if (ctx.core.ok) {
    for (const backend of ctx.backends) {
      v.push({ id: `osmo-${backend}`, label: `osmo-io ${backend}`, backend,
        server: { name: `osmo-udp-recv(${backend})`, script: 'osmo-udp-recv.js', args: ['--size', String(SIZE)],
          env: { OSMO_IO_BACKEND: backend } } });
    }
  }
  return v;
}

export const { runOnce, report, summaryLine } = datagramScenario({
  name, unit: 'msg', baseLabel: 'node dgram', describe: () => `${SIZE}-byte datagrams`,
});
