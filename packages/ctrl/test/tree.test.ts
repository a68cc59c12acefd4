import { expect } from 'chai';
import { installBuiltins } from '../src/builtins/index.js';
import { decodeCtrl, encodeCtrlText, type CtrlMessage } from '../src/codec.js';
import { ctrlError, ctrlHandled, type CtrlDeferred, type CtrlReplySink } from '../src/command.js';
import { CtrlCommandError } from '../src/errors.js';
import { CtrlRegistry } from '../src/registry/registry.js';
import { CtrlNode, CtrlTree } from '../src/tree.js';
import { gate, turns, type Gate } from '../../io/test/loop.js';

class Sink implements CtrlReplySink {
  sent: string[] = [];
  isClosed = false;
  deferred = new Set<CtrlDeferred>();
  sendCtrl(msg: CtrlMessage): boolean { this.sent.push(encodeCtrlText(msg)); return true; }
  close(): void { this.isClosed = true; for (const d of this.deferred) d.zombify(); this.deferred.clear(); }
}

interface Made {
  tree: CtrlTree;
  reg: CtrlRegistry;
  btsList: Array<{ trx: Array<{ arfcn: number }> }>;
  /** handles of the 'later' commands, answered when the test says so */
  later: CtrlDeferred[];
  /** settles the promises the 'async' and 'asyncfail' commands returned */
  asyncGate: Gate<void>;
}

function makeTree(reg = new CtrlRegistry()): Made {
  const later: CtrlDeferred[] = [];
  const asyncGate = gate();
  const btsList = [{ trx: [{ arfcn: 868 }, { arfcn: 870 }] }];
  const tree = new CtrlTree();
  installBuiltins(tree, reg);
  const bts = new CtrlNode('bts');
  const trx = new CtrlNode('trx');
  tree.root.child('bts', { node: bts, index: true, resolve: (_d, n) => btsList[n] });
  bts.child('trx', { node: trx, index: true, resolve: (d, n) => (d as (typeof btsList)[0]).trx[n] });
  trx.command<{ arfcn: number }>({
    name: 'arfcn',
    get: (_r, t) => t.arfcn,
    verify: (_r, v) => (/^\d+$/.test(v) && Number(v) < 1024 ? true : 'Input not within the range'),
    set: (r, t) => { t.arfcn = Number(r.value); return String(t.arfcn); },
  });
  tree.root.command({ name: 'name', readOnly: true, get: () => 'test-server' });
  tree.root.command({ name: 'secret', writeOnly: true, set: () => 'OK' });
  tree.root.command({ name: 'noset', get: () => 'x' });
  tree.root.command({ name: 'noget', set: () => 'OK' });
  tree.root.command({ name: 'even', verify: (_r, v) => Number(v) % 2 === 0, set: (r) => r.value! });
  tree.root.command({ name: 'fail', get: () => ctrlError() });
  tree.root.command({ name: 'throws', get: () => { throw new CtrlCommandError('custom failure'); } });
  tree.root.command({ name: 'crash', get: () => { throw new Error('bug'); } });
  tree.root.command({ name: 'handled', get: () => ctrlHandled() });
  tree.root.command({ name: 'later', get: (r) => { later.push(r.defer()); } });
  tree.root.command({ name: 'async', get: async () => { await asyncGate.promise; return 'resolved'; } });
  tree.root.command({ name: 'asyncfail', get: async () => { await asyncGate.promise; throw new CtrlCommandError('nope'); } });
  return { tree, reg, btsList, later, asyncGate };
}

function run(tree: CtrlTree, text: string, sink: CtrlReplySink | null = new Sink()): string | null {
  const r = tree.handle(decodeCtrl(text), sink);
  return r ? encodeCtrlText(r) : null;
}

