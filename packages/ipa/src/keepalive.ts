/**
 * IPA keepalive FSM (the upstream "IPA-KA" model): INIT -> WAIT_RESP (PING sent, pong timer running) -> on PONG
 * IDLE (ping interval running) -> WAIT_RESP ... ; pong timer expiry -> INIT, then the timeout callback.
 */
import { debuglog } from 'node:util';

const debug = debuglog('osmo-ipa');

export type IpaKeepaliveState = 'INIT' | 'WAIT_RESP' | 'IDLE';

export interface IpaKeepaliveParams {
  /** ms between a PONG and the next PING (upstream T1, ping_interval) */
  interval: number;
  /** ms to wait for a PONG (upstream T2, pong_timeout) */
  timeout: number;
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
  #timer: NodeJS.Timeout | undefined;
  readonly #o: IpaKeepaliveOptions;

  constructor(opts: IpaKeepaliveOptions) {
    for (const k of ['interval', 'timeout'] as const) {
      const v = opts[k];
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`IpaKeepalive: ${k} must be a positive number of ms, got ${v}`);
    }
    this.#o = opts;
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
    this.#timer = setTimeout(fn, ms);
    // the connection, not the keepalive timer, keeps the process alive
    this.#timer.unref();
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
