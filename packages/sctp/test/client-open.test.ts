/**
 * SctpClient.open() on the host (no association needed): it returns nothing; an attempt the kernel refuses at once is
 * reported after open() returned, as 'disconnect' (-errno) like a later refusal, then retried; close()/destroy()
 * before that report win; bad options throw. The refusal at once is EPROTONOSUPPORT on a kernel without SCTP, else
 * EADDRNOTAVAIL (the local address 192.0.2.1, TEST-NET-1, is on no interface).
 */
import { expect } from 'chai';
import os from 'node:os';
import { sock } from '@osmo/io';
import { SctpClient, sctp } from '../src/index.js';
import { turns } from '../../io/test/loop.js';

const E = os.constants.errno;

function kernelHasSctp(): boolean {
  try {
    sock.close(sctp.socket({ type: 'stream' }));
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'EPROTONOSUPPORT') return false;
    throw e;
  }
}

const nextTick = (): Promise<void> => new Promise((r) => process.nextTick(r));

describe(`SctpClient.open() (backend ${process.env.OSMO_IO_BACKEND ?? 'default'})`, function () {
  const refused = kernelHasSctp() ? -E.EADDRNOTAVAIL : -E.EPROTONOSUPPORT;
  const clients: SctpClient[] = [];
  afterEach(() => { for (const c of clients.splice(0)) c.destroy(); });

  function failing(events: string[], reconnectTimeout = -1): SctpClient {
    const cli = new SctpClient({
      remote: [{ address: '127.0.0.1', port: 9 }], local: [{ address: '192.0.2.1', port: 0 }], reconnectTimeout,
    });
    cli.on('connect', () => events.push('connect'));
    cli.on('disconnect', (res: number) => events.push(`disconnect:${res}:${cli.state}`));
    clients.push(cli);
    return cli;
  }

  it('returns nothing; a refusal at once arrives as disconnect (-errno) after open() returned', async () => {
    const events: string[] = [];
    const cli = failing(events);
    expect(cli.open()).to.equal(undefined);
    expect(events).to.deep.equal([]);
    expect(cli.state).to.equal('CONNECTING');
    await nextTick();
    expect(events).to.deep.equal([`disconnect:${refused}:CLOSED`]);
    await turns();
    expect(events).to.have.length(1);
    expect(cli.state).to.equal('CLOSED');
  });

  it('with a reconnect timeout the refused attempt is retried (each one reported the same way)', async () => {
    const events: string[] = [];
    const cli = failing(events, 1);
    cli.open();
    await nextTick();
    expect(events).to.deep.equal([`disconnect:${refused}:CLOSED`]);
    expect(cli.state).to.equal('WAIT_RECONNECT');
    await new Promise<void>((resolve) => cli.once('disconnect', () => resolve()));
    expect(events).to.deep.equal([`disconnect:${refused}:CLOSED`, `disconnect:${refused}:CLOSED`]);
  });

  it('close() or destroy() right after open(): nothing is reported', async () => {
    const events: string[] = [];
    const a = failing(events, 1);
    a.open();
    a.close();
    const b = failing(events, 1);
    b.open();
    b.destroy();
    await turns();
    expect(events).to.deep.equal([]);
    expect([a.state, b.state]).to.deep.equal(['CLOSED', 'CLOSED']);
  });

  it('open() while the refusal is pending is a no-op: one report', async () => {
    const events: string[] = [];
    const cli = failing(events);
    cli.open();
    cli.open();
    await turns();
    expect(events).to.deep.equal([`disconnect:${refused}:CLOSED`]);
  });

  it('bad options and open() after destroy() throw at once', () => {
    const bad = new SctpClient({ remote: [{ address: 'not-an-address', port: 1 }] });
    clients.push(bad);
    expect(() => bad.open()).to.throw(TypeError).with.property('code', 'ERR_INVALID_ARG_VALUE');
    expect(bad.state).to.equal('CLOSED');
    const gone = new SctpClient({ remote: [{ address: '127.0.0.1', port: 1 }] });
    gone.destroy();
    expect(() => gone.open()).to.throw(Error).with.property('code', 'ERR_OSMO_STREAM_DESTROYED');
  });
});
