import { expect } from 'chai';
import fc from 'fast-check';
import { ctrlTypeName, decodeCtrl, encodeCtrl, encodeCtrlText, tryDecodeCtrl, type CtrlMessage } from '../src/codec.js';
import { CtrlDecodeError } from '../src/errors.js';

/** decode and return either the message or the ERROR reply text upstream would send */
function parse(text: string): CtrlMessage | string {
  const r = tryDecodeCtrl(Buffer.from(text, 'latin1'));
  return r.ok ? r.msg : `ERROR ${r.error.id} ${r.error.reason}`;
}

describe('ctrl codec: upstream grammar (ctrl_test.c behaviours)', () => {
  const rows: Array<[string, CtrlMessage | string]> = [
    ['GET 1 variable', { type: 'GET', id: '1', variable: 'variable' }],
    ['GET 1 variable\n', { type: 'GET', id: '1', variable: 'variable' }],
    ['GET 1 var\ni\nable', 'ERROR 1 GET with trailing characters'],
    ['GET 1 var\ti\table', 'ERROR 1 GET variable contains invalid characters'],
    ['GET 1 variable value', 'ERROR 1 GET with trailing characters'],
    ['GET 1 variable value\n', 'ERROR 1 GET with trailing characters'],
    ['GET 1 variable\n\n', 'ERROR 1 GET with trailing characters'],
    ['GET 1 var.i.able', { type: 'GET', id: '1', variable: 'var.i.able' }],
    ['GET 1 a..b', { type: 'GET', id: '1', variable: 'a..b' }],
    ['GET 1', 'ERROR 1 GET incomplete'],
    ['GET 1 ', 'ERROR 1 GET incomplete'],
    ['SET 1 variable value', { type: 'SET', id: '1', variable: 'variable', value: 'value' }],
    ['SET 1 variable value\n', { type: 'SET', id: '1', variable: 'variable', value: 'value' }],
    ['SET 1 variable multiple value tokens', { type: 'SET', id: '1', variable: 'variable', value: 'multiple value tokens' }],
    ['SET 1 variable value_with_trailing_spaces  ', { type: 'SET', id: '1', variable: 'variable', value: 'value_with_trailing_spaces  ' }],
    ['SET 1 variable\n value', 'ERROR 1 SET variable contains invalid characters'],
    ['SET 1 variable \nvalue', { type: 'SET', id: '1', variable: 'variable', value: 'value' }],
    ['SET 1 variable  two spaces', { type: 'SET', id: '1', variable: 'variable', value: ' two spaces' }],
    ['SET 1 variable value\nmore', 'ERROR 1 SET with trailing characters'],
    ['SET 1 variable value\n\n', 'ERROR 1 SET with trailing characters'],
    ['SET 1 variable', 'ERROR 1 SET incomplete'],
    ['SET 1 var\ti\table value', 'ERROR 1 SET variable contains invalid characters'],
    ['SET 1 var?iable value', 'ERROR 1 SET variable contains invalid characters'],
    ['SET weird_id variable value', 'ERROR err Invalid message ID number'],
    ['SET \n variable value', 'ERROR err Invalid message ID number'],
    ['GET abc foo', 'ERROR err Invalid message ID number'],
    ['GET err foo', 'ERROR err Invalid message ID number'],
    ['GET -1 foo', 'ERROR err Invalid message ID number'],
    ['GARBAGE', 'ERROR err Request type unknown'],
    ['(unknown) 1 x', 'ERROR err Request type unknown'],
    ['', 'ERROR err Request malformed'],
    ['   ', 'ERROR err Request malformed'],
    ['GET', 'ERROR err Missing ID'],
    ['get 5 Foo', { type: 'GET', id: '5', variable: 'Foo' }],
    ['sEt_RePlY 7 x.y OK', { type: 'SET_REPLY', id: '7', variable: 'x.y', reply: 'OK' }],
    ['GET_REPLY 1 variable OK', { type: 'GET_REPLY', id: '1', variable: 'variable', reply: 'OK' }],
    ['GET_REPLY 1 variable a b  c\nd', { type: 'GET_REPLY', id: '1', variable: 'variable', reply: 'a b  c\nd' }],
    ['TRAP 0 bts_connection_status disconnected', { type: 'TRAP', id: '0', variable: 'bts_connection_status', reply: 'disconnected' }],
    ['TRAP 17 foo', 'ERROR err OOM'],
    ['TRAP 17', 'ERROR 17 Trap/Reply incomplete'],
    ['GET_REPLY 1 bad/var x', 'ERROR 1 Trap/Reply variable contains invalid characters'],
    ['ERROR 1 some error message', { type: 'ERROR', id: '1', reply: 'some error message' }],
    ['ERROR err Command not found', { type: 'ERROR', id: 'err', reply: 'Command not found' }],
    ['ERROR 1', 'ERROR 1 '],
    ['GET 1 variable\0trailing garbage after NUL', { type: 'GET', id: '1', variable: 'variable' }],
    ['GET 12345678901234567890 x', { type: 'GET', id: '12345678901234567890', variable: 'x' }],
    ['GET 1 rate_ctr.abs.bsc.0.paging:attempted', { type: 'GET', id: '1', variable: 'rate_ctr.abs.bsc.0.paging:attempted' }],
    ['GET 1 rate_ctr.*', 'ERROR 1 GET variable contains invalid characters'],
    ['GET 1 caf\xe9', 'ERROR 1 GET variable contains invalid characters'],
  ];
  for (const [input, want] of rows) {
    it(`${JSON.stringify(input)} -> ${typeof want === 'string' ? want : want.type}`, () => {
      expect(parse(input)).to.deep.equal(want);
    });
  }

  it('reply without text is accepted by clients (allowEmptyReply), as osmo-sgsn sends it', () => {
    expect(decodeCtrl('GET_REPLY 1 subscriber-list-active-v1 ', { allowEmptyReply: true })).to.deep.equal(
      { type: 'GET_REPLY', id: '1', variable: 'subscriber-list-active-v1', reply: '' });
    expect(() => decodeCtrl('GET_REPLY 1 subscriber-list-active-v1 ')).to.throw(CtrlDecodeError);
  });

  it('decode errors are typed with id, reason and offset', () => {
    try {
      decodeCtrl('GET 1 var value');
      expect.fail('no throw');
    } catch (e) {
      expect(e).to.be.instanceOf(CtrlDecodeError);
      const d = e as CtrlDecodeError;
      expect(d.id).to.equal('1');
      expect(d.reason).to.equal('GET with trailing characters');
      expect(d.offset).to.equal(10);
      expect(d.code).to.equal('ERR_OSMO_CTRL_DECODE');
    }
  });

  it('type names round-trip like ctrl_type_vals', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(ctrlTypeName)).to.deep.equal(
      ['(unknown)', 'GET', 'SET', 'GET_REPLY', 'SET_REPLY', 'TRAP', 'ERROR']);
    expect(ctrlTypeName(64)).to.equal('unknown 0x40');
  });
});

