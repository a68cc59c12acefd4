/** Our encodings, dissected by Wireshark (text2pcap -T + tshark gsm_ipa / ipaccess), must give the same fields. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFixtures } from './fixtures.js';
import { decodeIpaFrame, encodeIpaFrame } from '../src/header.js';
import { decodeCcmFrame, encodeCcmFrame, ccmIdGet, ccmIdResp } from '../src/ccm.js';
import { decodeOsmoFrame, encodeOsmoFrame } from '../src/ext.js';
import { idValueString, IPA_DEFAULT_ID_GET_TAGS } from '../src/idtags.js';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

interface Row {
  dataLen: string;
  proto: string;
  osmoProto: string;
  ctrl: string;
  msgType: string;
  tags: string[];
  strings: string[];
  info: string;
  expert: string;
}

const SEP = '\u0001';
const AGG = '\u0002';

/** one TCP segment per frame from port 3002 (gsm_ipa's default port); one output row per frame */
function dissect(frames: Buffer[]): Row[] {
  const dir = mkdtempSync(join(tmpdir(), 'ipa-tshark-'));
  try {
    const txt = frames.map((f) => '000000 ' + [...f].map((b) => b.toString(16).padStart(2, '0')).join(' ') + '\n').join('\n');
    writeFileSync(join(dir, 'in.txt'), txt);
    const t2p = spawnSync('text2pcap', ['-q', '-T', '3002,40000', join(dir, 'in.txt'), join(dir, 'in.pcap')], { encoding: 'utf8' });
    expect(t2p.status, t2p.stderr).to.equal(0);
    const fields = ['gsm_ipa.data_len', 'gsm_ipa.protocol', 'gsm_ipa.osmo.protocol', 'gsm_ipa.ctrl.data', 'ipaccess.msg_type',
      'ipaccess.attr_tag', 'ipaccess.attr_string', '_ws.col.Info', '_ws.expert'];
    const ts = spawnSync('tshark', ['-r', join(dir, 'in.pcap'), '-o', 'tcp.desegment_tcp_streams:FALSE', '-T', 'fields',
      '-E', `separator=${SEP}`, '-E', `aggregator=${AGG}`, ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
    expect(ts.status, ts.stderr).to.equal(0);
    const lines = ts.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines).to.have.length(frames.length);
    return lines.map((l) => {
      const c = l.split(SEP);
      const list = (s: string | undefined): string[] => (s ? s.split(AGG) : []);
      return {
        dataLen: c[0] ?? '', proto: c[1] ?? '', osmoProto: c[2] ?? '', ctrl: c[3] ?? '', msgType: c[4] ?? '',
        tags: list(c[5]), strings: list(c[6]), info: (c[7] ?? '').trim(), expert: c[8] ?? '',
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const h2 = (n: number): string => '0x' + n.toString(16).padStart(2, '0');

describe('ipa encodings dissected by tshark', function () {
  before(function () {
    if (!has('tshark') || !has('text2pcap')) {
      if (process.env.CI) throw new Error('tshark/text2pcap missing in CI (.ci/run installs them)');
      this.skip(); // tshark/text2pcap not installed here (CI installs them: apt-get install tshark)
    }
  });

  it('CCM fixtures re-encoded by us decode to the same fields in Wireshark', function () {
    const fx = loadFixtures<{ error?: unknown }>('ipa-ccm').filter((f) => !f.fields.error);
    const msgs = fx.map((f) => decodeCcmFrame(Buffer.from(f.hex, 'hex')));
    const rows = dissect(msgs.map((m) => encodeCcmFrame(m)));
    msgs.forEach((m, i) => {
      const r = rows[i]!;
      const name = fx[i]!.name;
      const frame = decodeIpaFrame(encodeCcmFrame(m));
      expect(r.proto, name).to.equal('0xfe');
      expect(Number(r.dataLen), name).to.equal(frame.payload.length);
      expect(r.msgType, name).to.equal(h2(frame.payload[0]!));
      expect(r.expert, name).to.not.match(/Malformed|BoundError/);
      if (m.type === 'ID_GET') expect(r.tags, name).to.deep.equal(m.items.map((x) => h2(x.tag)));
      if (m.type === 'ID_RESP') {
        expect(r.tags, name).to.deep.equal(m.items.map((x) => h2(x.tag)));
        expect(r.strings, name).to.deep.equal(m.items.map((x) => idValueString(x.value)));
      }
    });
  });

  it('generated ID_GET / ID_RESP are what Wireshark expects', function () {
    const rows = dissect([
      encodeCcmFrame(ccmIdGet()),
      encodeCcmFrame(ccmIdResp({ unitId: { site: 1801, bts: 0, trx: 0 }, serialNumber: 'SN-1', unitName: 'bts-1801' }, IPA_DEFAULT_ID_GET_TAGS)),
    ]);
    expect(rows[0]!.info).to.match(/IDENTITY REQUEST/);
    expect(rows[0]!.tags).to.deep.equal(['0x08', '0x07', '0x02', '0x03', '0x04', '0x05', '0x01', '0x00']);
    expect(rows[1]!.info).to.match(/IDENTITY RESPONSE/);
    expect(rows[1]!.strings).to.deep.equal(['1801/0/0', '', '', '', '', '', 'bts-1801', 'SN-1']);
  });

  it('OSMO extension fixtures (CTRL text, GSUP, ...) re-encoded by us', function () {
    const fx = loadFixtures<{ error?: unknown; text?: string }>('ipa-osmo').filter((f) => !f.fields.error);
    const msgs = fx.map((f) => decodeOsmoFrame(Buffer.from(f.hex, 'hex')));
    const rows = dissect(msgs.map((m) => encodeOsmoFrame(m.ext, m.data)));
    msgs.forEach((m, i) => {
      const r = rows[i]!;
      const name = fx[i]!.name;
      expect(r.proto, name).to.equal('0xee');
      expect(Number(r.dataLen), name).to.equal(1 + m.data.length);
      expect(r.osmoProto, name).to.equal(h2(m.ext));
      expect(r.expert, name).to.not.match(/Malformed|BoundError/);
      if (m.ext === 0 && m.data.length > 0) expect(r.ctrl, name).to.equal(fx[i]!.fields.text);
    });
    const gsup = rows[fx.findIndex((f) => f.name === 'osmo-ext-gsup')]!;
    expect(gsup.info).to.match(/SendAuthInfo Request/);
  });

  it('OML / RSL / SCCP / MGCP frames re-encoded by us', function () {
    const fx = loadFixtures<{ proto: number; length: number }>('ipa-frames').filter((f) => f.fields.length > 0 && [0x00, 0xfd, 0xfc, 0xff].includes(f.fields.proto));
    const frames = fx.map((f) => decodeIpaFrame(Buffer.from(f.hex, 'hex')));
    const rows = dissect(frames.map((f) => encodeIpaFrame(f.proto, f.payload)));
    frames.forEach((f, i) => {
      const name = fx[i]!.name;
      expect(rows[i]!.proto, name).to.equal(h2(f.proto));
      expect(Number(rows[i]!.dataLen), name).to.equal(f.payload.length);
      expect(rows[i]!.expert, name).to.not.match(/Malformed|BoundError/);
    });
    expect(rows[fx.findIndex((f) => f.name === 'oml-sw-activated-report')]!.info).to.match(/Software Activated Report/);
    expect(rows[fx.findIndex((f) => f.name === 'rsl-chan-activ')]!.info).to.match(/CHANnel ACTIVation/);
  });
});
