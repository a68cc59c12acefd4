#!/usr/bin/env node
// `npm run bench`: side-by-side benchmarks of @osmo/io (poll and io_uring backends) against Node's own
// net/dgram. Scenarios are modules in bench/scenarios/*.js; see bench/README.md.
//
//   node bench/run.js [--quick] [--reps N] [--conns N] [--seconds S] [--warmup S] [--scenario a,b]
//                     [--backends poll,io_uring] [--no-perf] [--perf-seconds S] [--udp-rate R] [--out FILE]

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';
import { perfAvailable } from './lib/measure.js';
import { renderTable } from './lib/table.js';

/**
 * @typedef {{ id: string, label: string, baseline?: boolean, backend?: string,
 *   server: { name: string, script: string, args?: string[], env?: Record<string, string> } }} Variant
 * @typedef {{ reps: number, conns: number, seconds: number, warmup: number, perf: boolean, perfSeconds: number,
 *   udpRate: number, scenarios: string[] | null, backends: string[], quick: boolean, out: string | null,
 *   extra: Record<string, string | number> }} Opts
 * @typedef {Record<string, { default: string | number, help: string }>} ScenarioOptions
 * @typedef {{ opts: Opts, benchDir: string, loadgen: string, backends: string[], log: (s: string) => void,
 *   core: { ok: boolean, reason: string, hasStats: boolean, exports: string[], backends: Record<string, string> },
 *   perf: { ok: boolean, reason: string } }} Ctx
 * @typedef {{ name: string, title: string, options?: ScenarioOptions, summaryLine?: (r: any) => string,
 *   variants: (ctx: Ctx) => Variant[],
 *   runOnce: (v: Variant, ctx: Ctx, how: { withPerf: boolean, seconds?: number, warmup?: number }) => Promise<any>,
 *   report: (runs: Map<string, { variant: Variant, runs: any[], perfRun: any }>, ctx: Ctx) =>
 *     { headers: string[], rows: string[][], checks: { text: string, status: string }[], notes: string[] } }} Scenario
 */

const benchDir = dirname(fileURLToPath(import.meta.url));
const log = (/** @type {string} */ s) => process.stderr.write(s + '\n');

function usage(/** @type {ScenarioOptions} */ scenOpts = {}) {
  process.stdout.write(`usage: node bench/run.js [options]
  --quick             short run (~1 minute): 3 reps, 1.5 s windows, 0.5 s warm-up
  --reps N            repetitions, interleaved (default 3)
  --conns N           TCP connections (default 400)
  --seconds S         measurement window per run (default 5)
  --warmup S          TCP warm-up before the window (default 1)
  --scenario a,b      scenarios to run (default: all in bench/scenarios/)
  --backends a,b      @osmo/io backends (default poll,io_uring)
  --no-perf           skip the perf syscall pass
  --perf-seconds S    window of the perf syscall pass (default 2)
  --udp-rate R        pace the UDP sender at R datagrams/s (default 0 = blast)
  --out FILE          JSON output (default bench/results/<date>.json)
${Object.entries(scenOpts).map(([k, v]) => `  --${k} X`.padEnd(22) + `${v.help} (default ${v.default})`).join('\n')}
`);
}

/**
 * @param {string[]} argv
 * @param {ScenarioOptions} scenOpts options declared by scenario modules (`export const options`)
 * @returns {Opts}
 */
