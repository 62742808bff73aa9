/**
 * The device's virtual clock. Time advances only as the simulation runs; a pacer keeps
 * it at a chosen multiple of real time (or as fast as the machine goes), while every
 * timestamp reads as if the device ran in real time.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class VirtualClock {
  /** µs since the epoch */
  #now: number;
  constructor(startUs: number) {
    this.#now = Math.round(startUs);
  }
  now(): number {
    return this.#now;
  }
  /** Moves the clock forward (never back). */
  advanceTo(us: number): void {
    if (us > this.#now) this.#now = Math.round(us);
  }
  toDate(): Date {
    return new Date(Math.floor(this.#now / 1000));
  }
}

/** Keeps virtual time at `speed` x real time; `Infinity` runs flat out (still yielding to I/O). */
export class Pacer {
  #realStart = performance.now();
  #virtStart: number;
  #lastYield = performance.now();
  constructor(
    readonly speed: number,
    virtStartUs: number,
  ) {
    if (!(speed > 0)) throw new RangeError(`speed must be above 0 (Infinity: as fast as possible), got ${speed}`);
    this.#virtStart = virtStartUs;
  }
  /** Waits until real time catches up with `virtUs`; yields to the event loop at least every 20 ms. */
  async wait(virtUs: number): Promise<void> {
    const dueMs = (virtUs - this.#virtStart) / 1000 / this.speed;
    const ahead = dueMs - (performance.now() - this.#realStart);
    if (ahead > 1) {
      await sleep(Math.min(ahead, 50));
      this.#lastYield = performance.now();
    } else if (performance.now() - this.#lastYield > 20) {
      await new Promise((r) => setImmediate(r));
      this.#lastYield = performance.now();
    }
  }
}
