import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureBytes, loadFixtures } from './fixture-loader.js';
import { decodeCtrl, type CtrlMessage } from '../src/codec.js';
import { decodeOsmoFrame, IpaOsmoExt } from '@osmo/ipa';
import { encodeCtrlFrame } from '../src/ipa-frame.js';

type CtrlFields = CtrlMessage & { ipaLen: number; proto: number; ext: number; text: string };
const fixtures = loadFixtures<CtrlFields>('ctrl-');
const types = ['GET', 'SET', 'GET_REPLY', 'SET_REPLY', 'TRAP', 'ERROR'];

function message(f: CtrlFields): CtrlMessage {
  const { ipaLen: _l, proto: _p, ext: _e, text: _t, ...m } = f;
  return m as CtrlMessage;
}

describe('ctrl fixtures (ttcn-fixtures/ctrl-*.json)', () => {
  it('cover every CTRL message type', () => {
    expect(new Set(fixtures.map((f) => f.fields.type))).to.have.all.keys(...types);
  });
  for (const f of fixtures) {
    it(`${f.file}: ${f.name} decodes to its fields and encodes back to its bytes`, () => {
      const bytes = fixtureBytes(f);
      const c = decodeOsmoFrame(bytes);
      expect(c.ext).to.equal(IpaOsmoExt.CTRL);
      expect(bytes.readUInt16BE(0)).to.equal(f.fields.ipaLen);
      expect(bytes[2]).to.equal(f.fields.proto);
      expect(bytes[3]).to.equal(f.fields.ext);
      expect(c.data.toString('latin1')).to.equal(f.fields.text);
      expect(decodeCtrl(c.data, { allowEmptyReply: true })).to.deep.equal(message(f.fields));
      expect(encodeCtrlFrame(message(f.fields)).toString('hex')).to.equal(f.hex);
    });
  }
});

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const text2pcap = spawnSync('text2pcap', ['--version'], { encoding: 'utf8' });
const haveTshark = tshark.status === 0 && text2pcap.error === undefined;

describe('ctrl fixtures dissected by tshark (gsm_ipa.ctrl.data)', function () {
  before(function () {
    if (!haveTshark) {
      if (process.env.CI) throw new Error('tshark/text2pcap missing in CI (.ci/run installs them)');
      console.warn('    (skipped: tshark/text2pcap not installed; apt-get install tshark, see docs/design.md §7)');
      this.skip();
    }
  });
  it('tshark reads our frames as IPA/OSMO/CTRL with the same text and lengths', function () {
    const dir = mkdtempSync(join(tmpdir(), 'ctrl-tshark-'));
    try {
      const txt = fixtures.map((f) => {
        const b = fixtureBytes(f);
        const lines: string[] = [];
        for (let o = 0; o < b.length; o += 16) {
          lines.push(`${o.toString(16).padStart(6, '0')} ${[...b.subarray(o, o + 16)].map((x) => x.toString(16).padStart(2, '0')).join(' ')}`);
        }
        return lines.join('\n');
      }).join('\n\n') + '\n';
      writeFileSync(join(dir, 'ctrl.txt'), txt);
      execFileSync('text2pcap', ['-q', '-T', '4249,40000', join(dir, 'ctrl.txt'), join(dir, 'ctrl.pcap')], { stdio: 'ignore' });
      const out = execFileSync('tshark', ['-r', join(dir, 'ctrl.pcap'), '-T', 'fields', '-E', 'separator=|',
        '-e', 'gsm_ipa.data_len', '-e', 'gsm_ipa.protocol', '-e', 'gsm_ipa.osmo.protocol', '-e', 'gsm_ipa.ctrl.data'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const rows = out.split('\n').filter((l) => l.length > 0).map((l) => l.split('|'));
      expect(rows).to.have.length(fixtures.length);
      rows.forEach((r, i) => {
        const f = fixtures[i]!.fields;
        expect(Number(r[0]), fixtures[i]!.name).to.equal(f.ipaLen);
        expect(r[1]).to.equal('0xee');
        expect(r[2]).to.equal('0x00');
        expect(r[3]!.trimEnd(), fixtures[i]!.name).to.equal(f.text.trimEnd());
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
