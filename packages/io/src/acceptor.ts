/**
 * Acceptor: hands out the connections of a listening socket. The core accepts (poll: accept4 loop on
 * readiness; io_uring: ACCEPT operations), so accepting costs no extra JS calls or polls.
 */
import { IoFd } from './iofd.js';
import { checkInt, OsmoIoTypeError } from './errors.js';
import type { SockAddr } from './types.js';

export class Acceptor {
  private constructor(private readonly iofd: IoFd) {}

  /** Start accepting on listening socket fd; onAccept gets each new fd (O_NONBLOCK, O_CLOEXEC). */
  static open(fd: number, name: string, onAccept: (fd: number, peer: SockAddr | null) => void,
              onError?: (res: number) => void): Acceptor {
    checkInt('fd', fd, 0, 0x7fffffff);
    if (typeof onAccept !== 'function') throw new OsmoIoTypeError('ERR_INVALID_ARG_TYPE', 'onAccept must be a function');
    const io = IoFd._setupAccept(fd, name, (res, peer) => {
      if (res >= 0) onAccept(res, peer);
      else onError?.(res);
    });
    io.register();
    return new Acceptor(io);
  }

  get fd(): number { return this.iofd.fd; }
  /** Stop accepting and close the listening socket. */
  close(): void { this.iofd.close(); }
  ref(): this { this.iofd.ref(); return this; }
  unref(): this { this.iofd.unref(); return this; }
}
