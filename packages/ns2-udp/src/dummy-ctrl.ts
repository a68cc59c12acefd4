/**
 * The CTRL tree of osmo-ns-dummy: `ns.nse.N.state|nsvcs|sns.state|unitdata` and `ns.nse.N.nsvc.K.state|block|
 * unblock|reset` (K: NSVCI for ipaccess, else the 0-based creation index).
 */
import { CtrlNode, CtrlTree, ctrlError } from '@osmo/ctrl';
import type { NsInstance } from './instance.js';
import type { Nse } from './nse.js';
import type { NsVc } from './nsvc.js';

export function nsCtrlTree(ns: NsInstance, tree = new CtrlTree()): CtrlTree {
  const nsNode = new CtrlNode('ns');
  const nseNode = new CtrlNode('nse');
  const vcNode = new CtrlNode('nsvc');
  tree.root.child('ns', { node: nsNode, resolve: () => ns }); // a node's data must not be undefined
  nsNode.child('nse', { node: nseNode, index: true, resolve: (_d, n) => ns.nse(n) });
  nseNode.child('nsvc', { node: vcNode, index: true, resolve: (nse, k) => (nse as Nse).nsvcByIndex(k) });

  nseNode.command<Nse>({ name: 'state', readOnly: true, get: (_r, nse) => (nse.alive ? 'alive' : 'dead') });
  nseNode.command<Nse>({
    name: 'nsvcs', readOnly: true,
    get: (_r, nse) => nse.nsvcs.filter((v) => !v.snsOnly).map((v) => `${v.index} ${endpoint(v)} ${v.state}`).join('\n'),
  });
  nseNode.command<Nse>({ name: 'sns.state', readOnly: true, get: (_r, nse) => nse.snsState ?? ctrlError('NSE is not IP-SNS') });
  nseNode.command<Nse>({
    name: 'unitdata', writeOnly: true,
    verify: (_r, v) => /^\d+ \d+ ([0-9a-fA-F]{2})+$/.test(v.trim()) || 'Value must be: BVCI LSP HEX',
    set: (req, nse) => {
      const [bvci, lsp, hex] = req.value!.trim().split(' ') as [string, string, string];
      if (Number(bvci) > 0xffff) return ctrlError('BVCI out of range');
      const rc = ns.sendUnitdata(nse.nsei, Number(bvci), Number(lsp), Buffer.from(hex, 'hex'));
      return rc < 0 ? ctrlError(`send failed (${rc})`) : 'OK';
    },
  });
  vcNode.command<NsVc>({ name: 'state', readOnly: true, get: (_r, vc) => vc.state });
  for (const [name, fn] of [['block', (v: NsVc) => v.block()], ['unblock', (v: NsVc) => v.unblock()], ['reset', (v: NsVc) => v.reset()]] as const) {
    vcNode.command<NsVc>({
      name, writeOnly: true,
      set: (_r, vc) => { const rc = fn(vc); return rc < 0 && rc !== -114 ? ctrlError(`${name} failed (${rc})`) : 'OK'; },
    });
  }
  return tree;
}

export function endpoint(v: NsVc): string {
  return v.remote.family === 'IPv6' ? `[${v.remote.address}]:${v.remote.port}` : `${v.remote.address}:${v.remote.port}`;
}