function parseArgs(argv, scenOpts) {
  /** @type {Opts} */
  const o = { reps: 3, conns: 400, seconds: 5, warmup: 1, perf: true, perfSeconds: 2, udpRate: 0, scenarios: null,
    backends: ['poll', 'io_uring'], quick: false, out: null,
    extra: Object.fromEntries(Object.entries(scenOpts).map(([k, v]) => [k, v.default])) };
  if (argv.includes('--quick')) Object.assign(o, { quick: true, reps: 3, seconds: 1.5, warmup: 0.5, perfSeconds: 1 });
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) { usage(scenOpts); process.exit(2); }
      return v;
    };
    const num = (/** @type {number} */ min) => {
      const v = Number(val());
      if (!Number.isFinite(v) || v < min) { log(`bad value for ${a}`); process.exit(2); }
      return v;
    };
    switch (a) {
      case '--quick': break;
      case '--reps': o.reps = Math.floor(num(1)); break;
      case '--conns': o.conns = Math.floor(num(1)); break;
      case '--seconds': o.seconds = num(0.2); break;
      case '--warmup': o.warmup = num(0); break;
      case '--perf-seconds': o.perfSeconds = num(0.2); break;
      case '--udp-rate': o.udpRate = num(0); break;
      case '--no-perf': o.perf = false; break;
      case '--scenario': case '--scenarios': o.scenarios = val().split(',').filter(Boolean); break;
      case '--backends': o.backends = val().split(',').filter(Boolean).map((b) => b.toLowerCase()); break;
      case '--out': o.out = val(); break;
      case '-h': case '--help': usage(scenOpts); process.exit(0); break;
      default:
        if (a.startsWith('--') && Object.hasOwn(scenOpts, a.slice(2))) {
          const d = scenOpts[a.slice(2)].default;
          o.extra[a.slice(2)] = typeof d === 'number' ? num(-Infinity) : val();
          break;
        }
        log(`unknown option ${a}`); usage(scenOpts); process.exit(2);
    }
  }
  return o;
}

/** Build bench/build/loadgen from bench/loadgen.c when missing or older than the source. */
function buildLoadgen() {
  const src = join(benchDir, 'loadgen.c');
  const out = join(benchDir, 'build', 'loadgen');
  mkdirSync(join(benchDir, 'build'), { recursive: true });
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    log('bench: building loadgen (cc -O2)');
    execFileSync('cc', ['-O2', '-Wall', '-o', out, src], { stdio: 'inherit' });
  }
  return out;
}

/** Probe @osmo/io in a child process (so this process never loads the addon), once per backend. */
function probeCore(/** @type {string[]} */ backends) {
  const script = `import('@osmo/io').then((m) => {
    const r = { exports: Object.keys(m).sort(), hasStats: typeof m.stats === 'function' };
    try { r.backend = m.getBackend(); } catch (e) { r.backendError = e.message; }
    try { if (r.hasStats) r.stats = m.stats(); } catch (e) { r.statsError = e.message; }
    process.stdout.write(JSON.stringify(r));
  }, (e) => { process.stdout.write(JSON.stringify({ importError: e.message })); })`;
  /** @type {Ctx['core']} */
  const core = { ok: false, reason: '', hasStats: false, exports: [], backends: {} };
  for (const b of backends) {
    let r;
    try {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: benchDir, env: { ...process.env, OSMO_IO_BACKEND: b }, encoding: 'utf8', timeout: 20000,
        stdio: ['ignore', 'pipe', 'pipe'] });
      r = JSON.parse(out || '{}');
    } catch (e) {
      r = { importError: String(/** @type {any} */ (e).stderr || /** @type {Error} */ (e).message).trim().split('\n').slice(-3).join(' ') };
    }
    if (r.importError) { core.reason = `@osmo/io not loadable: ${r.importError}`; continue; }
    const need = ['IoFd', 'sock', 'Acceptor', 'lengthPrefixSegmentation', 'getBackend'];
    const missing = need.filter((n) => !r.exports.includes(n));
    core.exports = r.exports;
    core.hasStats = r.hasStats;
    if (missing.length) { core.reason = `@osmo/io lacks ${missing.join(', ')}`; continue; }
    if (r.backendError) { core.backends[b] = `error: ${r.backendError}`; continue; }
    if (r.backend !== b) { core.backends[b] = `asked for ${b}, got ${r.backend}`; continue; }
    core.backends[b] = 'ok';
    core.ok = true;
  }
  return core;
}

