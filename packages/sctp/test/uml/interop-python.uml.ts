/** Our SNDINFO/RCVINFO encoding checked by someone else's: a Python peer with hand-packed SCTP cmsgs. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { getBackend } from '@osmo/io';
import { SctpClient } from '../../src/index.js';
import { collect, requireSctp, withTimeout } from './helpers.js';

describe(`@osmo/sctp against a Python socket peer (${getBackend()})`, function () {
  before(function () { requireSctp(this); });

  it('sends and receives with the PPID and stream the other side packs and unpacks', async () => {
    const py = spawn('/usr/bin/python3', [fileURLToPath(new URL('./peer.py', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: py.stdout! });
    const it = lines[Symbol.asyncIterator]();
    const next = async () => JSON.parse((await withTimeout(it.next(), 10000, 'python line')).value as string);
    const first = (await withTimeout(it.next(), 10000, 'python port')).value as string;
    const port = Number(first.split(' ')[1]);
    const cli = new SctpClient({ remote: [{ address: '127.0.0.1', port }], streams: { out: 8, in: 8 } });
    cli.open();
    await withTimeout(once(cli, 'connect'), 5000, 'connect');
    try {
      const replies = collect(cli, 3);
      cli.send(Buffer.from('abc'), { ppid: 3, stream: 0 });
      cli.send(Buffer.from('hello'), { ppid: 46, stream: 2 });
      cli.send(Buffer.from('xyz'), { ppid: 0x7fffffff, stream: 6 });
      expect(await next()).to.deep.equal({ data: 'abc', ppid: 3, stream: 0 });
      expect(await next()).to.deep.equal({ data: 'hello', ppid: 46, stream: 2 });
      expect(await next()).to.deep.equal({ data: 'xyz', ppid: 0x7fffffff, stream: 6 });
      const got = (await replies).map(([d, r]) => [d.toString(), r.ppid, r.stream]);
      expect(got).to.deep.equal([['cba', 4, 1], ['olleh', 47, 3], ['zyx', 0x80000000, 7]]);
      cli.send(Buffer.from('bye'), { ppid: 1 });
      await next();
      await withTimeout(once(py, 'exit'), 5000, 'python exit');
    } finally { cli.close(); py.kill(); }
  });
});
