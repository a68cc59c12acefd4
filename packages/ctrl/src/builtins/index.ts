/** Install the upstream built-ins (ctrl_init): rate_ctr, stat_item, counter at the root, and the FSM lookup. */
import type { CtrlRegistry } from '../registry/registry.js';
import type { CtrlTree } from '../tree.js';
import { counterCommand } from './counter.js';
import { fsmCtrlNodes } from './fsm.js';
import { rateCtrCommand } from './rate-ctr.js';
import { statItemCommand } from './stat-item.js';

export function installBuiltins(tree: CtrlTree, registry: CtrlRegistry): void {
  tree.root.command(rateCtrCommand(registry));
  tree.root.command(statItemCommand(registry));
  tree.root.command(counterCommand(registry));
  tree.addLookup(fsmCtrlNodes(registry, tree.root).lookup);
}
