/** Built-in `stat_item.last.<group>.<N|by_name.<name>>.<item>` (read only), over a CtrlRegistry. */
import { ctrlError, ctrlReply, type CtrlCommandDef } from '../command.js';
import type { CtrlRegistry } from '../registry/registry.js';
import { atoi, Tokenizer } from '../strtok.js';

export const StatItemText = {
  FORMAT: "Stat item must be of form stat_item.type.group_name.N.item_name, e.g. 'stat_item.last.bsc.0.msc_num:connected'",
  GROUP_NOT_FOUND: 'Stat group with given name and index not found',
  ITEM_NOT_FOUND: 'No such stat item found',
  GARBAGE: 'Garbage after stat item name',
} as const;

export function statItemCommand(registry: CtrlRegistry): CtrlCommandDef {
  return {
    name: 'stat_item *',
    readOnly: true,
    get(req) {
      const t = new Tokenizer(req.variable);
      if (t.next('.') === null) return ctrlError(StatItemText.FORMAT);
      const type = t.next('.');
      // only the "last" value exists here, as upstream
      if (type !== 'last') return ctrlError(StatItemText.FORMAT);
      const groupName = t.next('.');
      const groupIdx = t.next('.');
      if (groupName === null || groupIdx === null) return ctrlError(StatItemText.FORMAT);
      let g;
      if (groupIdx === 'by_name') {
        const idxName = t.next('.');
        g = idxName === null ? undefined : registry.findStatItemGroupByName(groupName, idxName);
      } else {
        g = registry.findStatItemGroup(groupName, atoi(groupIdx));
      }
      if (!g) return ctrlError(StatItemText.GROUP_NOT_FOUND);
      const itemName = t.next('.');
      if (itemName === null) return ctrlError(StatItemText.FORMAT);
      const item = g.get(itemName);
      if (!item) return ctrlError(StatItemText.ITEM_NOT_FOUND);
      if (t.next('') !== null) return ctrlError(StatItemText.GARBAGE);
      return ctrlReply(Math.trunc(item.last));
    },
  };
}
