/**
 * A UDP bind (gprs_ns2_udp.c): one socket driven by an @osmo/io IoFd in recvfrom_sendto mode. NS-VCs on it are
 * found by the datagram's source: a map by address text (made once by the core) then by port, so no key string
 * is built per datagram.
 */
import { IoFd, sock, type InetAddr } from '@osmo/io';
import { canonicalIp } from './ip.js';
import type { NsInstance } from './instance.js';
import type { NsVc } from './nsvc.js';

export interface NsBindOptions {
  address: string;
  /** 0 = any free port (read `local.port` afterwards) */
  port: number;
  name?: string;
  /** accept NS-RESET from unknown peers: dynamic ipaccess NSEs (VTY accept-ipaccess) */
  acceptIpaccess?: boolean;
  /** accept SNS-SIZE from unknown peers: dynamic IP-SNS NSEs in the SGSN role (VTY accept-dynamic-ip-sns) */
  acceptSns?: boolean;
  /** transfer capability of the bind (upstream: 100 for UDP binds) */
  transferCapability?: number;
  /** weights this bind advertises as an IP-SNS endpoint */
  sigWeight?: number;
  dataWeight?: number;
  /** largest datagram read whole (default: the bind MTU, 65535 - 8) */
  readSize?: number;
  /** tx queue length of the socket (upstream default 128) */
  txQueueMax?: number;
  /**
   * SO_RCVBUF in bytes (default 1 MiB, capped by net.core.rmem_max; upstream keeps the kernel default of about
   * 200 small datagrams, which a burst from several NS-VCs overruns while the loop is busy); 0 keeps the default
   */
  rcvBuf?: number;
  /**
   * io_uring: receives kept armed on the socket (IoFd.setSqes('read', n)); default: the library's (1). More cost
   * fewer system calls per PDU at high rates, but several armed receives may deliver datagrams out of arrival
   * order (as upstream osmo_io with several read SQEs), so NS-UNITDATA of one NS-VC could be reordered.
   */
  readSqes?: number;
}

/** upstream's MTU of a UDP bind */
export const NS_UDP_MTU = 65535 - 8;

/**
 * What a bind needs from its socket. The default is an @osmo/io IoFd (`ioFdTransport`); another transport (e.g.
 * Node's dgram, as the benchmark does) runs the very same NS code.
 */
export interface NsTransport {
  readonly local: InetAddr;
  /** 0 or -errno */
  sendto(buf: Buffer, to: InetAddr): number;
  close(): void;
}
/** called by a transport for each datagram; `from` null or res < 0 for a failed read */
export type NsRxFn = (res: number, msg: Buffer, from: InetAddr | null) => void;
export type NsTransportFactory = (o: NsBindOptions, rx: NsRxFn, txError: (res: number) => void) => NsTransport;

/** the default transport: a UDP socket driven by an IoFd in recvfrom_sendto mode */
export const ioFdTransport: NsTransportFactory = (o, rx, txError) => {
  const fd = sock.inet({ proto: 'udp', local: { address: o.address, port: o.port } });
  const rcvBuf = o.rcvBuf ?? 1 << 20;
  if (rcvBuf > 0) sock.setsockopt(fd, sock.constants.SOL_SOCKET, sock.constants.SO_RCVBUF, rcvBuf);
  const la = sock.localAddress(fd) as InetAddr;
  const local: InetAddr = { address: la.address, port: la.port, family: la.family };
  const iofd = IoFd.setup(fd, `ns-bind(${la.address}:${la.port})`, 'recvfrom_sendto', {
    recvfromCb: (_iofd, res, msg, from) => rx(res, msg, from !== null && 'port' in from ? from : null),
    sendtoCb: (_iofd, res) => { if (res < 0) txError(res); },
  });
  iofd.setAllocInfo(o.readSize ?? NS_UDP_MTU, 0);
  iofd.txqueueMaxLength = o.txQueueMax ?? 128;
  if (o.readSqes !== undefined) iofd.setSqes('read', o.readSqes); // -EINVAL on poll: nothing to arm there
  iofd.register();
  return { local, iofd, sendto: (buf, to) => iofd.sendto(buf, to), close: () => iofd.close() } as NsTransport & { iofd: IoFd };
};

export class NsBind {
  readonly name: string;
  readonly local: InetAddr;
  readonly transport: NsTransport;
  mtu = NS_UDP_MTU;
  transferCapability: number;
  acceptIpaccess: boolean;
  acceptSns: boolean;
  sigWeight: number;
  dataWeight: number;
  /** datagrams that could not be read (negative results), for the summary */
  rxErrors = 0;
  /** datagrams whose send failed after queueing (negative sendto results), last errno */
  txErrors = 0;
  lastTxError = 0;
  private readonly peers = new Map<string, Map<number, NsVc>>();
  private closed = false;

  constructor(readonly inst: NsInstance, o: NsBindOptions, transport: NsTransportFactory = ioFdTransport) {
    this.acceptIpaccess = o.acceptIpaccess ?? false;
    this.acceptSns = o.acceptSns ?? false;
    this.transferCapability = o.transferCapability ?? 100;
    this.sigWeight = o.sigWeight ?? 1;
    this.dataWeight = o.dataWeight ?? 1;
    this.transport = transport(o, (res, msg, from) => {
      if (res <= 0 || from === null) { this.rxErrors++; return; }
      const vc = this.peers.get(from.address)?.get(from.port);
      if (vc) vc.rx(msg);
      else this.inst.rxUnknownPeer(this, msg, from);
    }, (res) => { this.txErrors++; this.lastTxError = res; });
    this.local = this.transport.local;
    this.name = o.name ?? `${this.local.family === 'IPv6' ? `[${this.local.address}]` : this.local.address}:${this.local.port}`;
  }

  /** the IoFd of the default transport (undefined for another transport) */
  get iofd(): IoFd | undefined { return (this.transport as { iofd?: IoFd }).iofd; }

  /** the NS-VC for a remote address on this bind */
  lookup(remote: { address: string; port: number }): NsVc | undefined {
    return this.peers.get(remote.address)?.get(remote.port);
  }
  /** @internal */
  addVc(vc: NsVc): void {
    let m = this.peers.get(vc.remote.address);
    if (!m) this.peers.set(vc.remote.address, m = new Map());
    m.set(vc.remote.port, vc);
  }
  /** @internal */
  removeVc(vc: NsVc): void {
    const m = this.peers.get(vc.remote.address);
    if (m?.get(vc.remote.port) === vc) {
      m.delete(vc.remote.port);
      if (m.size === 0) this.peers.delete(vc.remote.address);
    }
  }
  get vcCount(): number {
    let n = 0;
    for (const m of this.peers.values()) n += m.size;
    return n;
  }

  /** change the MTU (NSEs recompute theirs and report an MTU change) */
  setMtu(mtu: number): void {
    this.mtu = mtu;
    const nses = new Set<NsVc['nse']>();
    for (const m of this.peers.values()) for (const vc of m.values()) nses.add(vc.nse);
    for (const nse of nses) nse.updateMtu();
  }

  /** 0 or -errno (-ENOSPC when the tx queue is full) */
  sendto(buf: Buffer, to: InetAddr): number {
    if (this.closed) return -9;
    return this.transport.sendto(buf, to);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }
}

/** a remote address in the form datagrams arrive with (canonical text, family) */
export function inetAddr(address: string, port: number): InetAddr {
  const a = canonicalIp(address);
  return { address: a, port, family: a.includes(':') ? 'IPv6' : 'IPv4' };
}
