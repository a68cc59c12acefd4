/**
 * The NS FSMs as @osmo/ctrl FSM instances, so that any CTRL server's `fsm.<FSM>.id.<id>.state` shows them:
 * "GPRS-NS2-VC" (id `nsvc-<nsei>-<K>`), "GPRS-NS2-SNS-BSS" / "GPRS-NS2-SNS-SGSN" (id `NSE<nsei>-SNS`). The
 * NS code keeps its own timers; the mirror only carries the state.
 */
import type { CtrlRegistry, FsmInstance } from '@osmo/ctrl';

export const VC_FSM_STATES = ['UNCONFIGURED', 'RESET', 'BLOCKED', 'UNBLOCKED', 'RECOVERING'] as const;
export const SNS_FSM_STATES = ['UNCONFIGURED', 'BSS_SIZE', 'BSS_CONFIG_BSS', 'BSS_CONFIG_SGSN', 'CONFIGURED',
  'SGSN_WAIT_CONFIG', 'SGSN_WAIT_CONFIG_ACK', 'LOCAL_PROCEDURE'] as const;

export function fsmInstance(reg: CtrlRegistry, name: string, states: readonly string[], id: string): FsmInstance {
  const fsm = reg.findFsm(name) ?? reg.fsm({ name, states });
  // an id is unique per FSM: a re-created object takes the name over
  fsm.findById(id)?.term();
  return fsm.alloc({ id });
}
