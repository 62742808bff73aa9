/** A protection: footage kept from being overwritten until released. Kept in the file. */
import type { SegmentStore } from './segment-store.js';

export class Protection {
  #store: SegmentStore;
  #released = false;
  constructor(
    store: SegmentStore,
    readonly id: number,
    readonly from: number,
    readonly to: number,
    readonly bytes?: number,
  ) {
    this.#store = store;
  }
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#store.releaseProtection(this.id);
  }
  [Symbol.dispose](): void {
    this.release();
  }
}