describe('ctrl tree: node walk and exec (upstream semantics)', () => {
  const { tree, btsList } = makeTree();
  const cases: Array<[string, string | null]> = [
    ['GET 1 variable', 'ERROR 1 Command not found'],
    ['SET 1 variable value', 'ERROR 1 Command not found'],
    ['GET 2 bts.0.trx.1.arfcn', 'GET_REPLY 2 bts.0.trx.1.arfcn 870'],
    ['GET 3 bts.0.trx.5.arfcn', 'ERROR 3 Error while resolving object'],
    ['GET 4 bts.x.trx.0.arfcn', 'ERROR 4 Error while parsing the index.'],
    ['GET 5 bts', 'ERROR 5 Error while parsing the index.'],
    ['GET 6 bts.0', 'ERROR 6 Command not present.'],
    ['GET 7 bts.0.bogus', 'ERROR 7 Command not found.'],
    ['GET 8 bts.0.trx.0.bogus', 'ERROR 8 Command not found'],
    ['SET 9 bts.0.trx.0.arfcn 2000', 'ERROR 9 Input not within the range'],
    ['SET 10 name foo', 'ERROR 10 Read Only attribute'],
    ['GET 11 secret', 'ERROR 11 Write Only attribute'],
    ['SET 12 noset x', 'ERROR 12 SET not implemented'],
    ['GET 13 noget', 'ERROR 13 GET not implemented'],
    ['SET 14 even 3', 'ERROR 14 Value failed verification.'],
    ['SET 15 even 4', 'SET_REPLY 15 even 4'],
    ['GET 16 fail', 'ERROR 16 An error has occurred.'],
    ['GET 17 throws', 'ERROR 17 custom failure'],
    ['GET 18 crash', 'ERROR 18 An error has occurred.'],
    ['GET 19 handled', null],
    ['GET 20 name', 'GET_REPLY 20 name test-server'],
    ['GET 21 name.extra.words', 'GET_REPLY 21 name.extra.words test-server'],
    ['GET_REPLY 22 name OK', null],
    ['GET_REPLY 23 name something', 'ERROR 23 Trying to execute something not GET or SET'],
    ['TRAP 24 name value', 'ERROR 24 Trying to execute something not GET or SET'],
    ['ERROR 25 whatever', null],
    ['GET 26 ...', 'ERROR 26 cmd_make_strvec failed.'],
    ['GET 27 fsm', 'ERROR 27 Error while parsing the index.'],
    ['GET 28 fsm.NOPE.state', 'ERROR 28 Error while resolving object'],
  ];
  for (const [input, want] of cases) {
    it(`${input} -> ${want}`, () => expect(run(tree, input)).to.equal(want));
  }
  it('SET through the node walk changes the object', () => {
    expect(run(tree, 'SET 30 bts.0.trx.0.arfcn 871')).to.equal('SET_REPLY 30 bts.0.trx.0.arfcn 871');
    expect(btsList[0]!.trx[0]!.arfcn).to.equal(871);
  });
});

describe('ctrl tree: deferred replies', () => {
  it('defer() answers later on the sink', () => {
    const { tree, later } = makeTree();
    const sink = new Sink();
    expect(run(tree, 'GET 123 later', sink)).to.equal(null);
    expect(sink.sent).to.deep.equal([]);
    expect(sink.deferred.size).to.equal(1);
    expect(later[0]!.reply('done')).to.equal(true);
    expect(sink.sent).to.deep.equal(['GET_REPLY 123 later done']);
    expect(sink.deferred.size).to.equal(0);
  });
  it('a promise result is deferred automatically (resolve and reject)', async () => {
    const { tree, asyncGate } = makeTree();
    const sink = new Sink();
    expect(run(tree, 'GET 1 async', sink)).to.equal(null);
    expect(run(tree, 'GET 2 asyncfail', sink)).to.equal(null);
    expect(sink.deferred.size).to.equal(2);
    await turns(1);
    expect(sink.sent).to.deep.equal([]);
    asyncGate.resolve();
    await turns(1);
    expect(sink.sent).to.deep.equal(['GET_REPLY 1 async resolved', 'ERROR 2 nope']);
    expect(sink.deferred.size).to.equal(0);
  });
  it('a deferred command whose connection has gone is dropped (zombie)', async () => {
    const { tree, later, asyncGate } = makeTree();
    const sink = new Sink();
    run(tree, 'GET 5 later', sink);
    run(tree, 'GET 6 async', sink);
    const [d] = later;
    sink.close();
    expect(d!.isZombie).to.equal(true);
    expect(d!.reply('x')).to.equal(false);
    asyncGate.resolve();
    await turns(1);
    expect(sink.sent).to.deep.equal([]);
  });
});

