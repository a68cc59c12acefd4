/**
 * A small finite state machine registry in the spirit of libosmocore's osmo_fsm, enough for the CTRL
 * `fsm.*` commands: named FSMs with named states, instances with id/name, parent/children, and a state
 * timer (T number + timeout) whose remaining time can be read.
 */
import type { CtrlRegistry } from './registry.js';
import { CtrlUsageError, unknownName } from '../errors.js';

export interface FsmOptions {
  /** FSM name, e.g. "CTRL_CONN" (valid identifier) */
  name: string;
  states: readonly string[];
  /** called when a state timer expires */
  timerCb?(fi: FsmInstance): void;
}

export class Fsm {
  readonly name: string;
  readonly states: readonly string[];
  readonly instances = new Set<FsmInstance>();
  /** @internal */
  readonly timerCb: ((fi: FsmInstance) => void) | undefined;
  private seq = 0;
  constructor(opts: FsmOptions) {
    if (opts.states.length === 0) throw new CtrlUsageError('ERR_OSMO_CTRL_INVALID_ARG', `FSM ${opts.name}: needs at least one state`);
    this.name = opts.name;
    this.states = opts.states;
    this.timerCb = opts.timerCb;
  }
  /** osmo_fsm_inst_alloc(_child): starts in the first state */
  alloc(opts: { id?: string; parent?: FsmInstance; logLevel?: string } = {}): FsmInstance {
    const fi = new FsmInstance(this, opts.id ?? null, this.seq++, opts.parent ?? null, opts.logLevel ?? 'DEBUG');
    this.instances.add(fi);
    return fi;
  }
  findByName(name: string): FsmInstance | undefined {
    for (const fi of this.instances) if (fi.name === name) return fi;
    return undefined;
  }
  findById(id: string): FsmInstance | undefined {
    for (const fi of this.instances) if (fi.id === id) return fi;
    return undefined;
  }
}

export class FsmInstance {
  /** "<fsm>(<id>)" or "<fsm>[<n>]" without id */
  readonly name: string;
  state = 0;
  /** timer number of the running state timer (0 = none) */
  T = 0;
  readonly children = new Set<FsmInstance>();
  private timer: NodeJS.Timeout | null = null;
  private deadline = 0;
  private terminated = false;

  constructor(
    readonly fsm: Fsm,
    readonly id: string | null,
    seq: number,
    readonly parent: FsmInstance | null,
    public logLevel: string,
  ) {
    this.name = id !== null ? `${fsm.name}(${id})` : `${fsm.name}[${seq}]`;
    parent?.children.add(this);
  }

  get stateName(): string { return this.fsm.states[this.state]!; }
  get isTerminated(): boolean { return this.terminated; }

  /** osmo_fsm_inst_state_chg: timeoutMs > 0 starts timer T (a stopped timer when 0) */
  stateChange(state: string | number, timeoutMs = 0, T = 0): void {
    const idx = typeof state === 'number' ? state : this.fsm.states.indexOf(state);
    if (idx < 0 || idx >= this.fsm.states.length) throw unknownName(`FSM ${this.fsm.name} has no state ${String(state)}`);
    this.state = idx;
    this.stopTimer();
    this.T = T;
    if (timeoutMs > 0) {
      this.deadline = performance.now() + timeoutMs;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.fsm.timerCb?.(this);
      }, timeoutMs);
      this.timer.unref();
    }
  }

  /** remaining time of the state timer, or null when none runs */
  timerRemaining(): { sec: number; usec: number } | null {
    if (!this.timer) return null;
    const us = Math.max(0, Math.round((this.deadline - performance.now()) * 1000));
    return { sec: Math.floor(us / 1e6), usec: us % 1e6 };
  }

  /** osmo_fsm_inst_term: children first, then this instance leaves its FSM */
  term(): void {
    if (this.terminated) return;
    this.terminated = true;
    for (const c of [...this.children]) c.term();
    this.stopTimer();
    this.parent?.children.delete(this);
    this.fsm.instances.delete(this);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
