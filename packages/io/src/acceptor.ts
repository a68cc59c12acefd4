/**
 * Acceptor: hands out the connections of a listening socket. The core accepts (poll: accept4 loop on
 * readiness; io_uring: ACCEPT operations), so accepting costs no extra JS calls or polls.
 */
import { IoFd } from './iofd.js';
import { errno } from './errno.js';
import { checkInt, OsmoIoTypeError } from './errors.js';
import type { SockAddr } from './types.js';

/** Errors of one connection (it went away before accept): the next accept may well succeed. */
const TRANSIENT = new Set([-errno.ECONNABORTED, -errno.EINTR, -errno.EAGAIN, -errno.EPROTO]);
/** A persistent accept error (EMFILE, ENFILE, ENOBUFS, EINVAL on a socket that does not listen) pauses
 * accepting for BACKOFF_MIN_MS, doubling up to BACKOFF_MAX_MS while it persists (libuv pauses likewise):
 * retrying at once would call the error callback in a tight loop and starve every other handle. */
const BACKOFF_MIN_MS = 10, BACKOFF_MAX_MS = 1000;

export class Acceptor {
  #backoffMs = 0;
  #timer: NodeJS.Timeout | null = null;
  #refed = true;
  #closed = false;

  private constructor(private readonly iofd: IoFd) {}

  /** Start accepting on listening socket fd; onAccept gets each new fd (O_NONBLOCK, O_CLOEXEC). */
  static open(fd: number, name: string, onAccept: (fd: number, peer: SockAddr | null) => void,
              onError?: (res: number) => void): Acceptor {
    checkInt('fd', fd, 0, 0x7fffffff);
    if (typeof onAccept !== 'function') throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'onAccept must be a function');
    let self: Acceptor | null = null;
    const io = IoFd._setupAccept(fd, name, (res, peer) => {
      if (res >= 0) {
        if (self) self.#backoffMs = 0;
        onAccept(res, peer);
        return;
      }
      if (self && !TRANSIENT.has(res)) self.#pause();
      onError?.(res);
    });
    io.register();
    self = new Acceptor(io);
    return self;
  }

  get fd(): number { return this.iofd.fd; }
  /** True while accepting is paused after a persistent error. */
  get paused(): boolean { return this.#timer !== null; }
  /** Stop accepting and close the listening socket. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.iofd.close();
  }
  ref(): this { this.#refed = true; this.iofd.ref(); this.#timer?.ref(); return this; }
  unref(): this { this.#refed = false; this.iofd.unref(); this.#timer?.unref(); return this; }

  #pause(): void {
    if (this.#timer || this.#closed) return;
    this.#backoffMs = Math.min(BACKOFF_MAX_MS, this.#backoffMs ? this.#backoffMs * 2 : BACKOFF_MIN_MS);
    this.iofd.unregister();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#closed) this.iofd.register();
    }, this.#backoffMs);
    if (!this.#refed) this.#timer.unref();
  }
}
