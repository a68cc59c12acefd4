/**
 * The event batch: one loop iteration may complete far more events than the EV_CAPACITY (8,192) records JS
 * shares with the addon. The records stay in C until the core has finished (JS is never called from inside
 * the core's drain, where a callback could pull a read buffer from under the segmentation loop), then JS gets
 * them EV_CAPACITY at a time, in order.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { IoFd, getBackend, lengthPrefixSegmentation, socketpair, stats } from '@osmo/io';

const EV_CAPACITY = 8192;

describe(`event batch (${getBackend()})`, () => {
  it('20,000 frames in one drain: delivered in order, 8,192 per call, after the core produced all of them', async () => {
    const n = 20000;
    // 3-byte frames: a 1-byte length (2), then the frame's number; 60,000 bytes fit in one read
    const frames = Buffer.alloc(3 * n);
    for (let i = 0; i < n; i++) { frames[3 * i] = 2; frames.writeUInt16BE(i, 3 * i + 1); }
    const [a, b] = socketpair('stream');
    expect(fs.writeSync(a, frames)).to.equal(frames.length);

    const got: number[] = [];
    const queued: number[] = []; // records held in C when frame i was delivered
    const call: number[] = [];   // which onEvents call of this drain delivered frame i
    let all: () => void;
    const done = new Promise<void>((resolve) => { all = resolve; });
    let d0 = 0;
    const io = IoFd.setup(b, 'batch', 'read_write', {
      segmentationCb: lengthPrefixSegmentation({ headerLen: 1, lengthOffset: 0, lengthBytes: 1, lengthAdjust: 1 }),
      readCb: (_i, res, msg) => {
        if (res <= 0) return;
        const s = stats();
        got.push(msg.readUInt16BE(1));
        queued.push(s.eventsQueued);
        call.push(s.dispatches - d0);
        if (got.length === n) all();
      },
    });
    io.setAllocInfo(65000, 0);
    try {
      d0 = stats().dispatches;
      io.register();
      await done;
    } finally {
      io.close();
      fs.closeSync(a);
    }
    expect(got.length).to.equal(n);
    const outOfOrder = got.findIndex((v, i) => v !== i);
    expect(outOfOrder, `frame ${outOfOrder} is ${got[outOfOrder]}`).to.equal(-1);
    // one drain made all 20,000 records before JS heard of the first
    expect(queued[0]).to.equal(n);
    expect(queued.every((q) => q === n)).to.equal(true);
    // handed over EV_CAPACITY at a time: calls 1, 2 and 3 of the same dispatch
    const expectedCall = (i: number): number => Math.floor(i / EV_CAPACITY) + 1;
    const wrong = call.findIndex((c, i) => c !== expectedCall(i));
    expect(wrong, `frame ${wrong} came in call ${call[wrong]}`).to.equal(-1);
  });
});
