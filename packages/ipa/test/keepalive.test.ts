import { expect } from 'chai';
import { IpaKeepalive } from '../src/keepalive.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ipa keepalive FSM', () => {
  it('INIT -> WAIT_RESP (PING) -> IDLE on PONG -> WAIT_RESP after the interval', async () => {
    let pings = 0;
    let timeouts = 0;
    const ka = new IpaKeepalive({ interval: 30, timeout: 200, sendPing: () => pings++, onTimeout: () => timeouts++ });
    expect(ka.state).to.equal('INIT');
    ka.start();
    expect(ka.state).to.equal('WAIT_RESP');
    expect(pings).to.equal(1);
    ka.pongReceived();
    expect(ka.state).to.equal('IDLE');
    ka.pongReceived(); // a PONG without an outstanding PING changes nothing
    expect(ka.state).to.equal('IDLE');
    await sleep(80);
    expect(ka.state).to.equal('WAIT_RESP');
    expect(pings).to.equal(2);
    ka.stop();
    expect(ka.state).to.equal('INIT');
    await sleep(250);
    expect(timeouts).to.equal(0);
  });

  it('no PONG: back to INIT, then the timeout callback, once', async () => {
    const seen: string[] = [];
    const ka: IpaKeepalive = new IpaKeepalive({
      interval: 1000, timeout: 40, sendPing: () => seen.push('ping'), onTimeout: () => seen.push(`timeout in ${ka.state}`),
    });
    ka.start();
    ka.start(); // already running: no second PING
    await sleep(120);
    expect(seen).to.deep.equal(['ping', 'timeout in INIT']);
    expect(ka.state).to.equal('INIT');
  });

  it('rejects nonsense parameters', () => {
    expect(() => new IpaKeepalive({ interval: 0, timeout: 1, sendPing: () => {}, onTimeout: () => {} })).to.throw(RangeError);
    expect(() => new IpaKeepalive({ interval: 1, timeout: NaN, sendPing: () => {}, onTimeout: () => {} })).to.throw(RangeError);
  });
});
