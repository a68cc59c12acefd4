/**
 * The fixed C structs of the Linux SCTP API, declared once with binary-parser (decode side). Layouts are
 * x86-64/aarch64 Linux (little-endian, 4-byte ints, sctp_assoc_t = int32); offsets are in the comments so
 * the hand-written encoders in cmsg.ts / sockopt.ts can be checked against them.
 */
import { Parser } from 'binary-parser';

/** struct sctp_rcvinfo (28 bytes) */
export const rcvinfoParser = new Parser().endianness('little')
  .uint16('sid')        // 0
  .uint16('ssn')        // 2
  .uint16('flags')      // 4
  .seek(2)
  .uint32be('ppid')     // 8: network byte order (the kernel passes it through): host number here
  .uint32('tsn')        // 12
  .uint32('cumtsn')     // 16
  .uint32('context')    // 20
  .int32('assocId');    // 24
export const RCVINFO_SIZE = 28;

/** struct sctp_sndinfo (16 bytes), decoded for SEND_FAILED_EVENT */
const sndinfoParser = new Parser().endianness('little')
  .uint16('sid').uint16('flags').uint32be('ppid').uint32('context').int32('assocId');

/** struct sctp_sndrcvinfo (32 bytes), decoded for the older SEND_FAILED */
const sndrcvParser = new Parser().endianness('little')
  .uint16('sid').uint16('ssn').uint16('flags').seek(2).uint32be('ppid').uint32('context').uint32('ttl')
  .uint32('tsn').uint32('cumtsn').int32('assocId');

/** union sctp_notification header */
export const snHeaderParser = new Parser().endianness('little').uint16('type').uint16('flags').uint32('length');
export const SN_HEADER_SIZE = 8;

/** struct sctp_assoc_change (20 bytes + info) */
export const assocChangeParser = new Parser().endianness('little')
  .seek(8).uint16('state').uint16('error').uint16('outStreams').uint16('inStreams').int32('assocId');

/** struct sctp_paddr_change (148 bytes, packed): sockaddr_storage at 8 */
export const paddrChangeParser = new Parser().endianness('little')
  .seek(8).buffer('addr', { length: 128 }).int32('state').int32('error').int32('assocId');

/** struct sctp_remote_error (16 bytes + data): the error cause code is big-endian */
export const remoteErrorParser = new Parser().endianness('little')
  .seek(8).uint16be('error').seek(2).int32('assocId');

/** struct sctp_send_failed (48 bytes + data) */
export const sendFailedParser = new Parser().endianness('little')
  .seek(8).uint32('error').nest('info', { type: sndrcvParser }).int32('assocId');

/** struct sctp_send_failed_event (32 bytes + data) */
export const sendFailedEventParser = new Parser().endianness('little')
  .seek(8).uint32('error').nest('info', { type: sndinfoParser }).int32('assocId');

/** struct sctp_shutdown_event / sctp_sender_dry_event (12 bytes) */
export const assocOnlyParser = new Parser().endianness('little').seek(8).int32('assocId');

/** struct sctp_adaptation_event (16 bytes) */
export const adaptationParser = new Parser().endianness('little').seek(8).uint32('indication').int32('assocId');

/** struct sctp_pdapi_event (24 bytes) */
export const pdapiParser = new Parser().endianness('little')
  .seek(8).uint32('indication').int32('assocId').uint32('stream').uint32('seq');

/** struct sctp_authkey_event (20 bytes) */
export const authkeyParser = new Parser().endianness('little')
  .seek(8).uint16('keyNumber').uint16('altKeyNumber').uint32('indication').int32('assocId');

/** struct sctp_status (176 bytes): what getsockopt(SCTP_STATUS) answers; primary path info omitted */
export const statusParser = new Parser().endianness('little')
  .int32('assocId').int32('state').uint32('rwnd').uint16('unackData').uint16('pendData')
  .uint16('inStreams').uint16('outStreams').uint32('fragmentationPoint');
export const STATUS_SIZE = 176;
