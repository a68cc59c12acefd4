/** Linux SCTP ABI numbers (include/uapi/linux/sctp.h); the kernel ABI is fixed, so they are spelled out here. */

export const IPPROTO_SCTP = 132;
export const SOL_SCTP = 132;

// socket options (level SOL_SCTP)
export const SCTP_RTOINFO = 0;
export const SCTP_INITMSG = 2;
export const SCTP_NODELAY = 3;
export const SCTP_PEER_ADDR_PARAMS = 9;
export const SCTP_EVENTS = 11;
export const SCTP_STATUS = 14;
export const SCTP_RECVRCVINFO = 32;
export const SCTP_SOCKOPT_BINDX_ADD = 100;
export const SCTP_SOCKOPT_PEELOFF = 102;
export const SCTP_SOCKOPT_CONNECTX = 110;
export const SCTP_EVENT = 127;

// cmsg types (level IPPROTO_SCTP)
export const SCTP_SNDRCV = 1;
export const SCTP_SNDINFO = 2;
export const SCTP_RCVINFO = 3;
export const SCTP_NXTINFO = 4;
export const SCTP_PRINFO = 5;

// sinfo / snd / rcv flags
export const SCTP_UNORDERED = 1 << 0;
export const SCTP_ADDR_OVER = 1 << 1;
export const SCTP_ABORT = 1 << 2;
export const SCTP_SACK_IMMEDIATELY = 1 << 3;
export const SCTP_SENDALL = 1 << 6;
export const SCTP_EOF = 0x200; // MSG_FIN
export const SCTP_PR_SCTP_TTL = 0x0010;

// recvmsg msg_flags
export const MSG_CTRUNC = 0x8;
export const MSG_TRUNC = 0x20;
export const MSG_EOR = 0x80;
export const MSG_NOTIFICATION = 0x8000;

// notification types (enum sctp_sn_type)
export const SCTP_SN_TYPE_BASE = 0x8000;
export const SN = {
  DATA_IO_EVENT: 0x8000,
  ASSOC_CHANGE: 0x8001,
  PEER_ADDR_CHANGE: 0x8002,
  SEND_FAILED: 0x8003,
  REMOTE_ERROR: 0x8004,
  SHUTDOWN_EVENT: 0x8005,
  PARTIAL_DELIVERY_EVENT: 0x8006,
  ADAPTATION_INDICATION: 0x8007,
  AUTHENTICATION_EVENT: 0x8008,
  SENDER_DRY_EVENT: 0x8009,
  STREAM_RESET_EVENT: 0x800a,
  ASSOC_RESET_EVENT: 0x800b,
  STREAM_CHANGE_EVENT: 0x800c,
  SEND_FAILED_EVENT: 0x800d,
} as const;

export const ASSOC_STATES = ['COMM_UP', 'COMM_LOST', 'RESTART', 'SHUTDOWN_COMP', 'CANT_STR_ASSOC'] as const;
export const PADDR_STATES = [
  'ADDR_AVAILABLE', 'ADDR_UNREACHABLE', 'ADDR_REMOVED', 'ADDR_ADDED', 'ADDR_MADE_PRIM', 'ADDR_CONFIRMED',
  'ADDR_POTENTIALLY_FAILED',
] as const;

// sctp_paddrparams.spp_flags
export const SPP_HB_ENABLE = 1 << 0;
export const SPP_HB_DISABLE = 1 << 1;

// PPIDs users meet (IANA)
export const PPID = { IUA: 1, M2UA: 2, M3UA: 3, SUA: 4, M2PA: 5, S1AP: 18, NGAP: 60 } as const;
