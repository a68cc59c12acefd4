/**
 * open() of IpaServer and IpaClient (docs/design.md §5): both return nothing. A server that cannot listen throws the
 * OsmoIoSystemError at once; a client's attempt that the kernel refuses at once is reported after open() returned,
 * as 'connectError', exactly like a refusal that comes later, and then retried.
 */
import { expect } from 'chai';
import os from 'node:os';
import path from 'node:path';
import { OsmoIoSystemError, type NetError } from '@osmo/io';
import { IpaClient } from '../src/client.js';
import { IpaServer } from '../src/server.js';
import { backendName, once, turns } from './util.js';

const nextTick = (): Promise<void> => new Promise((r) => process.nextTick(r));

describe(`IpaServer / IpaClient open() (backend ${backendName()})`, function () {
  const closers: Array<() => void> = [];
  afterEach(() => { for (const c of closers.splice(0)) c(); });

  it('IpaServer.open() on a busy port throws OsmoIoSystemError EADDRINUSE at once', () => {
    const a = new IpaServer({ address: '127.0.0.1', port: 0 });
    expect(a.open()).to.equal(undefined);
    closers.push(() => a.close());
    const b = new IpaServer({ address: '127.0.0.1', port: a.port });
    let err: unknown;
    try { b.open(); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(OsmoIoSystemError);
    const e = err as OsmoIoSystemError;
    expect([e.code, e.errno, e.syscall, e.address, e.port])
      .to.deep.equal(['EADDRINUSE', -os.constants.errno.EADDRINUSE, 'bind', '127.0.0.1', a.port]);
  });

  it("IpaClient.open() returns nothing; a refusal at once is a later 'connectError', then a retry", async () => {
    const p = path.join(os.tmpdir(), `osmo-ipa-open-${process.pid}.sock`);
    const cli = new IpaClient({ proto: 'unix', path: p, reconnectTimeout: 5 });
    closers.push(() => cli.destroy());
    const errors: NetError[] = [];
    cli.on('connectError', (err: NetError) => errors.push(err));
    expect(cli.open()).to.equal(undefined);
    expect(errors).to.deep.equal([]);
    await nextTick();
    expect(errors).to.have.length(1);
    expect([errors[0]!.code, errors[0]!.errno, errors[0]!.syscall, errors[0]!.address])
      .to.deep.equal(['ENOENT', -os.constants.errno.ENOENT, 'connect', p]);
    expect(cli.lastError).to.equal(errors[0]);
    expect(cli.stream.state).to.equal('WAIT_RECONNECT');
    const [again] = await once<[NetError]>(cli, 'connectError');
    expect(again.code).to.equal('ENOENT');
  });

  it('IpaClient.close() right after open(): the refusal at once is not reported', async () => {
    const p = path.join(os.tmpdir(), `osmo-ipa-open-${process.pid}-b.sock`);
    const cli = new IpaClient({ proto: 'unix', path: p, reconnectTimeout: 5 });
    closers.push(() => cli.destroy());
    let errors = 0;
    cli.on('connectError', () => { errors++; });
    cli.open();
    cli.close();
    await turns();
    expect(errors).to.equal(0);
    expect(cli.stream.state).to.equal('CLOSED');
  });
});