describe('ctrl errors: caller mistakes carry a code', () => {
  it('registry duplicates, unknown names, bad command names, deferring without a connection', () => {
    const reg = new CtrlRegistry({ autoTick: false });
    const g = reg.rateCounterGroup({ prefix: 'x', idx: 0, counters: [{ name: 'a' }] });
    const code = (fn: () => unknown): string | undefined => {
      try { fn(); } catch (e) { return (e as { code?: string }).code; }
      return undefined;
    };
    expect(code(() => reg.rateCounterGroup({ prefix: 'x', idx: 0, counters: [] }))).to.equal('ERR_OSMO_CTRL_DUPLICATE');
    expect(code(() => g.inc('b'))).to.equal('ERR_OSMO_CTRL_UNKNOWN_NAME');
    expect(code(() => reg.fsm({ name: 'F', states: [] }))).to.equal('ERR_OSMO_CTRL_INVALID_ARG');
    expect(code(() => reg.fsm({ name: 'G', states: ['A'] }).alloc().stateChange('B'))).to.equal('ERR_OSMO_CTRL_UNKNOWN_NAME');
    expect(code(() => new CtrlTree().root.command({ name: 'a|b', get: () => '' }))).to.equal('ERR_OSMO_CTRL_INVALID_ARG');
    const tree = new CtrlTree();
    let deferCode: string | undefined;
    tree.root.command({ name: 'd', get: (r) => { deferCode = code(() => r.defer()); return 'x'; } });
    tree.handle(decodeCtrl('GET 1 d'), null);
    expect(deferCode).to.equal('ERR_OSMO_CTRL_INVALID_STATE');
  });
});

