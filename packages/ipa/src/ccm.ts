/** CCM (IPA proto 0xFE, "ipaccess"): PING/PONG, identity exchange ID_GET/ID_RESP/ID_ACK/ID_NACK. */
import { IpaDecodeError, IpaEncodeError, TlvDecodeError, TlvEncodeError, checkByte } from './errors.js';
import { TlvTable } from './tlv.js';
import { IpaProto, IPA_HEADER_LEN, encodeIpaFrame, decodeIpaFrame } from './header.js';
import { type IpaIdItem, type IpaIdentityInit, IPA_DEFAULT_ID_GET_TAGS, identityToIdItems } from './idtags.js';

export const CcmMsgType = {
  PING: 0x00,
  PONG: 0x01,
  ID_GET: 0x04,
  ID_RESP: 0x05,
  ID_ACK: 0x06,
  ID_NACK: 0x07,
  PROXY: 0x08,
  PROXY_ACK: 0x09,
  PROXY_NACK: 0x0a,
  SSL_INFO: 0x0b,
} as const;
export type CcmMsgTypeName = keyof typeof CcmMsgType;

const typeNames = new Map<number, CcmMsgTypeName>(
  (Object.entries(CcmMsgType) as [CcmMsgTypeName, number][]).map(([k, v]) => [v, k]),
);

/** 'PING', 'ID_RESP', ... or `unknown 0x42` */
export function ccmMsgTypeName(t: number): string {
  return typeNames.get(t) ?? `unknown 0x${t.toString(16).padStart(2, '0')}`;
}

/** Messages without a defined body; bytes after the type byte (none normally) are kept in `extra`. */
export interface CcmSimpleMessage {
  type: 'PING' | 'PONG' | 'ID_ACK' | 'ID_NACK';
  extra?: Buffer;
}
/** ID_GET: items `[len 1B][tag][value len-1 bytes]`; normally len=1 and no value. */
export interface CcmIdGetMessage {
  type: 'ID_GET';
  items: IpaIdItem[];
}
/** ID_RESP: items `[len 2B BE][tag][value len-1 bytes]`; values are strings with a NUL. */
export interface CcmIdRespMessage {
  type: 'ID_RESP';
  items: IpaIdItem[];
}
/** Any other CCM message type (PROXY, SSL_INFO, unknown): kept raw. */
export interface CcmOtherMessage {
  type: 'OTHER';
  msgType: number;
  data: Buffer;
}
export type CcmMessage = CcmSimpleMessage | CcmIdGetMessage | CcmIdRespMessage | CcmOtherMessage;

/** ID_GET items: [len 1B][tag][value len-1 bytes]; ID_RESP items: the same with a 2-byte length */
const ID_GET_ITEMS = new TlvTable({ lengthFirst: 1 });
const ID_RESP_ITEMS = new TlvTable({ lengthFirst: 2 });

const simpleTypes = new Set<string>(['PING', 'PONG', 'ID_ACK', 'ID_NACK']);

function msgTypeOf(msg: CcmMessage): number {
  if (msg.type === 'OTHER') return msg.msgType;
  return CcmMsgType[msg.type];
}