describe('ctrl codec: encoder', () => {
  it('encodes every type with single spaces and no newline', () => {
    expect(encodeCtrlText({ type: 'GET', id: '1', variable: 'a.b' })).to.equal('GET 1 a.b');
    expect(encodeCtrlText({ type: 'SET', id: '2', variable: 'x', value: 'v w  ' })).to.equal('SET 2 x v w  ');
    expect(encodeCtrlText({ type: 'GET_REPLY', id: '3', variable: 'x', reply: '' })).to.equal('GET_REPLY 3 x ');
    expect(encodeCtrlText({ type: 'SET_REPLY', id: '4', variable: 'x', reply: 'OK' })).to.equal('SET_REPLY 4 x OK');
    expect(encodeCtrlText({ type: 'TRAP', id: '0', variable: 't', reply: 'v' })).to.equal('TRAP 0 t v');
    expect(encodeCtrlText({ type: 'ERROR', id: 'err', reply: 'Request type unknown' })).to.equal('ERROR err Request type unknown');
  });
  it('refuses messages that would not decode back', () => {
    const bad: unknown[] = [
      { type: 'GET', id: 'x', variable: 'a' },
      { type: 'GET', id: '1', variable: 'a b' },
      { type: 'GET', id: '1', variable: '' },
      { type: 'SET', id: '1', variable: 'a', value: '' },
      { type: 'SET', id: '1', variable: 'a', value: 'x\ny' },
      { type: 'GET_REPLY', id: 'err', variable: 'a', reply: 'x' },
      { type: 'BOGUS', id: '1' },
    ];
    for (const m of bad) expect(() => encodeCtrl(m as CtrlMessage), JSON.stringify(m)).to.throw(RangeError);
  });
});

const identChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:@'.split(''));
const word = fc.string({ unit: identChar, minLength: 1, maxLength: 12 });
const variable = fc.array(word, { minLength: 1, maxLength: 5 }).map((w) => w.join('.'));
const id = fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 1, maxLength: 9 });
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const setValue = printable.filter((v) => v.length > 0);
const replyText = fc.string({ unit: fc.integer({ min: 1, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 });

const message: fc.Arbitrary<CtrlMessage> = fc.oneof(
  fc.record({ type: fc.constant('GET' as const), id, variable }),
  fc.record({ type: fc.constant('SET' as const), id, variable, value: setValue }),
  fc.record({ type: fc.constantFrom('GET_REPLY' as const, 'SET_REPLY' as const, 'TRAP' as const), id, variable, reply: replyText }),
  fc.record({ type: fc.constant('ERROR' as const), id: fc.oneof(id, fc.constant('err')), reply: replyText }),
);

describe('ctrl codec: properties (fast-check)', () => {
  it('encode -> decode is the identity', () => {
    fc.assert(fc.property(message, (m) => {
      expect(decodeCtrl(encodeCtrl(m))).to.deep.equal(m);
    }), { numRuns: 2000 });
  });
  it('decode is total on arbitrary bytes: a message or a CtrlDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        const m = decodeCtrl(Buffer.from(bytes));
        // whatever decodes re-encodes (ids and variables were validated)
        expect(() => encodeCtrl(m)).not.to.throw();
      } catch (e) {
        if (!(e instanceof CtrlDecodeError)) throw e;
        expect(e.reason).to.be.a('string');
        expect(e.offset).to.be.within(0, bytes.length);
      }
    }), { numRuns: 5000 });
  });
  it('decode is total on grammar-shaped text', () => {
    const verb = fc.constantFrom('GET', 'SET', 'get', 'GET_REPLY', 'SET_REPLY', 'TRAP', 'ERROR', 'BOGUS', '');
    const tok = fc.oneof(word, id, fc.constantFrom('err', '\n', ' ', '\t', '.', '..', '\0', '*'), printable);
    fc.assert(fc.property(verb, fc.array(tok, { maxLength: 6 }), fc.constantFrom(' ', '  ', '\n'), (v, toks, sep) => {
      const r = tryDecodeCtrl([v, ...toks].join(sep));
      if (!r.ok) expect(r.error).to.be.instanceOf(CtrlDecodeError);
    }), { numRuns: 5000 });
  });
});
