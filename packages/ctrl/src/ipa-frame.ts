/** CTRL on the IPA link layer: each CTRL message is the payload of one IPA OSMO frame with extension CTRL. */
import { encodeOsmoFrame, IpaOsmoExt, type IpaMessage } from '@osmo/ipa';
import { encodeCtrl, type CtrlMessage } from './codec.js';

/** one complete IPA frame carrying `msg` */
export function encodeCtrlFrame(msg: CtrlMessage): Buffer {
  return encodeOsmoFrame(IpaOsmoExt.CTRL, encodeCtrl(msg));
}

/** a received IPA message that carries CTRL text (its payload) */
export function isCtrlIpaMessage(m: IpaMessage): boolean {
  return m.kind === 'osmo' && m.ext === IpaOsmoExt.CTRL;
}
