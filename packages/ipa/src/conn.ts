/** Protocol engine shared by IpaClient and IpaServerConn: framing in/out, CCM PING/PONG, keepalive, dispatch. */
import { EventEmitter } from 'node:events';
import { debuglog } from 'node:util';
import { IpaDecodeError } from './errors.js';
import { IpaProto, encodeIpaFrame } from './header.js';
import { encodeOsmoFrame, IpaOsmoExt } from './ext.js';
import { type CcmMessage, decodeCcmPayload, encodeCcmFrame, ccmPongFrame, ccmPingFrame, ccmMsgTypeName } from './ccm.js';
import { type IpaMessage, parseIpaMessage } from './message.js';
import { IpaKeepalive, type IpaKeepaliveParams } from './keepalive.js';
import type { IpaIdentity } from './idtags.js';
import { hasMessageListeners, trackMessageListeners } from './listening.js';

export const debug = debuglog('osmo-ipa');

/** Events of one IPA link (client, or one server connection). */
export interface IpaLinkEvents {
  /** transport connected (client only; server connections start connected) */
  connect: [];
  /**
   * client only: a connect attempt failed (Node-style error: code 'ECONNREFUSED' ... with errno/address/port, or
   * 'ENOTFOUND' with hostname); the client retries after its reconnect timeout
   */
  connectError: [err: Error & { code: string; errno: number; syscall: string; hostname?: string }];
  /** identification done (ID_ACK received / sent), or at connect when the handshake is disabled */
  up: [];
  /** link lost (EOF, error, keepalive timeout, close); `reason` is a short text, `res` the negative errno if any */
  down: [reason: string, res: number];
  /** every non-CCM frame: OML, RSL, OSMO (+ext), SCCP, MGCP_OLD and unknown protocols */
  message: [msg: IpaMessage];
  /** every CCM message, after the automatic handling (PONG, ID_RESP, ID_ACK ...) */
  ccm: [msg: CcmMessage];
  /** the peer's ID_RESP (server side) */
  identity: [identity: IpaIdentity];
  /** a frame that could not be decoded; the link stays up */
  decodeError: [err: IpaDecodeError, frame: Buffer];
  /** a non-CCM frame that was not delivered (server connection not identified yet) */
  dropped: [msg: IpaMessage, reason: string];
}

/** Options common to client and server links. */
export interface IpaLinkOptions {
  /** PING/PONG supervision; off when absent or false */
  keepalive?: IpaKeepaliveParams | false;
}

export abstract class IpaLink extends EventEmitter<IpaLinkEvents> {
  /** free for the application */
  data: unknown;
  protected ka: IpaKeepalive | undefined;
  protected upFlag = false;

  constructor(readonly name: string, kaParams: IpaKeepaliveParams | false | undefined) {
    super();
    trackMessageListeners(this);
    if (kaParams) {
      this.ka = new IpaKeepalive({
        ...kaParams,
        name,
        sendPing: () => {
          debug('ipa(%s): TX PING', this.name);
          this.sendFrame(ccmPingFrame());
        },
        onTimeout: () => this.keepaliveTimeout(),
      });
    }
  }

  /** identification done (see the 'up' event) */
  get isUp(): boolean {
    return this.upFlag;
  }

  /** keepalive FSM state ('INIT' when keepalive is off) */
  get keepaliveState(): string {
    return this.ka?.state ?? 'INIT';
  }

  /** Queues one complete frame (IPA header included). 0, or a negative errno (-ENOTCONN, -ENOSPC, -EINVAL). */
  abstract sendFrame(frame: Buffer): number;

  /** IPA header + payload */
  send(proto: number, payload: Uint8Array): number {
    return this.sendFrame(encodeIpaFrame(proto, payload));
  }
  sendOml(payload: Uint8Array): number {
    return this.send(IpaProto.OML, payload);
  }
  /** RSL (proto 0x00 by default; some setups use 0x00..0x03 for TRX 0..3) */
  sendRsl(payload: Uint8Array, proto: number = IpaProto.RSL): number {
    return this.send(proto, payload);
  }
  /** IPA header (0xEE) + extension byte + payload */
  sendOsmo(ext: number, payload: Uint8Array): number {
    return this.sendFrame(encodeOsmoFrame(ext, payload));
  }
  /** CTRL text under OSMO/CTRL */
  sendCtrl(text: string | Uint8Array): number {
    return this.sendOsmo(IpaOsmoExt.CTRL, typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
  }
  sendCcm(msg: CcmMessage): number {
    return this.sendFrame(encodeCcmFrame(msg));
  }
  /** one PING outside the keepalive FSM */
  ping(): number {
    return this.sendFrame(ccmPingFrame());
  }

  protected keepaliveTimeout(): void {
    this.linkDown('keepalive timeout', 0);
  }

  /** role hooks */
  protected abstract onCcm(msg: CcmMessage): void;
  /** false: drop the message (e.g. server connection not identified yet) */
  protected acceptsMessages(): boolean {
    return true;
  }
  /** role-specific teardown; must end in emitting 'down' once */
  protected abstract linkDown(reason: string, res: number): void;

  protected setUp(): void {
    if (this.upFlag) return;
    this.upFlag = true;
    debug('ipa(%s): up', this.name);
    this.emit('up');
  }

  /** one complete frame from the segmentation layer */
  protected handleFrame(frame: Buffer): void {
    let msg: IpaMessage;
    try {
      msg = parseIpaMessage(frame);
    } catch (e) {
      if (!(e instanceof IpaDecodeError)) throw e;
      debug('ipa(%s): undecodable frame: %s', this.name, e.message);
      this.emit('decodeError', e, frame);
      return;
    }
    if (msg.kind === 'ccm') {
      let ccm: CcmMessage;
      try {
        ccm = decodeCcmPayload(msg.payload, 3);
      } catch (e) {
        if (!(e instanceof IpaDecodeError)) throw e;
        debug('ipa(%s): bad CCM: %s', this.name, e.message);
        this.emit('decodeError', e, frame);
        return;
      }
      debug('ipa(%s): RX CCM %s', this.name, ccm.type === 'OTHER' ? ccmMsgTypeName(ccm.msgType) : ccm.type);
      if (ccm.type === 'PING') this.sendFrame(ccmPongFrame());
      else if (ccm.type === 'PONG') this.ka?.pongReceived();
      this.onCcm(ccm);
      this.emit('ccm', ccm);
      return;
    }
    if (!this.acceptsMessages()) {
      debug('ipa(%s): dropping %s frame received before identification', this.name, msg.kind);
      this.emit('dropped', msg, 'before identification');
      return;
    }
    if (msg.kind === 'unknown') debug('ipa(%s): frame with unknown protocol 0x%s delivered as unknown', this.name, msg.proto.toString(16));
    this.deliver(msg);
  }

  /** hands a received message to the application ('message') */
  protected deliver(msg: IpaMessage): void {
    if (hasMessageListeners(this)) this.emit('message', msg);
  }
}