function envInfo() {
  const sh = (/** @type {string} */ c, /** @type {string[]} */ a) => {
    try { return execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim(); } catch { return null; }
  };
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    kernel: os.release(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavg: os.loadavg(),
    gitCommit: sh('git', ['-C', benchDir, 'rev-parse', '--short', 'HEAD']),
    gitDirty: (sh('git', ['-C', benchDir, 'status', '--porcelain', '--', '.', '../packages/io', '../native']) ?? '') !== '',
    cc: sh('cc', ['--version'])?.split('\n')[0] ?? null,
    perf: sh('perf', ['--version']),
    rmemMax: Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()),
  };
}

/** All scenario modules in bench/scenarios/, in report order. */
async function loadScenarios() {
  const dir = join(benchDir, 'scenarios');
  const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
  /** @type {Scenario[]} */
  const list = [];
  for (const f of files) {
    const m = await import(pathToFileURL(join(dir, f)).href);
    if (typeof m.runOnce !== 'function' || typeof m.variants !== 'function' || typeof m.report !== 'function') {
      log(`bench: ${f} is not a scenario module (needs variants, runOnce, report), skipped`);
      continue;
    }
    list.push(m);
  }
  // keep the historical order: tcp-echo, udp, then the rest alphabetically
  const order = ['tcp-echo', 'udp'];
  list.sort((a, b) => ((order.indexOf(a.name) + 1 || 99) - (order.indexOf(b.name) + 1 || 99)) || a.name.localeCompare(b.name));
  return list;
}

/**
 * @param {Scenario[]} list
 * @param {string[] | null} only
 */
function selectScenarios(list, only) {
  if (only) {
    const unknown = only.filter((n) => !list.some((s) => s.name === n));
    if (unknown.length) { log(`bench: unknown scenario(s) ${unknown.join(', ')}; have ${list.map((s) => s.name).join(', ')}`); process.exit(2); }
    return list.filter((s) => only.includes(s.name));
  }
  return list;
}

