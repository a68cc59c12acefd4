import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { hasMessageListeners, trackMessageListeners } from '../src/listening.js';

function tracked(): EventEmitter {
  const e = new EventEmitter();
  trackMessageListeners(e);
  return e;
}

describe('message listener tracking (emit skipped only when no one listens)', () => {
  it('follows on / off / once / prepend', () => {
    const e = tracked();
    const f = (): void => {};
    expect(hasMessageListeners(e)).to.equal(false);
    e.on('message', f);
    expect(hasMessageListeners(e)).to.equal(true);
    e.off('message', f);
    expect(hasMessageListeners(e)).to.equal(false);
    e.once('message', f);
    expect(hasMessageListeners(e)).to.equal(true);
    e.emit('message');
    expect(hasMessageListeners(e)).to.equal(false);
    e.prependListener('message', f);
    e.prependOnceListener('message', f);
    e.on('other', f);
    expect(hasMessageListeners(e)).to.equal(true);
    e.removeAllListeners('message');
    expect(hasMessageListeners(e)).to.equal(false);
    expect(e.listenerCount('other')).to.equal(1);
  });

  it('counts listeners added before tracking started', () => {
    const e = new EventEmitter();
    e.on('message', () => {});
    trackMessageListeners(e);
    expect(hasMessageListeners(e)).to.equal(true);
  });

  it('after removeAllListeners() it no longer knows, so it always emits', () => {
    const e = tracked();
    e.on('message', () => {});
    e.removeAllListeners();
    let got = 0;
    e.on('message', () => got++);
    expect(hasMessageListeners(e)).to.equal(true);
    e.removeAllListeners('message');
    expect(hasMessageListeners(e)).to.equal(true); // untracked: the safe answer
    e.on('message', () => got++);
    e.emit('message');
    expect(got).to.equal(1);
  });
});
