/**
 * The BSC side's CTRL interface (@osmo/ctrl): per-BTS state in the osmo-bsc naming
 *   bts.N.oml-connection-state            connected | degraded | disconnected
 *   bts.N.oml-connects / bts.N.oml-rx     counters
 *   bts.N.trx.M.rsl-connection-state      connected | disconnected
 *   bts.N.trx.M.rsl-rx / rsl-lost / rsl-duplicates / rsl-decode-errors / rsl-connects
 *   number-of-bts, rsl-rx-total, rsl-lost-total
 * and a TRAP for every link change (`TRAP 0 bts.N.oml-connection-state degraded`, ...).
 */
import { CtrlNode, CtrlServer, CtrlTree } from '@osmo/ctrl';
import type { BscBtsState, BscSide, BscTrxState } from './bsc.js';

export interface CtrlHandle { readonly port: number; close(): void }

export function buildCtrlTree(bsc: BscSide): CtrlTree {
  const tree = new CtrlTree({ data: bsc });
  const btsNode = new CtrlNode('bts');
  const trxNode = new CtrlNode('trx');
  tree.root.child('bts', { node: btsNode, index: true, resolve: (_d, n) => bsc.bts.get(n) });
  btsNode.child('trx', { node: trxNode, index: true, resolve: (d, n) => (d as BscBtsState).trx.get(n) });
  tree.root.command<BscSide>({ name: 'number-of-bts', readOnly: true, get: (_r, s) => s.bts.size });
  tree.root.command<BscSide>({ name: 'rsl-rx-total', readOnly: true, get: (_r, s) => s.totals().received });
  tree.root.command<BscSide>({ name: 'rsl-lost-total', readOnly: true, get: (_r, s) => s.totals().lost });
  btsNode.command<BscBtsState>({ name: 'oml-connection-state', readOnly: true, get: (_r, b) => bsc.omlConnectionState(b) });
  btsNode.command<BscBtsState>({ name: 'oml-connects', readOnly: true, get: (_r, b) => b.omlConnects });
  btsNode.command<BscBtsState>({ name: 'oml-rx', readOnly: true, get: (_r, b) => b.omlRx });
  trxNode.command<BscTrxState>({ name: 'rsl-connection-state', readOnly: true, get: (_r, t) => (t.rslUp ? 'connected' : 'disconnected') });
  trxNode.command<BscTrxState>({ name: 'rsl-connects', readOnly: true, get: (_r, t) => t.rslConnects });
  trxNode.command<BscTrxState>({ name: 'rsl-rx', readOnly: true, get: (_r, t) => t.rx.received });
  trxNode.command<BscTrxState>({ name: 'rsl-lost', readOnly: true, get: (_r, t) => t.rx.lost });
  trxNode.command<BscTrxState>({ name: 'rsl-duplicates', readOnly: true, get: (_r, t) => t.rx.duplicates });
  trxNode.command<BscTrxState>({ name: 'rsl-decode-errors', readOnly: true, get: (_r, t) => t.rx.decodeErrors });
  return tree;
}

/** Serve the tree on 127.0.0.1:port (0 = any free port) and send a TRAP on every link change. */
export function startCtrl(bsc: BscSide, port: number, address = '127.0.0.1'): CtrlHandle {
  const tree = buildCtrlTree(bsc);
  const srv = new CtrlServer({ port, address, tree, name: 'linksim-ctrl', builtins: false, connStats: false });
  srv.open();
  const onLink = (variable: string, value: string): void => { srv.sendTrap(variable, value); };
  bsc.on('link', onLink);
  return {
    get port() { return srv.port; },
    close() { bsc.off('link', onLink); srv.close(); },
  };
}
