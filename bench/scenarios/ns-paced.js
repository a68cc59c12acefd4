// Scenario ns-paced: the ns scenario's receivers with the sender paced (default 20,000 PDUs/s), the regime of a Gb
// link that is busy but not saturated. Each PDU arrives on its own: a receiver that hands every one over when it comes
// wakes for each, so next to the plain io_uring variant there is one that coalesces its sleeps
// (OSMO_IO_URING_COALESCE_US, default 2000 µs here). --ns-echo 1 sends every PDU back, as in ns.

import { datagramScenario } from '../lib/datagram-scenario.js';
import { nsVariants, describeNs, echoNotes } from './ns.js';

export const name = 'ns-paced';
export const title = 'NS-UNITDATA receive over UDP, paced (default 20,000 PDUs/s), with and without coalescing sleeps';

export const options = {
  'ns-paced-rate': { default: 20000, help: 'ns-paced: PDUs/s the sender paces at' },
  'ns-paced-coalesce': { default: 2000, help: 'ns-paced: OSMO_IO_URING_COALESCE_US of the coalescing io_uring variant (0: none)' },
};

/** @param {import('../run.js').Ctx} ctx */
export function variants(ctx) {
  return nsVariants(ctx, Number(ctx.opts.extra['ns-paced-coalesce'] ?? 2000));
}

export const { runOnce, report, summaryLine } = datagramScenario({
  name, unit: 'PDU', baseLabel: 'NS on dgram', describe: describeNs, extraNotes: echoNotes,
  rate: (ctx) => Number(ctx.opts.extra['ns-paced-rate'] ?? 20000),
});
