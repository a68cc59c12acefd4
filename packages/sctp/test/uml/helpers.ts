/** Helpers for the SCTP suites that run inside user-mode Linux (scripts/test-sctp.sh). */
import { once } from 'node:events';
import { sctp, SctpClient, SctpServer, type SctpServerConn, type SctpSocketOptions } from '../../src/index.js';

/** Why SCTP cannot be used in this kernel, or null. */
export function sctpUnavailable(): string | null {
  try {
    const fd = sctp.socket({ type: 'stream' });
    return fd >= 0 ? (closeFd(fd), null) : 'no fd';
  } catch (e) {
    return (e as Error).message;
  }
}

import { sock } from '@osmo/io';
function closeFd(fd: number): void { sock.close(fd); }

/** Mocha: skip the suite (with the reason in its title) where the kernel has no SCTP. */
export function requireSctp(ctx: Mocha.Context): void {
  const why = sctpUnavailable();
  if (why) {
    console.log(`    SKIPPED: kernel SCTP unavailable: ${why}`);
    ctx.skip();
  }
}

/** what: a text, or a function giving it when the time is up (to report progress) */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, rej) => {
      t = setTimeout(() => rej(new Error(`timeout: ${typeof what === 'function' ? what() : what}`)), ms);
    })]);
  } finally { clearTimeout(t); }
}

/** A server on 127.0.0.1 (port from the kernel) and a connected client; the server side connection too. */
export async function pair(opts: Partial<SctpSocketOptions> = {}): Promise<{ srv: SctpServer; cli: SctpClient; conn: SctpServerConn }> {
  const srv = new SctpServer({ local: [{ address: '127.0.0.1', port: 0 }], streams: { out: 16, in: 16 }, ...opts } as never);
  const connP = once(srv, 'connection') as Promise<[SctpServerConn]>;
  const cli = new SctpClient({ remote: [{ address: '127.0.0.1', port: srv.port }], streams: { out: 16, in: 16 }, ...opts } as never);
  const up = once(cli, 'connect');
  cli.open();
  const [[conn]] = await withTimeout(Promise.all([connP, up]), 5000, 'association up');
  return { srv, cli, conn };
}

/** Collect n 'message' events. */
export function collect(em: NodeJS.EventEmitter, n: number, ms = 10000): Promise<[Buffer, any][]> {
  const got: [Buffer, any][] = [];
  return withTimeout(new Promise((resolve) => {
    const on = (d: Buffer, r: unknown) => { got.push([d, r]); if (got.length === n) { em.off('message', on); resolve(got); } };
    em.on('message', on);
  }), ms, () => `${n} messages (got ${got.length})`);
}

export function waitNotification(em: NodeJS.EventEmitter, pred: (n: any) => boolean, ms = 10000): Promise<any> {
  return withTimeout(new Promise((resolve) => {
    const on = (n: any) => { if (pred(n)) { em.off('notification', on); resolve(n); } };
    em.on('notification', on);
  }), ms, 'notification');
}
