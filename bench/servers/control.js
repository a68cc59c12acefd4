// Control channel shared by the benchmark servers (one Node process each, started by bench/run.js).
//
// stdout: one JSON object per line. The first is {"event":"ready", port, pid, ...}.
// stdin:  one command per line; the server answers each with one JSON line:
//   "stats"  -> {"event":"stats", seq, msgs, bytes, ...server specific (e.g. syscalls from @osmo/io stats())}
//   "exit"   -> {"event":"bye"} and exit
// stdin EOF (run.js went away) exits the server too, so no server outlives the harness.
// A hard limit (BENCH_SERVER_MAX_S, default 600 s) bounds every server's lifetime.

import { createInterface } from 'node:readline';

/**
 * @param {() => Record<string, unknown>} getStats
 * @param {() => void} [onExit]
 */
export function serveControl(getStats, onExit) {
  const maxS = Number(process.env.BENCH_SERVER_MAX_S ?? 600);
  const limit = setTimeout(() => {
    process.stderr.write(`bench server ${process.pid}: lifetime limit ${maxS}s reached, exiting\n`);
    process.exit(3);
  }, maxS * 1000);
  limit.unref();

  let seq = 0;
  const rl = createInterface({ input: process.stdin, terminal: false });
  const quit = () => {
    try { onExit?.(); } finally { process.exit(0); }
  };
  rl.on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'stats') {
      send({ event: 'stats', seq: ++seq, t: Number(process.hrtime.bigint()) / 1e9, ...getStats() });
    } else if (cmd === 'exit') {
      send({ event: 'bye' });
      quit();
    } else if (cmd) {
      send({ event: 'error', message: `unknown command ${cmd}` });
    }
  });
  rl.on('close', quit);
}

/** @param {Record<string, unknown>} obj */
export function send(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** Parse `--key value` pairs into an object of strings. */
export function args(argv = process.argv.slice(2)) {
  /** @type {Record<string, string>} */
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k.startsWith('--')) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) out[k.slice(2)] = 'true';
      else { out[k.slice(2)] = v; i++; }
    }
  }
  return out;
}
