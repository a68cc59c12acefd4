/** Test helper: run a CLI bin as a child process, optionally without @osmo/io (see hooks.mjs). */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const NO_ADDON = fileURLToPath(new URL('./register.mjs', import.meta.url));

export interface Ran { code: number | null; out: string; err: string; errLines: string[] }

/** Run the bin; `noAddon`: @osmo/io cannot be imported in the child. */
export function runBin(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv; noAddon?: boolean; nodeArgs?: string[]; onSpawn?(ch: ReturnType<typeof spawn>, st: { out: string; err: string }): void } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const ch = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...(opts.noAddon ? ['--import', NO_ADDON] : []), bin, ...args],
      { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const st = { out: '', err: '' };
    ch.stdout!.on('data', (d: Buffer) => { st.out += d.toString(); });
    ch.stderr!.on('data', (d: Buffer) => { st.err += d.toString(); });
    ch.on('close', (code) => resolve({ code, out: st.out, err: st.err, errLines: st.err.split('\n').filter((l) => l !== '') }));
    opts.onSpawn?.(ch, st);
  });
}

