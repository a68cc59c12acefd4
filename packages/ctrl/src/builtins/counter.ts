/** Built-in `counter.<name>` (GET only), over a CtrlRegistry. */
import { ctrlError, ctrlReply, type CtrlCommandDef } from '../command.js';
import { CtrlReplyText } from '../errors.js';
import type { CtrlRegistry } from '../registry/registry.js';
import { Tokenizer } from '../strtok.js';

export const CounterText = {
  NOT_FOUND: 'Counter name not found.',
  CANT_SET: "Can't set counter.",
} as const;

export function counterCommand(registry: CtrlRegistry): CtrlCommandDef {
  return {
    name: 'counter *',
    get(req) {
      const at = req.variable.indexOf('counter');
      if (at < 0) return ctrlError(CtrlReplyText.OOM);
      const t = new Tokenizer(req.variable.slice(at));
      t.next('.');
      const name = t.next('');
      if (name === null) return ctrlError(CtrlReplyText.OOM);
      const c = registry.counters.get(name);
      if (!c) return ctrlError(CounterText.NOT_FOUND);
      return ctrlReply(c.value);
    },
    set() {
      return ctrlError(CounterText.CANT_SET);
    },
  };
}
