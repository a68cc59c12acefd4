#!/usr/bin/env node
// bench:sctp (runs inside user-mode Linux, see scripts/bench-sctp.sh): echo.ts on poll and io_uring,
// interleaved repetitions, a side-by-side table of medians and a JSON file in bench/results/.
// UML is a single-CPU guest: its absolute numbers say nothing about real hardware, only the ratios do.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const reps = Number(process.env.SCTP_BENCH_REPS ?? 3);
const extra = process.argv.slice(2);
const runs = { poll: [], io_uring: [] };
for (let r = 0; r < reps; r++) {
  for (const be of ['poll', 'io_uring']) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=source', join(here, 'echo.ts'), ...extra],
      { env: { ...process.env, OSMO_IO_BACKEND: be }, encoding: 'utf8' });
    const line = JSON.parse(out.trim().split('\n').pop());
    runs[be].push(line);
    process.stderr.write(`rep ${r + 1} ${be}: ${line.msgsPerSec.toFixed(0)} msg/s, ${line.cpuUsPerMsg.toFixed(1)} µs CPU/msg, ${line.syscallsPerMsg.toFixed(3)} syscalls/msg\n`);
  }
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const m = {};
for (const be of Object.keys(runs)) {
  m[be] = {};
  for (const k of ['msgsPerSec', 'cpuUsPerMsg', 'syscallsPerMsg', 'uringSqesPerMsg']) m[be][k] = median(runs[be].map((x) => x[k]));
}
const rows = [
  ['', 'poll', 'io_uring', 'io_uring / poll'],
  ['messages/s (median)', m.poll.msgsPerSec.toFixed(0), m.io_uring.msgsPerSec.toFixed(0), (m.io_uring.msgsPerSec / m.poll.msgsPerSec).toFixed(2)],
  ['CPU µs / message', m.poll.cpuUsPerMsg.toFixed(2), m.io_uring.cpuUsPerMsg.toFixed(2), (m.io_uring.cpuUsPerMsg / m.poll.cpuUsPerMsg).toFixed(2)],
  ['syscalls / message', m.poll.syscallsPerMsg.toFixed(3), m.io_uring.syscallsPerMsg.toFixed(3), ''],
];
const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const table = rows.map((r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`);
table.splice(1, 0, `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`);
console.log(`SCTP echo, 64 associations, 100-byte messages with PPID 3 and 4 streams, inside user-mode Linux (${reps} reps, medians; ratios only are meaningful)`);
console.log(table.join('\n'));
const target = m.io_uring.syscallsPerMsg <= 0.2;
console.log(`io_uring syscalls/message <= 0.2: ${target ? 'yes' : 'NO'} (${m.io_uring.syscallsPerMsg.toFixed(3)})`);
const dir = join(here, '..', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `sctp-${new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d\d\dZ$/, 'Z')}.json`);
writeFileSync(file, JSON.stringify({ scenario: 'sctp-echo', env: 'user-mode-linux', reps, runs, medians: m }, null, 2) + '\n');
console.log(`JSON: ${file}`);
