import { expect } from 'chai';
import { IpaKeepalive } from '../src/keepalive.js';
import { IpaRangeError, IpaTypeError } from '../src/errors.js';
import { FakeClock } from '../../io/test/fake-clock.js';

describe('ipa keepalive FSM (manual clock)', () => {
  it('INIT -> WAIT_RESP (PING) -> IDLE on PONG -> WAIT_RESP exactly one interval later', () => {
    const timers = new FakeClock();
    let pings = 0;
    let timeouts = 0;
    const ka = new IpaKeepalive({ interval: 30, timeout: 200, timers, sendPing: () => pings++, onTimeout: () => timeouts++ });
    expect(ka.state).to.equal('INIT');
    ka.start();
    expect([ka.state, pings, timers.pending]).to.deep.equal(['WAIT_RESP', 1, 1]);
    ka.pongReceived();
    expect([ka.state, timers.pending]).to.deep.equal(['IDLE', 1]); // the pong timer gave way to the interval timer
    ka.pongReceived(); // a PONG without an outstanding PING changes nothing
    expect(ka.state).to.equal('IDLE');
    timers.tick(29);
    expect([ka.state, pings]).to.deep.equal(['IDLE', 1]);
    timers.tick(1);
    expect([ka.state, pings]).to.deep.equal(['WAIT_RESP', 2]);
    ka.stop();
    expect([ka.state, timers.pending]).to.deep.equal(['INIT', 0]);
    timers.tick(10_000);
    expect([pings, timeouts]).to.deep.equal([2, 0]);
  });

  it('no PONG: back to INIT exactly at the timeout, then the timeout callback, once', () => {
    const timers = new FakeClock();
    const seen: string[] = [];
    const ka: IpaKeepalive = new IpaKeepalive({
      interval: 1000, timeout: 40, timers,
      sendPing: () => seen.push(`ping at ${timers.now}`), onTimeout: () => seen.push(`timeout in ${ka.state} at ${timers.now}`),
    });
    ka.start();
    ka.start(); // already running: no second PING
    timers.tick(39);
    expect(seen).to.deep.equal(['ping at 0']);
    timers.tick(1);
    expect(seen).to.deep.equal(['ping at 0', 'timeout in INIT at 40']);
    timers.tick(10_000);
    expect(seen).to.have.length(2);
    expect([ka.state, timers.pending]).to.deep.equal(['INIT', 0]);
  });

  it('PONGs in time keep it cycling: one PING per interval + round trip, never a timeout', () => {
    const timers = new FakeClock();
    const pingsAt: number[] = [];
    let timeouts = 0;
    const ka = new IpaKeepalive({ interval: 100, timeout: 50, timers, sendPing: () => pingsAt.push(timers.now), onTimeout: () => timeouts++ });
    ka.start();
    for (let i = 0; i < 5; i++) {
      timers.tick(10); // the PONG takes 10 ms
      ka.pongReceived();
      timers.tick(100);
    }
    expect(pingsAt).to.deep.equal([0, 110, 220, 330, 440, 550]);
    expect([timeouts, ka.state]).to.deep.equal([0, 'WAIT_RESP']);
  });

  it('a restart after a timeout sends a new PING and arms a new pong timer', () => {
    const timers = new FakeClock();
    let pings = 0;
    let timeouts = 0;
    const ka = new IpaKeepalive({ interval: 10, timeout: 20, timers, sendPing: () => pings++, onTimeout: () => timeouts++ });
    ka.start();
    timers.tick(20);
    expect([ka.state, pings, timeouts]).to.deep.equal(['INIT', 1, 1]);
    ka.start();
    expect([ka.state, pings, timers.pending]).to.deep.equal(['WAIT_RESP', 2, 1]);
  });

  it('rejects nonsense parameters with a code', () => {
    const cb = { sendPing: () => {}, onTimeout: () => {} };
    expect(() => new IpaKeepalive({ interval: 0, timeout: 1, ...cb })).to.throw(IpaRangeError).with.property('code', 'ERR_OUT_OF_RANGE');
    expect(() => new IpaKeepalive({ interval: 1, timeout: NaN, ...cb })).to.throw(RangeError).with.property('code', 'ERR_OUT_OF_RANGE');
    expect(() => new IpaKeepalive({ interval: '5' as never, timeout: 1, ...cb })).to.throw(IpaTypeError).with.property('code', 'ERR_INVALID_ARG_TYPE');
  });
});
