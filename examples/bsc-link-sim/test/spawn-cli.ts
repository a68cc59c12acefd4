// Test helper: the bsc-link-sim CLI (src/cli.ts through tsx) as a child process with --control (JSON lines).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

export interface CliProc {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  stderr: string;
  /** the first event (already received or coming) that matches */
  next(pred: (e: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  send(line: string): void;
  /** send a command and wait for the next event of that name (received after sending) */
  request(cmd: string, event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(): void;
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProc {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', CLI, ...args], {
    env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  const p: CliProc = {
    child, events, stderr: '',
    next(pred, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const e = events.find(pred);
          if (e) { waiters.delete(check as () => void); clearTimeout(t); resolve(e); return true; }
          return false;
        };
        const t = setTimeout(() => { waiters.delete(check as () => void); reject(new Error(`cli: no matching event in ${timeoutMs} ms; stderr: ${p.stderr.slice(-1500)}`)); }, timeoutMs);
        if (!check()) waiters.add(check as () => void);
      });
    },
    send(line) { if (child.exitCode === null) child.stdin?.write(`${line}\n`); },
    request(cmd, event, timeoutMs = 3000) {
      const from = events.length;
      p.send(cmd);
      return p.next((e) => e['event'] === event && events.indexOf(e) >= from, timeoutMs);
    },
    kill() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
    exited: new Promise((r) => child.on('exit', (code) => r(code))),
  };
  child.stdin?.on('error', () => {});
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim(); buf = buf.slice(i + 1);
      if (!line) continue;
      try { events.push(JSON.parse(line) as Record<string, unknown>); } catch { events.push({ event: 'text', line }); }
      for (const w of [...waiters]) w();
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => { p.stderr = (p.stderr + d).slice(-8192); });
  return p;
}