/** CCM payload (message type byte + body), without the IPA header. */
export function encodeCcmPayload(msg: CcmMessage): Buffer {
  const t = msgTypeOf(msg);
  checkByte(t, 'CCM message type');
  switch (msg.type) {
    case 'PING':
    case 'PONG':
    case 'ID_ACK':
    case 'ID_NACK':
      return msg.extra && msg.extra.length ? Buffer.concat([Buffer.of(t), msg.extra]) : Buffer.of(t);
    case 'ID_GET':
    case 'ID_RESP': {
      const table = msg.type === 'ID_GET' ? ID_GET_ITEMS : ID_RESP_ITEMS;
      let n = 1;
      for (const it of msg.items) {
        checkByte(it.tag, 'ID tag');
        try {
          n += table.encodedLength(it.tag, it.value.length);
        } catch (e) {
          if (!(e instanceof TlvEncodeError)) throw e;
          throw new IpaEncodeError('ERR_IPA_BAD_VALUE', `${msg.type} ${e.message}`);
        }
      }
      const out = Buffer.allocUnsafe(n);
      out[0] = t;
      let o = 1;
      for (const it of msg.items) o = table.write(out, o, it.tag, it.value);
      return out;
    }
    case 'OTHER':
      if (typeNames.has(t) && (simpleTypes.has(typeNames.get(t)!) || t === CcmMsgType.ID_GET || t === CcmMsgType.ID_RESP)) {
        throw new IpaEncodeError('ERR_IPA_BAD_VALUE', `CCM type ${ccmMsgTypeName(t)} must be encoded with type '${ccmMsgTypeName(t)}', not 'OTHER'`);
      }
      return Buffer.concat([Buffer.of(t), msg.data]);
  }
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * Decodes a CCM payload (IPA header removed). Item values are views into `payload`. Error offsets are relative to
 * `payload` plus `baseOffset` (the frame decoder passes 3).
 */
export function decodeCcmPayload(payload: Uint8Array, baseOffset = 0): CcmMessage {
  const p = toBuffer(payload);
  if (p.length < 1) throw new IpaDecodeError('ERR_IPA_EMPTY_CCM', baseOffset, 'CCM payload lacks the message type byte');
  const t = p[0]!;
  switch (t) {
    case CcmMsgType.PING:
    case CcmMsgType.PONG:
    case CcmMsgType.ID_ACK:
    case CcmMsgType.ID_NACK: {
      const type = typeNames.get(t) as CcmSimpleMessage['type'];
      return p.length > 1 ? { type, extra: p.subarray(1) } : { type };
    }
    case CcmMsgType.ID_GET:
    case CcmMsgType.ID_RESP: {
      const name = t === CcmMsgType.ID_GET ? 'ID_GET' : 'ID_RESP';
      let items: IpaIdItem[];
      try {
        items = (t === CcmMsgType.ID_GET ? ID_GET_ITEMS : ID_RESP_ITEMS).parse(p, 1).map(({ tag, value }) => ({ tag, value }));
      } catch (e) {
        if (!(e instanceof TlvDecodeError)) throw e;
        throw new IpaDecodeError('ERR_IPA_CCM_ITEM', baseOffset + e.offset, `${name} ${e.detail}`);
      }
      return { type: name, items };
    }
    default:
      return { type: 'OTHER', msgType: t, data: p.subarray(1) };
  }
}

/** Complete CCM frame (IPA header with proto 0xFE). */
export function encodeCcmFrame(msg: CcmMessage): Buffer {
  return encodeIpaFrame(IpaProto.CCM, encodeCcmPayload(msg));
}

/** Decodes one complete CCM frame (header included). */
export function decodeCcmFrame(frame: Uint8Array): CcmMessage {
  const f = decodeIpaFrame(frame);
  if (f.proto !== IpaProto.CCM) throw new IpaDecodeError('ERR_IPA_PROTO', 2, `expected IPA proto 0xfe, got 0x${f.proto.toString(16)}`);
  return decodeCcmPayload(f.payload, IPA_HEADER_LEN);
}

/** ID_GET asking for `tags` (default: the 8 tags upstream servers ask for). */
export function ccmIdGet(tags: readonly number[] = IPA_DEFAULT_ID_GET_TAGS): CcmIdGetMessage {
  return { type: 'ID_GET', items: tags.map((tag) => ({ tag, value: Buffer.alloc(0) })) };
}

/** ID_RESP answering `requested` tags from `identity` (see identityToIdItems). */
export function ccmIdResp(identity: IpaIdentityInit, requested: readonly number[] = IPA_DEFAULT_ID_GET_TAGS): CcmIdRespMessage {
  return { type: 'ID_RESP', items: identityToIdItems(identity, requested) };
}

/** Tags requested by an ID_GET. */
export function idGetTags(msg: CcmIdGetMessage): number[] {
  return msg.items.map((i) => i.tag);
}

/** `00 01 fe 00` */
export function ccmPingFrame(): Buffer {
  return Buffer.from([0x00, 0x01, 0xfe, 0x00]);
}
/** `00 01 fe 01` */
export function ccmPongFrame(): Buffer {
  return Buffer.from([0x00, 0x01, 0xfe, 0x01]);
}
/** `00 01 fe 06` */
export function ccmIdAckFrame(): Buffer {
  return Buffer.from([0x00, 0x01, 0xfe, 0x06]);
}
