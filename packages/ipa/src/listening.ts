/**
 * Whether anyone listens to an emitter's 'message' event, known without a lookup in its listener table.
 *
 * An EventEmitter keeps its listeners in a dictionary-mode object; emit() looks the event up there even when
 * nobody listens. With hundreds of links every link's table is cold, and that lookup was one of the largest
 * JS costs per received frame. The count follows the emitter's own public 'newListener' / 'removeListener'
 * events, so on/once/prepend/off/removeAllListeners all keep it right.
 */
import type { EventEmitter } from 'node:events';

const kCount = Symbol('messageListeners');

interface Tracked {
  [kCount]: number;
}

function added(this: Tracked, event: string | symbol): void {
  if (event === 'message') this[kCount]++;
}

function removed(this: Tracked, event: string | symbol, listener: unknown): void {
  if (event === 'message') this[kCount]--;
  // the tracker itself went (removeAllListeners()): from now on, always emit
  else if (event === 'newListener' && listener === added) this[kCount] = Infinity;
}

/** Starts counting the 'message' listeners of `emitter` (call once, in its constructor). */
export function trackMessageListeners(emitter: EventEmitter): void {
  const t = emitter as unknown as Tracked;
  t[kCount] = emitter.listenerCount('message');
  emitter.on('newListener', added);
  emitter.on('removeListener', removed);
}

/** false only when no one listens to 'message' (then emitting it can be skipped) */
export function hasMessageListeners(emitter: EventEmitter): boolean {
  return (emitter as unknown as Tracked)[kCount] !== 0;
}
