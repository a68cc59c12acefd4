/**
 * IPA keepalive FSM (the upstream "IPA-KA" model): INIT -> WAIT_RESP (PING sent, pong timer running) -> on PONG
 * IDLE (ping interval running) -> WAIT_RESP ... ; pong timer expiry -> INIT, then the timeout callback.
 */
import { debuglog } from 'node:util';
import { validatePositive } from './errors.js';
import { systemTimers, type IpaTimers } from './timers.js';

const debug = debuglog('osmo-ipa');

export type IpaKeepaliveState = 'INIT' | 'WAIT_RESP' | 'IDLE';


export interface IpaKeepaliveParams {
  /** ms between a PONG and the next PING (upstream T1, ping_interval) */
  interval: number;
  /** ms to wait for a PONG (upstream T2, pong_timeout) */
  timeout: number;
  /** where the timers come from (default: the global setTimeout/clearTimeout) */
  timers?: IpaTimers;
}

export interface IpaKeepaliveOptions extends IpaKeepaliveParams {
  /** sends a PING; called on each entry to WAIT_RESP */
  sendPing: () => void;
  /** no PONG within `timeout`: the FSM is back in INIT when this is called */
  onTimeout: () => void;
  name?: string;
}

export class IpaKeepalive {
  #state: IpaKeepaliveState = 'INIT';
  #timer: unknown;
  readonly #o: IpaKeepaliveOptions;
  readonly #timers: IpaTimers;

  constructor(opts: IpaKeepaliveOptions) {
    validatePositive(opts.interval, 'keepalive.interval');
    validatePositive(opts.timeout, 'keepalive.timeout');
    this.#o = opts;
    this.#timers = opts.timers ?? systemTimers;
  }

  get state(): IpaKeepaliveState {
    return this.#state;
  }

  /** INIT -> WAIT_RESP (sends the first PING). No-op when already running. */
  start(): void {
    if (this.#state !== 'INIT') return;
    this.#enterWaitResp();
  }

  /** back to INIT, timers stopped */
  stop(): void {
    this.#clear();
    this.#state = 'INIT';
  }

  /** feed every received PONG here; only meaningful in WAIT_RESP */
  pongReceived(): void {
    if (this.#state !== 'WAIT_RESP') return;
    this.#clear();
    this.#state = 'IDLE';
    this.#arm(this.#o.interval, () => this.#enterWaitResp());
  }

  #enterWaitResp(): void {
    this.#clear();
    this.#state = 'WAIT_RESP';
    this.#arm(this.#o.timeout, () => {
      debug('ka(%s): no PONG within %d ms', this.#o.name ?? '', this.#o.timeout);
      this.#state = 'INIT';
      this.#timer = undefined;
      this.#o.onTimeout();
    });
    this.#o.sendPing();
  }

  #arm(ms: number, fn: () => void): void {
    const t = this.#timers.setTimeout(fn, ms);
    // the connection, not the keepalive timer, keeps the process alive
    (t as { unref?: () => void } | null)?.unref?.();
    this.#timer = t;
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
