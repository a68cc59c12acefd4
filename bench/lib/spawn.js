// Child processes for the benchmark: servers, the load generator, perf.
// Every child is tracked and killed when run.js exits (normally, on error or on Ctrl-C).
// Children speak line-delimited JSON on stdout; `waitFor()` waits for a matching line with a deadline.

import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';

/** @type {Set<Proc>} */
const live = new Set();

function killAll() {
  for (const p of live) p.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping children\n`);
    killAll();
    process.exit(130);
  });
}

export class Proc extends EventEmitter {
  /**
   * @param {string} name label for messages
   * @param {string} cmd
   * @param {string[]} args
   * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, stdio?: import('node:child_process').StdioOptions }} [opts]
   */
  constructor(name, cmd, args, opts = {}) {
    super();
    this.name = name;
    /** @type {Record<string, unknown>[]} */
    this.events = [];
    this.stderr = '';
    this.exited = false;
    /** @type {any} */
    this.ready = null;
    /** @type {number | null} */
    this.code = null;
    /** @type {string | null} */
    this.signal = null;
    this.child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? -1;
    live.add(this);
    let buf = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        let ev;
        try { ev = JSON.parse(line); } catch { ev = { event: 'text', line }; }
        ev._t = performance.now();
        this.events.push(ev);
        this.emit('line', ev);
      }
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (d) => {
      // keep the tail only; stderr is for diagnostics
      this.stderr = (this.stderr + d).slice(-8192);
      this.emit('stderr', d);
    });
    this.child.stdin?.on('error', () => {}); // EPIPE when the child died first
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        this.code = code;
        this.signal = signal;
        live.delete(this);
        this.emit('exit', code, signal);
        resolve({ code, signal });
      });
      this.child.on('error', (err) => {
        this.exited = true;
        live.delete(this);
        this.stderr += `\nspawn error: ${err.message}`;
        this.emit('exit', -1, null);
        resolve({ code: -1, signal: null });
      });
    });
  }

  /** @param {string} line */
  send(line) {
    if (!this.exited) this.child.stdin?.write(line + '\n');
  }

  /**
   * Wait for an event line matching `pred` (also looks at lines already received after index `from`).
   * @param {(ev: any) => boolean} pred
   * @param {number} timeoutMs
   * @param {number} [from]
   * @returns {Promise<any>}
   */
  waitFor(pred, timeoutMs, from = 0) {
    for (let i = from; i < this.events.length; i++) if (pred(this.events[i])) return Promise.resolve(this.events[i]);
    return new Promise((resolve, reject) => {
      const onLine = (/** @type {any} */ ev) => { if (pred(ev)) { cleanup(); resolve(ev); } };
      const onExit = () => {
        cleanup();
        reject(new Error(`${this.name} (pid ${this.pid}) exited (code ${this.code}, signal ${this.signal}) while waiting; stderr: ${this.stderr.trim().slice(-2000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name} (pid ${this.pid}): timeout after ${timeoutMs} ms; stderr: ${this.stderr.trim().slice(-2000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('line', onLine);
        this.off('exit', onExit);
      };
      this.on('line', onLine);
      this.on('exit', onExit);
      if (this.exited) onExit();
    });
  }

  /**
   * Send a line command and wait for the reply event named `reply`.
   * @param {string} cmd
   * @param {string} reply
   * @param {number} [timeoutMs]
   */
  async request(cmd, reply, timeoutMs = 3000) {
    const from = this.events.length;
    this.send(cmd);
    return this.waitFor((ev) => ev.event === reply, timeoutMs, from);
  }

  /** @param {NodeJS.Signals} sig */
  kill(sig = 'SIGTERM') {
    if (!this.exited) {
      try { this.child.kill(sig); } catch { /* already gone */ }
    }
  }

  /**
   * Stop politely: optional command line, then SIGTERM, then SIGKILL; bounded in time.
   * @param {{ command?: string, graceMs?: number }} [opts]
   */
  async stop({ command, graceMs = 2000 } = {}) {
    if (this.exited) return this.exitPromise;
    if (command) this.send(command);
    else this.kill('SIGTERM');
    const t = setTimeout(() => this.kill(command ? 'SIGTERM' : 'SIGKILL'), graceMs);
    const t2 = setTimeout(() => this.kill('SIGKILL'), graceMs * 2);
    const r = await this.exitPromise;
    clearTimeout(t);
    clearTimeout(t2);
    return r;
  }
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start a benchmark server (a Node script under bench/servers/) and wait for its {"event":"ready"} line.
 * @param {{ name: string, script: string, args?: string[], env?: Record<string, string>, nodeArgs?: string[] }} spec
 * @param {{ benchDir: string, timeoutMs?: number }} ctx
 */
export async function startServer(spec, ctx) {
  const env = { ...process.env, ...(spec.env ?? {}) };
  const p = new Proc(spec.name, process.execPath, [...(spec.nodeArgs ?? []), `${ctx.benchDir}/servers/${spec.script}`,
    ...(spec.args ?? [])], { env, cwd: ctx.benchDir });
  try {
    p.ready = await p.waitFor((ev) => ev.event === 'ready', ctx.timeoutMs ?? 15000);
  } catch (e) {
    p.kill('SIGKILL');
    throw e;
  }
  return p;
}
