/** Built-in `rate_ctr.<interval>.<group>.<idx>[.<counter>]` (GET only), over a CtrlRegistry. */
import { ctrlError, ctrlReply, type CtrlCommandDef } from '../command.js';
import type { CtrlRegistry } from '../registry/registry.js';
import { RATE_CTR_INTERVALS, type RateCtrInterval } from '../registry/rate-ctr.js';
import { atoi, Tokenizer } from '../strtok.js';

export const RateCtrText = {
  NOT_A_TOKEN: 'rate_ctr not a token in rate_ctr command!',
  MISSING_INTERVAL: 'Missing interval.',
  WRONG_INTERVAL: "Wrong interval. Expecting 'per_sec', 'per_min', 'per_hour', 'per_day' or 'abs' value.",
  GROUP_FORMAT: 'Counter group must be of name.index form e. g. e1inp.0',
  GROUP_NOT_FOUND: 'Counter group with given name and index not found',
  COUNTER_NOT_FOUND: 'Counter name not found.',
  CANT_SET: "Can't set rate counter.",
} as const;

export function rateCtrCommand(registry: CtrlRegistry): CtrlCommandDef {
  return {
    name: 'rate_ctr *',
    get(req) {
      const at = req.variable.indexOf('rate_ctr');
      if (at < 0) return ctrlError(RateCtrText.NOT_A_TOKEN);
      const t = new Tokenizer(req.variable.slice(at));
      t.next('.');
      const interval = t.next('.');
      if (interval === null) return ctrlError(RateCtrText.MISSING_INTERVAL);
      if (interval === '*') {
        return ctrlReply(registry.rateCounterGroups.map((g) => `${g.prefix}.${g.idx};`).join(''));
      }
      if (interval !== 'abs' && !RATE_CTR_INTERVALS.includes(interval as RateCtrInterval)) {
        return ctrlError(RateCtrText.WRONG_INTERVAL);
      }
      const intv = interval as RateCtrInterval | 'abs';
      const group = t.next('.');
      const idx = t.next('.');
      if (group === null || idx === null) return ctrlError(RateCtrText.GROUP_FORMAT);
      const g = registry.findRateCounterGroup(group, atoi(idx));
      if (!g) return ctrlError(RateCtrText.GROUP_NOT_FOUND);
      const rest = t.rest();
      if (rest.length === 0) {
        return ctrlReply(g.counters.map((c) => `${c.desc.name} ${c.value(intv)};`).join(''));
      }
      const c = g.get(rest);
      if (!c) return ctrlError(RateCtrText.COUNTER_NOT_FOUND);
      return ctrlReply(c.value(intv));
    },
    set() {
      return ctrlError(RateCtrText.CANT_SET);
    },
  };
}
