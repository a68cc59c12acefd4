// The measurement window every datagram receiver keeps: data datagrams of the blaster's size are counted from
// the first one to the first 4-byte "ENDM" end marker, which reports {"event":"udp_done"} once; late data after it
// is not part of the window. One copy of this protocol for dgram-recv.js, osmo-udp-recv.js and ns-recv.js.

import { send } from './control.js';

export class ReceiveWindow {
  msgs = 0;
  bytes = 0;
  bad = 0;
  markers = 0;
  done = false;
  #firstNs = 0n;
  #lastNs = 0n;

  /** True if `msg` (res bytes) is the end marker, which this takes. */
  marker(/** @type {number} */ res, /** @type {Buffer} */ msg) {
    if (res !== 4 || msg.toString('latin1', 0, 4) !== 'ENDM') return false;
    this.markers++;
    if (!this.done && this.msgs > 0) {
      this.done = true;
      this.#lastNs = process.hrtime.bigint();
      send({ event: 'udp_done', msgs: this.msgs, seconds: this.seconds });
    }
    return true;
  }

  /** Counts one data message of `len` bytes; false once the window is closed (the caller drops it). */
  data(/** @type {number} */ len) {
    if (this.done) return false;
    if (this.msgs === 0) this.#firstNs = process.hrtime.bigint();
    this.msgs++;
    this.bytes += len;
    return true;
  }

  get seconds() {
    return this.done ? Number(this.#lastNs - this.#firstNs) / 1e9 : null;
  }

  /** the counters for the control channel's `stats` answer */
  stats() {
    return { msgs: this.msgs, bytes: this.bytes, bad: this.bad, markers: this.markers, done: this.done, seconds: this.seconds };
  }
}
