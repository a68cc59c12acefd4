import { expect } from 'chai';
import fc from 'fast-check';
import { constants as osConstants } from 'node:os';
import { ipaSegmentation, ipaSegmentationJs, IPA_DEFAULT_MAX_FRAME_LEN } from '../src/segment.js';
import { encodeIpaFrame } from '../src/header.js';
import { loadFixtures, hex } from './fixtures.js';
import { drive, splitAt } from './segdriver.js';

const E = osConstants.errno;

/**
 * The contract allows "need more" as -EAGAIN or as a length beyond the data (the core's native length-prefix
 * function reports the announced length); normalise the latter to -EAGAIN so both variants share the assertions.
 */
function normalised(make: (o?: { maxLength?: number }) => (d: Buffer) => number) {
  return (o?: { maxLength?: number }) => {
    const cb = make(o);
    return (d: Buffer): number => {
      const r = cb(d);
      return r > d.length ? -E.EAGAIN : r;
    };
  };
}

const variants: [string, (o?: { maxLength?: number }) => (d: Buffer) => number][] = [
  ['ipaSegmentationJs', ipaSegmentationJs],
  ['ipaSegmentation', normalised(ipaSegmentation)],
];

for (const [vname, make] of variants) {
  describe(`segmentation (${vname}) called directly`, () => {
    const seg = make();

    it('contract: <3 bytes -> -EAGAIN, partial body -> -EAGAIN, else full length incl. header', () => {
      expect(seg(Buffer.alloc(0))).to.equal(-E.EAGAIN);
      expect(seg(Buffer.from('00', 'hex'))).to.equal(-E.EAGAIN);
      expect(seg(Buffer.from('0001', 'hex'))).to.equal(-E.EAGAIN);
      expect(seg(Buffer.from('0001fe', 'hex'))).to.equal(-E.EAGAIN);
      expect(seg(Buffer.from('0001fe00', 'hex'))).to.equal(4);
      expect(seg(Buffer.from('0001fe000001fe01', 'hex'))).to.equal(4);
      expect(seg(Buffer.from('0000ff', 'hex'))).to.equal(3); // zero-length frame
      expect(seg(Buffer.from('0000ff0001', 'hex'))).to.equal(3);
    });

    it('frame above maxLength -> -EMSGSIZE as soon as the header is there (no buffering)', () => {
      const s = make({ maxLength: 1200 });
      expect(s(Buffer.from('ffff', 'hex'))).to.equal(-E.EAGAIN);
      expect(s(Buffer.from('ffffff', 'hex'))).to.equal(-E.EMSGSIZE);
      // maxLength counts the header: 0x04ad = 1197 payload bytes -> 1200 total is allowed, 1198 -> 1201 is not
      expect(s(Buffer.from('04aeff', 'hex'))).to.equal(-E.EMSGSIZE);
      expect(s(Buffer.from('04adff', 'hex'))).to.equal(-E.EAGAIN);
      const ok = encodeIpaFrame(0xff, Buffer.alloc(1197));
      expect(ok.length).to.equal(1200);
      expect(s(ok)).to.equal(1200);
    });

    it('default maximum: 65535 bytes incl. header', () => {
      expect(IPA_DEFAULT_MAX_FRAME_LEN).to.equal(65535);
      expect(seg(Buffer.from('ffffff', 'hex'))).to.equal(-E.EMSGSIZE);
      expect(seg(Buffer.from('fffcff', 'hex'))).to.equal(-E.EAGAIN);
    });

    it('rejects bad maxLength', () => {
      expect(() => make({ maxLength: 2 })).to.throw(RangeError);
      expect(() => make({ maxLength: 1.5 })).to.throw(RangeError);
    });

    it('stream bundles: split at every byte boundary (1 and 2 cuts) give the same frames', () => {
      for (const f of loadFixtures<{ frames: string[] }>('ipa-stream')) {
        const b = Buffer.from(f.hex, 'hex');
        const whole = drive(seg, [b]);
        expect(whole.frames.map(hex), f.name).to.deep.equal(f.fields.frames);
        expect(whole.pending).to.equal(0);
        for (let i = 0; i <= b.length; i++) {
          expect(drive(seg, splitAt(b, [i])).frames.map(hex), `${f.name} cut ${i}`).to.deep.equal(f.fields.frames);
          for (let j = i; j <= b.length; j += 3) {
            expect(drive(seg, splitAt(b, [i, j])).frames.map(hex), `${f.name} cuts ${i},${j}`).to.deep.equal(f.fields.frames);
          }
        }
        // one byte at a time (TTCN TC_chopped_ipa_ping style)
        expect(drive(seg, [...b].map((x) => Buffer.of(x))).frames.map(hex)).to.deep.equal(f.fields.frames);
      }
    });

    it('property: any frames, any chunking -> identical frames, nothing left over', () => {
      const frameArb = fc.record({ proto: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 300 }) })
        .map(({ proto, payload }) => encodeIpaFrame(proto, payload));
      fc.assert(
        fc.property(fc.array(frameArb, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, rawCuts) => {
          const all = Buffer.concat(frames);
          const cuts = [...new Set(rawCuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const r = drive(seg, splitAt(all, cuts));
          expect(r.error).to.equal(undefined);
          expect(r.pending).to.equal(0);
          expect(r.frames.map(hex)).to.deep.equal(frames.map(hex));
        }),
        { numRuns: 300 },
      );
    });

    it('a peer announcing 65535 bytes and stalling: error at once with a lower max, bounded otherwise', () => {
      const small = make({ maxLength: 1200 });
      const r1 = drive(small, [Buffer.from('ffffff', 'hex'), Buffer.alloc(5000)]);
      expect(r1.error).to.equal(-E.EMSGSIZE);
      expect(r1.maxPending).to.equal(3);
      // announcing 1000 (within the max) and stalling: never more than the frame is held
      const r2 = drive(small, [Buffer.from('03e8ff', 'hex'), ...Array.from({ length: 50 }, () => Buffer.alloc(10))]);
      expect(r2.error).to.equal(undefined);
      expect(r2.frames).to.have.length(0);
      expect(r2.pending).to.equal(503);
    });

    it('property: random bytes -> a length within the data, -EAGAIN or -EMSGSIZE; never throws', () => {
      const s = make({ maxLength: 4096 });
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (u) => {
          const r = s(Buffer.from(u));
          if (r > 0) {
            expect(r).to.be.at.most(u.length);
            expect(r).to.equal(3 + ((u[0]! << 8) | u[1]!));
          } else expect([-E.EAGAIN, -E.EMSGSIZE]).to.include(r);
        }),
        { numRuns: 2000 },
      );
    });
  });
}
