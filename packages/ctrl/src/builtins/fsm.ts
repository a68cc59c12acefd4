/**
 * Built-in FSM commands: the lookup `fsm.<FSM>.name.<inst>` / `fsm.<FSM>.id.<id>` and the read-only
 * instance commands `state`, `parent-name`, `timer`, `dump`.
 */
import { ctrlError, ctrlReply, type CtrlCommandDef } from '../command.js';
import type { CtrlRegistry } from '../registry/registry.js';
import type { Fsm, FsmInstance } from '../registry/fsm.js';
import { CtrlNode, type CtrlLookupFn } from '../tree.js';

export const FsmText = { NO_PARENT: 'No parent', NO_SUCH_FSM: 'No such FSM found' } as const;

export interface FsmCtrlNodes {
  /** CTRL_NODE_FSM (no commands: "Command not found." there) */
  fsm: CtrlNode;
  /** CTRL_NODE_FSM_INST */
  inst: CtrlNode;
  lookup: CtrlLookupFn;
}

function instCommands(node: CtrlNode): void {
  const ro = (name: string, get: (fi: FsmInstance) => ReturnType<NonNullable<CtrlCommandDef['get']>>): void => {
    node.command<FsmInstance | undefined>({
      name,
      readOnly: true,
      get: (_req, fi) => (fi ? get(fi) : ctrlError(FsmText.NO_SUCH_FSM)),
    });
  };
  ro('state', (fi) => ctrlReply(fi.stateName));
  ro('parent-name', (fi) => (fi.parent ? ctrlReply(fi.parent.name) : ctrlError(FsmText.NO_PARENT)));
  ro('timer', (fi) => {
    const rem = fi.timerRemaining();
    return ctrlReply(rem ? `${fi.T},${rem.sec},${rem.usec}` : '0,0,0');
  });
  ro('dump', (fi) => {
    let s = `'${fi.name}','${fi.id ?? '(null)'}','${fi.logLevel}','${fi.stateName}',${fi.T}`;
    const rem = fi.timerRemaining();
    if (fi.T && rem) s += `,timeout_sec=${rem.sec},timeout_usec=${rem.usec}`;
    if (fi.parent) s += `,parent='${fi.parent.name}'`;
    for (const c of fi.children) s += `,child='${c.name}'`;
    return ctrlReply(s);
  });
}

export function fsmCtrlNodes(registry: CtrlRegistry, root: CtrlNode): FsmCtrlNodes {
  const fsm = new CtrlNode('fsm');
  const inst = new CtrlNode('fsm_inst');
  instCommands(inst);
  const lookup: CtrlLookupFn = (words, i, node, data) => {
    const tok = words[i];
    if (node === root && tok === 'fsm') {
      const name = words[i + 1];
      if (name === undefined) return 'ERANGE';
      const f = registry.findFsm(name);
      if (!f) return 'ENODEV';
      return { node: fsm, data: f, consumed: 2 };
    }
    if (node === fsm && (tok === 'name' || tok === 'id')) {
      const key = words[i + 1];
      if (key === undefined) return 'ERANGE';
      const f = data as Fsm;
      const fi = tok === 'name' ? f.findByName(key) : f.findById(key);
      if (!fi) return 'ENODEV';
      return { node: inst, data: fi, consumed: 2 };
    }
    return null;
  };
  return { fsm, inst, lookup };
}