describe('ctrl built-ins over the registries', () => {
  const reg = new CtrlRegistry({ autoTick: false });
  const { tree } = makeTree(reg);
  const g = reg.rateCounterGroup({ prefix: 'ctrl_conn', idx: 0, counters: [{ name: 'msgs:in' }, { name: 'bytes:in' }] });
  const sg = reg.statItemGroup({ prefix: 'bsc', idx: 0, name: 'main', items: [{ name: 'msc_num:connected' }] });
  const c = reg.counter('net.chreq');
  const fsm = reg.fsm({ name: 'TEST_FSM', states: ['INIT', 'RUNNING'] });
  const parent = fsm.alloc({ id: 'parent' });
  const child = fsm.alloc({ id: 'child', parent });
  before(() => {
    g.inc('msgs:in', 3);
    g.inc('bytes:in', 100);
    sg.set('msc_num:connected', 2);
    c.inc(7);
    child.stateChange('RUNNING', 60_000, 42);
  });

  const cases: Array<[string, string | RegExp]> = [
    ['GET 1 rate_ctr.abs.ctrl_conn.0.msgs:in', 'GET_REPLY 1 rate_ctr.abs.ctrl_conn.0.msgs:in 3'],
    ['GET 2 rate_ctr.abs.ctrl_conn.0', 'GET_REPLY 2 rate_ctr.abs.ctrl_conn.0 msgs:in 3;bytes:in 100;'],
    ['GET 3 rate_ctr.per_sec.ctrl_conn.0.msgs:in', 'GET_REPLY 3 rate_ctr.per_sec.ctrl_conn.0.msgs:in 0'],
    ['GET 4 rate_ctr.abs.ctrl_conn.1.msgs:in', 'ERROR 4 Counter group with given name and index not found'],
    ['GET 5 rate_ctr.abs.ctrl_conn.0.nope', 'ERROR 5 Counter name not found.'],
    ['GET 6 rate_ctr.weekly.ctrl_conn.0', "ERROR 6 Wrong interval. Expecting 'per_sec', 'per_min', 'per_hour', 'per_day' or 'abs' value."],
    ['GET 7 rate_ctr.abs.ctrl_conn', 'ERROR 7 Counter group must be of name.index form e. g. e1inp.0'],
    ['GET 8 rate_ctr', 'ERROR 8 Command not found'],
    ['SET 9 rate_ctr.abs.ctrl_conn.0.msgs:in 5', "ERROR 9 Can't set rate counter."],
    ['GET 10 stat_item.last.bsc.0.msc_num:connected', 'GET_REPLY 10 stat_item.last.bsc.0.msc_num:connected 2'],
    ['GET 11 stat_item.last.bsc.by_name.main.msc_num:connected', 'GET_REPLY 11 stat_item.last.bsc.by_name.main.msc_num:connected 2'],
    ['GET 12 stat_item.last.bsc.1.msc_num:connected', 'ERROR 12 Stat group with given name and index not found'],
    ['GET 13 stat_item.last.bsc.0.nope', 'ERROR 13 No such stat item found'],
    ['GET 14 stat_item.last.bsc.0.msc_num:connected.x', 'ERROR 14 Garbage after stat item name'],
    ['GET 15 stat_item.last.bsc', /^ERROR 15 Stat item must be of form stat_item\.type\.group_name\.N\.item_name/],
    ['SET 16 stat_item.last.bsc.0.msc_num:connected 1', 'ERROR 16 Read Only attribute'],
    ['GET 17 counter.net.chreq', 'GET_REPLY 17 counter.net.chreq 7'],
    ['GET 18 counter.nope', 'ERROR 18 Counter name not found.'],
    ['SET 19 counter.net.chreq 1', "ERROR 19 Can't set counter."],
    ['GET 20 fsm.TEST_FSM.id.child.state', 'GET_REPLY 20 fsm.TEST_FSM.id.child.state RUNNING'],
    ['GET 21 fsm.TEST_FSM.id.child.parent-name', 'GET_REPLY 21 fsm.TEST_FSM.id.child.parent-name TEST_FSM(parent)'],
    ['GET 22 fsm.TEST_FSM.id.parent.parent-name', 'ERROR 22 No parent'],
    ['GET 23 fsm.TEST_FSM.id.child.timer', /^GET_REPLY 23 fsm\.TEST_FSM\.id\.child\.timer 42,(5\d|60),\d+$/],
    ['GET 24 fsm.TEST_FSM.id.parent.timer', 'GET_REPLY 24 fsm.TEST_FSM.id.parent.timer 0,0,0'],
    ['GET 25 fsm.TEST_FSM.id.parent.dump', "GET_REPLY 25 fsm.TEST_FSM.id.parent.dump 'TEST_FSM(parent)','parent','DEBUG','INIT',0,child='TEST_FSM(child)'"],
    ['GET 26 fsm.TEST_FSM.id.child.dump', /^GET_REPLY 26 fsm\.TEST_FSM\.id\.child\.dump 'TEST_FSM\(child\)','child','DEBUG','RUNNING',42,timeout_sec=\d+,timeout_usec=\d+,parent='TEST_FSM\(parent\)'$/],
    ['GET 27 fsm.TEST_FSM.id.nope.state', 'ERROR 27 Error while resolving object'],
    ['GET 28 fsm.TEST_FSM.state', 'ERROR 28 Command not found.'],
    ['GET 29 fsm.TEST_FSM.id', 'ERROR 29 Error while parsing the index.'],
    ['SET 30 fsm.TEST_FSM.id.child.state INIT', 'ERROR 30 Read Only attribute'],
  ];
  for (const [input, want] of cases) {
    it(`${input}`, () => {
      const got = run(tree, input);
      if (typeof want === 'string') expect(got).to.equal(want);
      else expect(got).to.match(want);
    });
  }
  it('rate intervals roll up like upstream (per_sec after a tick, per_min accumulates)', () => {
    reg.tick();
    g.inc('msgs:in', 2);
    reg.tick();
    expect(run(tree, 'GET 40 rate_ctr.per_sec.ctrl_conn.0.msgs:in')).to.equal('GET_REPLY 40 rate_ctr.per_sec.ctrl_conn.0.msgs:in 2');
    expect(run(tree, 'GET 41 rate_ctr.per_min.ctrl_conn.0.msgs:in')).to.equal('GET_REPLY 41 rate_ctr.per_min.ctrl_conn.0.msgs:in 5');
  });
  after(() => { child.term(); parent.term(); g.free(); });
});
