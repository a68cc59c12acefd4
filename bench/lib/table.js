// Statistics and plain-text tables for the benchmark report.

/** @param {(number | null | undefined)[]} xs */
export function median(xs) {
  const v = xs.filter(/** @returns {x is number} */ (x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Format a number with a fixed number of decimals; null/undefined/NaN -> "n/a".
 * @param {number | null | undefined} x
 * @param {number} [digits]
 */
export function fmt(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (digits === 0) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
}

/**
 * "median [run1, run2, run3]" (runs in the order they were measured).
 * @param {(number | null | undefined)[]} xs
 * @param {number} [digits]
 */
export function medAll(xs, digits = 2) {
  const m = median(xs);
  if (xs.length <= 1) return fmt(m, digits);
  return `${fmt(m, digits)} [${xs.map((x) => fmt(x, digits)).join(', ')}]`;
}

/**
 * Render a table (markdown-compatible pipes, padded for the terminal).
 * @param {string[]} headers
 * @param {string[][]} rows
 */
export function renderTable(headers, rows) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) =>
    '| ' + cells.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' | ') + ' |';
  return [line(headers), '|' + w.map((n, i) => (i === 0 ? ':' : '') + '-'.repeat(n + 1) + (i === 0 ? '' : ':')).join('|') + '|',
    ...rows.map(line)].join('\n');
}

/**
 * A target check line: "PASS|MISS  <label>: <value> (target <op> <limit>)". Informational only.
 * @param {string} label
 * @param {number | null} value
 * @param {'<=' | '>='} op
 * @param {number} limit
 * @param {string} [detail]
 */
export function check(label, value, op, limit, detail = '') {
  const known = value !== null && Number.isFinite(value);
  const pass = known && (op === '<=' ? value <= limit : value >= limit);
  const status = !known ? 'N/A ' : pass ? 'PASS' : 'MISS';
  return { label, value, op, limit, status: status.trim(), text: `${status}  ${label}: ${fmt(value, 3)} (target ${op} ${limit})${detail ? '  ' + detail : ''}` };
}

/**
 * The two target checks every scenario makes of its io_uring variant: system calls per message (perf when it
 * ran, else the core's own count) and CPU per message as a ratio to the scenario's Node baseline.
 * @param {Map<string, { runs: any[], perfRun: any }>} runs
 * @param {{ id?: string, sysLabel: string, sysLimit: number, ratioLabel: string, ratioLimit: number, cpuKey: string, baseId: string }} t
 */
export function ioUringChecks(runs, t) {
  const u = runs.get(t.id ?? 'osmo-io_uring');
  if (!u) {
    return [check(t.sysLabel, null, '<=', t.sysLimit, '(no io_uring variant ran)'),
      check(t.ratioLabel, null, '<=', t.ratioLimit, '(no io_uring variant ran)')];
  }
  const sysPerf = u.perfRun?.syscallsPerMsgPerf ?? null;
  const sys = sysPerf ?? median(u.runs.map((r) => r.syscallsPerMsgCore));
  const base = runs.get(t.baseId);
  const baseCpu = base ? median(base.runs.map((r) => r[t.cpuKey])) : null;
  const cpu = median(u.runs.map((r) => r[t.cpuKey]));
  const ratio = baseCpu && cpu !== null ? cpu / baseCpu : null;
  return [check(t.sysLabel, sys, '<=', t.sysLimit, sysPerf !== null ? '(perf)' : '(core stats)'),
    check(t.ratioLabel, ratio, '<=', t.ratioLimit)];
}

/**
 * The note line with a variant's per-syscall breakdown from its perf pass (null when perf did not run).
 * @param {{ label: string }} variant
 * @param {any} perfRun
 * @param {string} [suffix]
 */
export function perfBreakdownNote(variant, perfRun, suffix = '') {
  if (!perfRun?.syscallBreakdownPerMsg) return null;
  const b = Object.entries(/** @type {Record<string, number>} */ (perfRun.syscallBreakdownPerMsg))
    .filter(([, v]) => v >= 0.001).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${fmt(v, 3)}`).join(', ');
  const cs = perfRun.syscallsPerMsgCore;
  return `syscalls/msg breakdown ${variant.label} (perf pass): ${b || '(none)'}` +
    `${cs !== null && cs !== undefined ? `; core stats() in the same run ${fmt(cs, 3)}` : ''}${suffix}`;
}

/**
 * One note line per variant with the medians of the core's stats() per message.
 * @param {Map<string, { variant: { label: string }, runs: any[] }>} runs
 */
export function coreStatsNotes(runs) {
  const notes = [];
  for (const [, { variant, runs: rs }] of runs) {
    const keys = Object.keys(rs.find((r) => r.corePerMsg)?.corePerMsg ?? {});
    if (keys.length) {
      notes.push(`core stats() per msg ${variant.label} (median): ` +
        keys.map((k) => `${k} ${fmt(median(rs.map((r) => r.corePerMsg?.[k])), 3)}`).join(', '));
    }
  }
  return notes;
}
