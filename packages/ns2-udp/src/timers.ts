/** NS timers by upstream's VTY names (`timer NAME <0-65535>` under `ns`) with gprs_ns2_instantiate's defaults. */
import { NsError } from './errors.js';

export const NS_TIMER_DEFAULTS = {
  'tns-block': 3,
  'tns-block-retries': 3,
  'tns-reset': 3,
  'tns-reset-retries': 3,
  'tns-test': 30,
  'tns-alive': 3,
  'tns-alive-retries': 10,
  'tsns-prov': 3,
  'tsns-size-retries': 3,
  'tsns-config-retries': 3,
  'tsns-procedures-retries': 3,
} as const;

export type NsTimerName = keyof typeof NS_TIMER_DEFAULTS;
/** durations in seconds (fractions allowed, e.g. 0.1 for tests), retries as counts */
export type NsTimers = Record<NsTimerName, number>;

export function isTimerName(n: string): n is NsTimerName {
  return Object.prototype.hasOwnProperty.call(NS_TIMER_DEFAULTS, n);
}

/** defaults overridden by `t`; throws NsError (a RangeError) for unknown names or values outside 0..65535 */
export function nsTimers(t: Partial<Record<string, number>> = {}): NsTimers {
  const out: NsTimers = { ...NS_TIMER_DEFAULTS };
  for (const [k, v] of Object.entries(t)) {
    if (v === undefined) continue;
    if (!isTimerName(k)) throw new NsError('ERR_NS_UNKNOWN_TIMER', `unknown NS timer ${k} (known: ${Object.keys(NS_TIMER_DEFAULTS).join(', ')})`);
    if (typeof v !== 'number' || !(v >= 0 && v <= 65535)) throw new NsError('ERR_OUT_OF_RANGE', `timer ${k}: ${String(v)} is not in 0..65535`);
    out[k] = v;
  }
  return out;
}
