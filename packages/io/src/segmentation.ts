/**
 * Length-prefixed framing that the core runs natively: the returned function has the segmentationCb
 * contract (and works when called from JS), and IoFd recognises its descriptor so no JS runs per message.
 */
import { checkInt } from './errors.js';
import { errno } from './errno.js';

export interface LengthPrefixSpec {
  /** bytes needed before the length can be read (IPA: 3) */
  headerLen: number;
  /** where the length field starts */
  lengthOffset: number;
  lengthBytes: 1 | 2 | 4;
  bigEndian?: boolean;
  /** total message length = length field + lengthAdjust (IPA: 3, the header the field excludes) */
  lengthAdjust: number;
  /** longer messages are an error (-EMSGSIZE); 0 or absent: only the 16-bit segment limit */
  maxLength?: number;
}

export const kNativeSegmentation = Symbol.for('osmo.io.segmentation');

export type SegmentationFn = ((data: Buffer) => number) & { [kNativeSegmentation]?: Required<LengthPrefixSpec> };

export function lengthPrefixSegmentation(spec: LengthPrefixSpec): SegmentationFn {
  const s: Required<LengthPrefixSpec> = {
    headerLen: checkInt('headerLen', spec.headerLen, 1, 65535),
    lengthOffset: checkInt('lengthOffset', spec.lengthOffset, 0, 65535),
    lengthBytes: checkInt('lengthBytes', spec.lengthBytes, 1, 4) as 1 | 2 | 4,
    bigEndian: spec.bigEndian ?? true,
    lengthAdjust: checkInt('lengthAdjust', spec.lengthAdjust, -65535, 65535),
    maxLength: checkInt('maxLength', spec.maxLength ?? 0, 0, 0x7fffffff),
  };
  if ((s.lengthBytes as number) === 3) checkInt('lengthBytes', 3, 4, 4);
  const need = Math.max(s.headerLen, s.lengthOffset + s.lengthBytes);
  const fn: SegmentationFn = (d: Buffer): number => {
    if (d.length < need) return -errno.EAGAIN;
    let v: number;
    if (s.lengthBytes === 1) v = d[s.lengthOffset];
    else if (s.lengthBytes === 2) v = s.bigEndian ? d.readUInt16BE(s.lengthOffset) : d.readUInt16LE(s.lengthOffset);
    else v = s.bigEndian ? d.readUInt32BE(s.lengthOffset) : d.readUInt32LE(s.lengthOffset);
    const total = v + s.lengthAdjust;
    if (total < s.headerLen || total <= 0) return -errno.EPROTO;
    if (s.maxLength && total > s.maxLength) return -errno.EMSGSIZE;
    return total;
  };
  fn[kNativeSegmentation] = s;
  return fn;
}
