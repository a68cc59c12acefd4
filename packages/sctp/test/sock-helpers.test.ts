/** The @osmo/io socket helpers @osmo/sctp builds on (host, over TCP): sock.listen and sock.sockoptBuf. */
import { expect } from 'chai';
import net from 'node:net';
import { sock, errno } from '@osmo/io';

describe('@osmo/io sock.listen / sock.sockoptBuf (used by @osmo/sctp)', () => {
  it('listen() on a socket set up step by step accepts connections; errors are -errno, not exceptions', async () => {
    const fd = sock.inet({ proto: 'tcp', local: { address: '127.0.0.1', port: 0 } });
    try {
      expect(sock.listen(fd, 16)).to.equal(0);
      const port = (sock.localAddress(fd) as { port: number }).port;
      await new Promise<void>((resolve, reject) => { const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(); }); c.on('error', reject); });
    } finally { sock.close(fd); }
    expect(sock.listen(fd, 16)).to.equal(-errno.EBADF);
    expect(() => sock.listen(fd, 0)).to.throw(RangeError);
  });

  it('sockoptBuf() gets through an in/out buffer and sets; refusals come back as -errno', () => {
    const fd = sock.inet({ proto: 'tcp' });
    try {
      const b = Buffer.alloc(4);
      b.writeInt32LE(65536);
      expect(sock.sockoptBuf(fd, 1 /* SOL_SOCKET */, 8 /* SO_RCVBUF */, b, false)).to.equal(0);
      const out = Buffer.alloc(8);
      expect(sock.sockoptBuf(fd, 1, 8, out, true)).to.equal(4);
      expect(out.readInt32LE(0)).to.equal(131072); // the kernel doubles it
      expect(sock.sockoptBuf(fd, 6 /* IPPROTO_TCP */, 9999, b, false)).to.equal(-92); // ENOPROTOOPT
      expect(() => sock.sockoptBuf(fd, 1, 8, 'x' as never, true)).to.throw(TypeError);
    } finally { sock.close(fd); }
  });
});
