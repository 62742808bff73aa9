/** A Writable of raw Annex B bytes in any chunking, stored as access units. */
import { Writable } from 'node:stream';
import type { NativeIngest } from './binding.js';
import type { SegmentStore } from './segment-store.js';
import type { TimeInput } from './units.js';

export interface WriteStreamOptions {
  /** Frame rate of the input; without it the SPS VUI timing is used, or the stream fails. */
  fps?: number;
  /** Wall-clock time of the first presented frame (default: now). */
  start?: TimeInput;
}

export class AnnexBWriteStream extends Writable {
  #ingest: NativeIngest;
  #store: SegmentStore;
  readonly stream: string;

  constructor(store: SegmentStore, ingest: NativeIngest, stream: string) {
    super({ decodeStrings: true });
    this.#store = store;
    this.#ingest = ingest;
    this.stream = stream;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.#ingest.feed(chunk);
      this.#store.drainEvents();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.#ingest.finish();
      this.#store.drainEvents();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  /** Frames stored, dropped (before the first random access point) and rejected (unparseable). */
  get stats(): { stored: number; dropped: number; rejected: number; fps: number } {
    return this.#ingest.stats();
  }
}
