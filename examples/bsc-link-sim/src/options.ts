/** Options of a simulator run and their defaults (no I/O here: the CLI checks its arguments against them first). */
import type { BscSide } from './bsc.js';
import type { BtsSide } from './bts.js';
import type { Transport } from './transport.js';

export interface SimOptions {
  bts: number;
  trx: number;
  rate: number;
  durationS: number;
  backend: 'auto' | 'poll' | 'io_uring' | 'node-net';
  /** run only the BTS side against this BSC (OML port; RSL port comes from RSL Connect) */
  bsc?: { host: string; port: number };
  host: string;
  omlPort: number;     // 0 = any free port (local BSC side)
  rslPort: number;
  ctrlPort: number | null;   // null: no CTRL interface
  /** address the CTRL interface listens on (default 127.0.0.1: loopback even when OML/RSL listen on 0.0.0.0) */
  ctrlHost?: string;
  siteBase: number;
  reconnectMs: number;
  /** drop a random OML or RSL link every this many seconds (0 = never) */
  chaosS: number;
  /** BSC side only (no BTS side): listen on host:omlPort until durationS (0 = until `stop`) */
  listen?: boolean;
  /** sample VmRSS and the open fds every this many seconds into summary.resources (0/undefined = no sampling) */
  sampleS?: number;
  /** resolving ends the run early (e.g. 'exit' on the control channel) */
  stop?: Promise<void>;
  /** called once the BSC side (if any) listens and the BTS side (if any) started */
  onStarted?(h: SimStarted): void;
  onProgress?(p: SimProgress): void;
  progressMs?: number;
}

export interface SimStarted { transport: Transport; bsc: BscSide | null; bts: BtsSide | null; omlPort: number; rslPort: number; ctrlPort: number | null }

/** msgsPerS: RSL messages sent per second (BTS side), or received (BSC side only) */
export interface SimProgress {
  t: number; omlUp: number; rslUp: number; msgsPerS: number; cpuPercent: number; backend: string; rssKb?: number; fds?: number;
  /** BTS side: failed OML connect attempts so far */
  connectErrors?: number;
}

export const DEFAULTS: SimOptions = {
  bts: 100, trx: 4, rate: 25, durationS: 10, backend: 'auto', host: '127.0.0.1', omlPort: 0, rslPort: 0,
  ctrlPort: 0, siteBase: 1801, reconnectMs: 1000, chaosS: 0,
};

