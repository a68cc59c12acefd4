/** Test helper: run a CLI bin as a child process, optionally as if @osmo/io's native addon were not built. */
import { spawn } from 'node:child_process';

/** OSMO_IO_ADDON naming a file that is not there: @osmo/io imports fine, its first I/O use fails to load the addon */
export const NO_ADDON_ENV = { OSMO_IO_ADDON: '/nonexistent/osmo_io.node' };

export interface Ran { code: number | null; out: string; err: string; errLines: string[] }

/** Run the bin; `noAddon`: the child cannot load @osmo/io's addon. */
export function runBin(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv; noAddon?: boolean; nodeArgs?: string[]; onSpawn?(ch: ReturnType<typeof spawn>, st: { out: string; err: string }): void } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const ch = spawn(process.execPath, [...(opts.nodeArgs ?? []), bin, ...args],
      { env: { ...process.env, ...opts.env, ...(opts.noAddon ? NO_ADDON_ENV : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const st = { out: '', err: '' };
    ch.stdout!.on('data', (d: Buffer) => { st.out += d.toString(); });
    ch.stderr!.on('data', (d: Buffer) => { st.err += d.toString(); });
    ch.on('close', (code) => resolve({ code, out: st.out, err: st.err, errLines: st.err.split('\n').filter((l) => l !== '') }));
    opts.onSpawn?.(ch, st);
  });
}