async function main() {
  const allScenarios = await loadScenarios();
  /** @type {ScenarioOptions} */
  const scenOpts = Object.assign({}, ...allScenarios.map((s) => s.options ?? {}));
  const opts = parseArgs(process.argv.slice(2), scenOpts);
  const scenarios = selectScenarios(allScenarios, opts.scenarios);
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const loadgen = buildLoadgen();
  const core = probeCore(opts.backends);
  const perf = opts.perf ? perfAvailable() : { ok: false, reason: 'disabled (--no-perf)', events: [] };
  const backends = opts.backends.filter((b) => core.backends[b] === 'ok');
  /** @type {Ctx} */
  const ctx = { opts, benchDir, loadgen, backends, log, core, perf };

  log(`bench: node ${process.version}, kernel ${os.release()}, ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (os.loadavg()[0] > 1.0) {
    log(`bench: WARNING load average ${os.loadavg()[0].toFixed(2)} before the start: other processes compete for the 2 cores; expect noisy numbers`);
  }
  if (!core.ok) log(`bench: @osmo/io variants skipped: ${core.reason || JSON.stringify(core.backends)}`);
  else {
    for (const b of opts.backends) if (core.backends[b] !== 'ok') log(`bench: backend ${b} skipped: ${core.backends[b] ?? core.reason}`);
    if (!core.hasStats) log('bench: @osmo/io exports no stats(): "syscalls/msg (core stats)" will be n/a');
  }
  if (!perf.ok) log(`bench: perf syscall counts n/a: ${perf.reason}`);

  /** @type {Map<string, Map<string, { variant: Variant, runs: any[], perfRun: any, failures: string[] }>>} */
  const results = new Map();
  for (const s of scenarios) {
    results.set(s.name, new Map(s.variants(ctx).map((v) => [v.id, { variant: v, runs: [], perfRun: null, failures: [] }])));
  }

  const one = async (/** @type {Scenario} */ s, /** @type {any} */ slot, /** @type {string} */ what, /** @type {any} */ how) => {
    const t = performance.now();
    try {
      const r = await s.runOnce(slot.variant, ctx, how);
      r.wallS = +((performance.now() - t) / 1000).toFixed(2);
      return r;
    } catch (e) {
      const msg = /** @type {Error} */ (e).message;
      slot.failures.push(`${what}: ${msg}`);
      log(`  FAILED ${s.name}/${slot.variant.id} ${what}: ${msg}`);
      return null;
    }
  };

  // Timed repetitions: repetition loop outside, variants inside (interleaved), no perf attached.
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const s of scenarios) {
      for (const slot of /** @type {Map<string, any>} */ (results.get(s.name)).values()) {
        const r = await one(s, slot, `rep ${rep}`, { withPerf: false });
        if (r) {
          r.rep = rep;
          slot.runs.push(r);
          const m = typeof s.summaryLine === 'function' ? s.summaryLine(r) : 'ok';
          log(`  rep ${rep}/${opts.reps} ${s.name}/${slot.variant.id}: ${m} (${r.wallS} s)`);
        }
      }
    }
  }
  // Syscall pass: perf attaches to the server; tracepoints cost CPU per syscall, so these runs are not timed.
  if (perf.ok) {
    for (const s of scenarios) {
      for (const slot of /** @type {Map<string, any>} */ (results.get(s.name)).values()) {
        const r = await one(s, slot, 'perf pass', { withPerf: true, seconds: opts.perfSeconds, warmup: Math.min(opts.warmup, 1) });
        slot.perfRun = r;
        if (r) log(`  perf ${s.name}/${slot.variant.id}: ${r.syscallsPerMsgPerf?.toFixed(3) ?? 'n/a'} syscalls/msg`);
      }
    }
  }

  // Report
  const env = envInfo();
  const out = [];
  out.push('');
  out.push(`osmo-io bench — ${env.date} — node ${env.node}, kernel ${env.kernel}, ${env.cpus} CPUs, commit ${env.gitCommit}${env.gitDirty ? ' (dirty)' : ''}`);
  out.push(`load average at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  out.push(`reps ${opts.reps} (interleaved), window ${opts.seconds} s${opts.quick ? ' (--quick)' : ''}; ` +
    `syscalls: ${perf.ok ? `separate perf pass (${opts.perfSeconds} s)` : `perf n/a (${perf.reason})`}; ` +
    `core stats(): ${core.ok ? (core.hasStats ? 'yes' : 'ABSENT') : 'n/a'}`);
  /** @type {any[]} */
  const allChecks = [];
  /** @type {Record<string, any>} */
  const jsonScen = {};
  for (const s of scenarios) {
    const slots = /** @type {Map<string, any>} */ (results.get(s.name));
    const ran = new Map([...slots].filter(([, v]) => v.runs.length));
    const rep = s.report(ran, ctx);
    out.push('');
    out.push(`## ${s.name}: ${s.title}`);
    out.push(renderTable(rep.headers, rep.rows));
    for (const n of rep.notes) out.push(`  ${n}`);
    for (const [, v] of slots) for (const f of v.failures) out.push(`  FAILED ${v.variant.label} ${f.slice(0, 300)}`);
    allChecks.push(...rep.checks);
    jsonScen[s.name] = {
      title: s.title,
      table: { headers: rep.headers, rows: rep.rows },
      checks: rep.checks,
      variants: Object.fromEntries([...slots].map(([id, v]) => [id, { label: v.variant.label, backend: v.variant.backend ?? null,
        runs: v.runs, perfRun: v.perfRun, failures: v.failures }])),
    };
  }
  out.push('');
  out.push('Targets (informational, ratios within this run):');
  for (const c of allChecks) out.push(`  ${c.text}`);
  const wall = (performance.now() - t0) / 1000;
  out.push('');
  out.push(`total ${wall.toFixed(0)} s`);
  process.stdout.write(out.join('\n') + '\n');

  const file = opts.out ?? join(benchDir, 'results', `${env.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ env, opts, core, perf: { ok: perf.ok, reason: perf.reason }, scenarios: jsonScen,
    checks: allChecks, wallS: +wall.toFixed(1), loadavgAtStart: loadStart, loadavgAtEnd: os.loadavg() }, null, 2) + '\n');
  process.stdout.write(`JSON: ${file}\n`);
}

main().then(() => process.exit(0), (e) => {
  log(`bench: ${e?.stack ?? e}`);
  process.exit(1);
});
