/** Segmentation callback for @osmo/io: cuts the TCP byte stream into IPA frames. */
import { constants as osConstants } from 'node:os';
import * as io from '@osmo/io';
import { IPA_HEADER_LEN } from './header.js';

const E = osConstants.errno;

/** Largest frame (header included) accepted by default: the 16-bit msgb limit of osmo_io. */
export const IPA_DEFAULT_MAX_FRAME_LEN = 0xffff;

export interface IpaSegmentationOptions {
  /**
   * Largest accepted frame, IPA header included (default 65535). A header announcing a longer frame makes the
   * callback return -EMSGSIZE at once, so the link is closed instead of buffering up to the announced length.
   */
  maxLength?: number;
}

/** The segmentation contract of @osmo/io (and upstream osmo_io): frame length, -EAGAIN for "need more", -errno. */
export type SegmentationCb = (data: Buffer) => number;

function checkMax(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < IPA_HEADER_LEN || maxLength > IPA_HEADER_LEN + 0xffff) {
    throw new RangeError(`ipaSegmentation: maxLength must be an integer ${IPA_HEADER_LEN}..${IPA_HEADER_LEN + 0xffff}, got ${maxLength}`);
  }
}

/**
 * Pure JS implementation of the IPA segmentation contract: fewer than 3 bytes or an incomplete body -> -EAGAIN;
 * a frame longer than maxLength -> -EMSGSIZE; otherwise the full frame length (3 + BE16 length).
 */
export function ipaSegmentationJs(opts: IpaSegmentationOptions = {}): SegmentationCb {
  const max = opts.maxLength ?? IPA_DEFAULT_MAX_FRAME_LEN;
  checkMax(max);
  return function ipaSegment(data: Buffer): number {
    if (data.length < IPA_HEADER_LEN) return -E.EAGAIN;
    const total = IPA_HEADER_LEN + ((data[0]! << 8) | data[1]!);
    if (total > max) return -E.EMSGSIZE;
    if (data.length < total) return -E.EAGAIN;
    return total;
  };
}

type LengthPrefixFactory = (o: {
  headerLen: number;
  lengthOffset: number;
  lengthBytes: 1 | 2 | 4;
  bigEndian?: true;
  lengthAdjust: number;
  maxLength?: number;
}) => SegmentationCb;

function nativeFactory(): LengthPrefixFactory | undefined {
  const f = (io as Record<string, unknown>)['lengthPrefixSegmentation'];
  return typeof f === 'function' ? (f as LengthPrefixFactory) : undefined;
}

/**
 * The segmentationCb to give @osmo/io for IPA links. Uses the core's native length-prefix segmentation when the
 * core provides it (no JS call per message); otherwise {@link ipaSegmentationJs}. Same contract either way.
 */
export function ipaSegmentation(opts: IpaSegmentationOptions = {}): SegmentationCb {
  const max = opts.maxLength ?? IPA_DEFAULT_MAX_FRAME_LEN;
  checkMax(max);
  const native = nativeFactory();
  if (native) return native({ headerLen: IPA_HEADER_LEN, lengthOffset: 0, lengthBytes: 2, bigEndian: true, lengthAdjust: IPA_HEADER_LEN, maxLength: max });
  return ipaSegmentationJs({ maxLength: max });
}

/** true when {@link ipaSegmentation} returns the core's native implementation */
export function ipaSegmentationIsNative(): boolean {
  return nativeFactory() !== undefined;
}
