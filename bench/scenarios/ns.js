// Scenario ns: NS-UNITDATA receive. The C blaster's 100-byte datagrams (BE64 sequence + pattern) are NS-UNITDATA
// PDUs for BVCI 0 with a 96-byte SDU. Receivers: the same @osmo/ns2-udp NsInstance (one bind, one NS-VC)
// over Node's `dgram` (baseline), and over @osmo/io under poll and io_uring. Blast by default (the
// receivers run saturated: received/s is their capacity, CPU µs/PDU their cost); --udp-rate R paces it.

import { datagramScenario, SIZE } from '../lib/datagram-scenario.js';
import { median } from '../lib/table.js';

export const name = 'ns';
export const title = 'NS-UNITDATA receive over UDP, 100-byte PDUs from one sender (blast unless --udp-rate)';

export const options = {
  'ns-sqes': { default: 32, help: 'ns: io_uring receives armed on the NS bind (readSqes)' },
  'ns-echo': { default: 0, help: 'ns: 1 = the receiver also sends every PDU back (sendUnitdata, same BVCI)' },
  'ns-coalesce': { default: 0, help: 'ns: N > 0 adds an io_uring variant with OSMO_IO_URING_COALESCE_US=N (µs)' },
};

const echoOn = (/** @type {import('../run.js').Ctx} */ ctx) => Number(ctx.opts.extra['ns-echo'] ?? 0) !== 0;

/** @param {import('../run.js').Ctx} ctx */
export function variants(ctx) {
  return nsVariants(ctx, Number(ctx.opts.extra['ns-coalesce'] ?? 0));
}

/**
 * The NS receivers: dgram (baseline), @osmo/io per backend, and io_uring with OSMO_IO_URING_COALESCE_US=us if us > 0.
 * @param {import('../run.js').Ctx} ctx
 * @param {number} us
 */
export function nsVariants(ctx, us) {
  const common = ['--size', String(SIZE), ...(echoOn(ctx) ? ['--echo', '1'] : [])];
  /** @type {import('../run.js').Variant[]} */
  const v = [{ id: 'dgram', label: 'NS on node dgram', baseline: true,
    server: { name: 'ns-recv(dgram)', script: 'ns-recv.js', args: ['--transport', 'dgram', ...common] } }];
  if (ctx.core.ok) {
    const args = ['--transport', 'osmo', '--sqes', String(ctx.opts.extra['ns-sqes'] ?? 32), ...common];
    for (const backend of ctx.backends) {
      v.push({ id: `osmo-${backend}`, label: `NS on osmo-io ${backend}`, backend,
        server: { name: `ns-recv(${backend})`, script: 'ns-recv.js', args, env: { OSMO_IO_BACKEND: backend } } });
    }
    if (us > 0 && ctx.backends.includes('io_uring')) {
      v.push({ id: 'osmo-io_uring-coalesce', label: `NS on osmo-io io_uring, coalesce ${us} µs`, backend: 'io_uring',
        server: { name: 'ns-recv(io_uring, coalesce)', script: 'ns-recv.js', args,
          env: { OSMO_IO_BACKEND: 'io_uring', OSMO_IO_URING_COALESCE_US: String(us) } } });
    }
  }
  return v;
}

export const describeNs = (/** @type {import('../run.js').Ctx} */ ctx) =>
  `${SIZE}-byte NS-UNITDATA PDUs (BVCI 0, ${SIZE - 4}-byte SDU) through NsInstance -> 'unitdata' event` +
  (echoOn(ctx) ? ' -> sendUnitdata back (echo)' : '');

export const { runOnce, report, summaryLine } = datagramScenario({
  name, unit: 'PDU', baseLabel: 'NS on dgram', describe: describeNs, extraNotes: echoNotes,
});

/** @param {Map<string, any>} runs */
export function echoNotes(runs) {
  const notes = [];
  for (const [, { variant, runs: rs }] of runs) {
    const ef = rs.map((/** @type {any} */ r) => r.echoFailed).filter((x) => typeof x === 'number' && x > 0);
    if (ef.length) notes.push(`${variant.label}: echo refused by sendUnitdata in ${ef.length} of ${rs.length} runs (median ${median(ef)} PDUs, last rc ${rs.find((/** @type {any} */ r) => r.echoFailed)?.lastEchoError}; -28 = ENOSPC: the bind's tx queue of 128 was full)`);
  }
  return notes;
}
