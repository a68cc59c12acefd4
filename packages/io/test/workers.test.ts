/**
 * worker_threads: every Node environment has its own osmo-io instance (ctx, io_uring ring and eventfd, libuv
 * handles, slots, event batch), kept as its N-API instance data; an environment's cleanup hook frees it.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IoFd, getBackend, socketpair, stats } from '@osmo/io';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

/** io_uring instances this process holds (each osmo-io ctx on io_uring has one). */
function rings(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[io_uring]') n++;
    } catch { /* the fd of readdir itself, closed meanwhile */ }
  }
  return n;
}

interface Done { done: true; bytes: number; backend: string; reads: number }

/** A worker running fixtures/worker-ring.ts on fd; resolves once it is registered. */
function startWorker(fd: number, id: number): Promise<{ worker: Worker; done: Promise<Done>; exit: Promise<number> }> {
  const worker = new Worker(path.join(here, 'fixtures', 'worker-boot.mjs'), {
    workerData: { fd, id, script: pathToFileURL(path.join(here, 'fixtures', 'worker-ring.ts')).href },
    execArgv: ['--conditions=source'],
  });
  const exit = new Promise<number>((resolve) => worker.once('exit', resolve));
  let onDone: (d: Done) => void;
  const done = new Promise<Done>((resolve) => { onDone = resolve; });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { ready?: boolean; done?: boolean }) => {
      if (m.ready) resolve({ worker, done, exit });
      else if (m.done) onDone(m as Done);
    });
  });
}

/** An IoFd that collects what comes back on fd; `until(n)` resolves once n bytes came. */
function collector(fd: number, name: string): { io: IoFd; text: () => string; until: (n: number) => Promise<void> } {
  let got = '';
  let want = Infinity;
  let wake: (() => void) | null = null;
  const io = IoFd.setup(fd, name, 'read_write', {
    readCb: (_i, res, msg) => {
      if (res <= 0) return;
      got += msg.toString();
      if (got.length >= want && wake) { wake(); wake = null; }
    },
  });
  io.register();
  return {
    io,
    text: () => got,
    until: (n) => new Promise<void>((resolve) => {
      if (got.length >= n) return resolve();
      want = n;
      wake = resolve;
    }),
  };
}

describe(`worker_threads (${getBackend()})`, () => {
  it('two workers echo on their own rings, concurrently with the main thread, then exit and free them', async () => {
    stats(); // the main thread's instance exists before counting
    const rings0 = rings();
    const pairs = [socketpair('stream'), socketpair('stream')];
    const workers = await Promise.all(pairs.map(([, w], id) => startWorker(w, id)));
    // each environment has its own ctx: on io_uring, one more ring per worker
    expect(rings() - rings0).to.equal(getBackend() === 'io_uring' ? 2 : 0);

    const toWorkers = pairs.map(([m], id) => collector(m, `to-worker-${id}`));
    // the main thread's own echo pair on its own ring, at the same time
    const [ea, eb] = socketpair('stream');
    const echo = IoFd.setup(eb, 'main-echo', 'read_write', { readCb: (i, res, m) => { if (res > 0) i.write(m); } });
    echo.register();
    const toMain = collector(ea, 'to-main');

    let want = '';
    for (let i = 0; i < 300; i++) {
      const s = `[${i}]`;
      want += s;
      for (const c of [...toWorkers, toMain]) c.io.write(Buffer.from(s));
      // let the echoes run while more is written
      if (i % 50 === 49) await Promise.all([...toWorkers, toMain].map((c) => c.until(want.length)));
    }
    await Promise.all([...toWorkers, toMain].map((c) => c.until(want.length)));
    for (const c of [...toWorkers, toMain]) expect(c.text()).to.equal(want);

    // EOF: each worker closes its IoFd, reports, and exits by itself (nothing else keeps it alive)
    for (const c of toWorkers) c.io.close();
    const done = await Promise.all(workers.map((w) => w.done));
    for (const d of done) {
      expect(d).to.include({ bytes: want.length, backend: getBackend() });
      expect(d.reads).to.be.at.least(1);
    }
    expect(await Promise.all(workers.map((w) => w.exit))).to.deep.equal([0, 0]);
    // their cleanup hooks freed their ctx: their rings are gone, the main thread's is still there
    expect(rings()).to.equal(rings0);

    // the main thread's instance still works after the workers' teardown
    echo.write(Buffer.from('after'));
    await toMain.until(want.length + 5);
    expect(toMain.text().slice(want.length)).to.equal('after');
    echo.close();
    toMain.io.close();
  });

  it('the process exits cleanly while two workers and the main thread have reads in flight', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', path.join(here, 'fixtures', 'workers-exit.ts')],
                        { cwd: root, env: { ...process.env, OSMO_IO_BACKEND: getBackend() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    expect({ code, signal, out }, err).to.deep.equal({ code: 0, signal: null, out: 'echoed\n' });
  });
});
