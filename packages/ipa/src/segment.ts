/** Segmentation callback for @osmo/io: cuts the TCP byte stream into IPA frames. */
import { errno as E, lengthPrefixSegmentation, kNativeSegmentation } from '@osmo/io';
import { IPA_HEADER_LEN } from './header.js';
import { validateInteger } from './errors.js';

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
  validateInteger(maxLength, 'maxLength', IPA_HEADER_LEN, IPA_HEADER_LEN + 0xffff);
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

/**
 * The segmentationCb to give @osmo/io for IPA links: the core's native length-prefix segmentation (IoFd runs it
 * without a JS call per message; called from JS it follows the same contract, reporting "need more" as -EAGAIN or
 * as the announced length beyond the data). Same results as {@link ipaSegmentationJs}.
 */
export function ipaSegmentation(opts: IpaSegmentationOptions = {}): SegmentationCb {
  const max = opts.maxLength ?? IPA_DEFAULT_MAX_FRAME_LEN;
  checkMax(max);
  return lengthPrefixSegmentation({
    headerLen: IPA_HEADER_LEN, lengthOffset: 0, lengthBytes: 2, bigEndian: true, lengthAdjust: IPA_HEADER_LEN, maxLength: max,
  });
}

/** true when `cb` carries the core's native segmentation descriptor (as {@link ipaSegmentation}'s result does) */
export function ipaSegmentationIsNative(cb: SegmentationCb = ipaSegmentation()): boolean {
  return (cb as SegmentationCb & { [kNativeSegmentation]?: unknown })[kNativeSegmentation] !== undefined;
}
