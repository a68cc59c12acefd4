/**
 * The batch-wait policy of the dispatch rounds (src/addon/uv_loop.cc, BatchWait): after a round that handled two
 * or more events the next io_uring_enter waits (up to OSMO_IO_URING_BATCH_WAIT_US) for as many completions again;
 * a lone request/response never waits; a wait that runs out suspends waiting for 1, 2, 4 ... 64 loop iterations.
 * First the policy itself, on a script (the addon's test binding runs the very code the loop runs), then on a
 * real loop through stats().
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { IoFd, getBackend, lengthPrefixSegmentation, socketpair, stats } from '@osmo/io';
import { native } from '../src/native.js';

interface PolicyBinding { batchWaitPolicy(ops: Int32Array, waitUs: number): Int32Array }
const policy = (native() as unknown as PolicyBinding).batchWaitPolicy;

// script steps: a new loop iteration, or a round that dispatched n events (and, if the policy waits, whether
// the completions it waited for came)
const ITER = -1;
const round = (n: number, got = false): number => 2 * n + (got ? 1 : 0);
const run = (ops: number[], waitUs = 50): number[] => Array.from(policy(Int32Array.from(ops), waitUs));

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(`batch-wait policy (${getBackend()})`, () => {
  describe('the policy', () => {
    it('a lone request/response never waits', () => {
      const ops: number[] = [];
      for (let i = 0; i < 20; i++) ops.push(ITER, round(1), round(1), round(0));
      expect(run(ops).filter((_, i) => ops[i] !== ITER)).to.deep.equal(new Array(60).fill(0));
    });

    it('a stream of events waits for as many completions again, at most 64, while they come', () => {
      expect(run([ITER, round(2, true), round(5, true), round(64, true), round(500, true), round(3, true)]))
        .to.deep.equal([0, 2, 5, 64, 64, 3]);
    });

    it('a wait that runs out backs off 1, 2, 4 ... 64 iterations; a wait that pays off ends the backoff', () => {
      // each iteration: one stream round whose wait (if any) runs out, then a second round
      const ops: number[] = [];
      for (let i = 0; i < 9; i++) ops.push(ITER, round(10), round(10));
      const r = run(ops);
      // iterations in which the policy waited (once each: the round after a run-out never waits)
      const waitedIn: number[] = [];
      for (let it = 0; it < 9; it++) {
        const [skipLeft, first, second] = r.slice(it * 3, it * 3 + 3);
        expect(second, `iteration ${it}: no second wait after a run-out`).to.equal(0);
        if (first) waitedIn.push(it);
        expect(first === 0).to.equal(skipLeft > 0);
      }
      // backoff 1 (rest of iteration 0), 2 (skips iteration 2), 4 (skips 4..6), then 8
      expect(waitedIn).to.deep.equal([0, 1, 3, 7]);

      // capped at 64 iterations
      const long: number[] = [];
      for (let i = 0; i < 400; i++) long.push(ITER, round(10));
      const lr = run(long);
      const gaps: number[] = [];
      let last = -1;
      for (let it = 0; it < 400; it++) if (lr[it * 2 + 1]) { if (last >= 0) gaps.push(it - last); last = it; }
      expect(gaps.slice(0, 8)).to.deep.equal([1, 2, 4, 8, 16, 32, 64, 64]);

      // a wait that pays off resets the backoff: the next run-out starts at 1 again (only the rest of that
      // iteration waits no more), the one after at 2 (the next iteration does not wait)
      expect(run([ITER, round(10), ITER, round(10, true), round(10), ITER, round(10), ITER, round(10)]))
        .to.deep.equal([0, 10, 0, 10, 10, 0, 10, 1, 0]);
    });

    it('OSMO_IO_URING_BATCH_WAIT_US=0 (and the poll backend) never waits', () => {
      expect(run([ITER, round(10), round(100, true), ITER, round(2)], 0)).to.deep.equal([0, 0, 0, 0, 0]);
    });
  });

  describe('on the loop', () => {
    it('a lone request/response exchange never waits', async () => {
      const [a, b] = socketpair('stream');
      let step: (() => void) | null = null;
      const io = IoFd.setup(b, 'echo', 'read_write', {
        readCb: (i, res, m) => { if (res > 0) i.write(m); },
        writeCb: () => { step?.(); },
      });
      io.register();
      try {
        const w0 = stats().batchWaits;
        const reply = Buffer.alloc(16);
        for (let k = 0; k < 50; k++) {
          // the next request only once the reply's write completed: one event per round
          const written = new Promise<void>((resolve) => { step = resolve; });
          fs.writeSync(a, Buffer.from(`req ${k}`));
          await written;
          expect(reply.toString('latin1', 0, fs.readSync(a, reply))).to.equal(`req ${k}`);
        }
        expect(stats().batchWaits - w0).to.equal(0);
      } finally {
        io.close();
        fs.closeSync(a);
      }
    });

    it('a stream of events waits for a batch; that wait runs out when no more come, and backs off', async () => {
      while (stats().batchWaitSkip > 0) await turn(); // a backoff left by an earlier test
      const [a, b] = socketpair('stream');
      const n = 2000;
      const frames = Buffer.alloc(3 * n);
      for (let i = 0; i < n; i++) { frames[3 * i] = 2; frames.writeUInt16BE(i, 3 * i + 1); }
      expect(fs.writeSync(a, frames)).to.equal(frames.length);
      let got = 0;
      let all: () => void;
      const done = new Promise<void>((resolve) => { all = resolve; });
      const io = IoFd.setup(b, 'stream', 'read_write', {
        segmentationCb: lengthPrefixSegmentation({ headerLen: 1, lengthOffset: 0, lengthBytes: 1, lengthAdjust: 1 }),
        readCb: (_i, res) => { if (res > 0 && ++got === n) all(); },
      });
      const s0 = stats();
      io.register();
      let s1: Record<string, number>;
      try {
        await done;
        await turn(); // the check phase that dispatched the last frames has ended
        s1 = stats();
      } finally {
        io.close();
        fs.closeSync(a);
      }
      const waits = s1.batchWaits - s0.batchWaits, out = s1.batchWaitsOut - s0.batchWaitsOut;
      if (getBackend() === 'io_uring') {
        // the rounds carried many frames: the next system call waited for more, which never came
        expect(waits).to.be.at.least(1);
        expect(out).to.be.at.least(1);
        expect(s1.batchWaitBackoff).to.be.at.least(1);
      } else {
        expect({ waits, out }).to.deep.equal({ waits: 0, out: 0 }); // poll has no batch wait
      }
    });
  });
});
