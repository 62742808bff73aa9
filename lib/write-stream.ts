/** A Writable of raw Annex B bytes in any chunking, stored as access units. */
import { Writable } from 'node:stream';
import type { FragmentedIngestTrackStats, NativeFragmentedIngest, NativeIngest } from './binding.js';
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

export interface FragmentedWriteStreamOptions {
  /** Track name → store stream. Default: each track goes to the stream of its own name;
   *  tracks no stream is named after are ignored (and listed in stats). */
  tracks?: Record<string, string>;
  /** The capture time of media time 0, for streams that carry no `prft` box (ringclip's
   *  own streams do; then times are exact to the µs). Default: the init segment's creation
   *  time (whole seconds). */
  origin?: TimeInput;
  /** Skip samples at or before what a stream already holds (default true): a stream
   *  resumed after a disconnect starts again at a key frame already stored. */
  skipStored?: boolean;
}

export interface FragmentedWriteStats {
  fragments: number;
  /** tracks of the stream that are not H.264 (audio, metadata): not stored */
  skippedTracks: number;
  /** the times came from the stream's prft boxes (exact to the µs) */
  exactTime: boolean;
  tracks: FragmentedIngestTrackStats[];
}

/**
 * A fragmented MP4 byte stream (init segment, then moof+mdat fragments, in any chunking)
 * into a store, sample by sample, without an Annex B round trip: push() hands each chunk
 * to the native reader, which stores every sample its fragments complete. What reached
 * the store before a bad fragment stays stored; after an error nothing more is accepted.
 */
export class FragmentedIngest {
  #ingest: NativeFragmentedIngest;
  #store: SegmentStore;

  constructor(store: SegmentStore, ingest: NativeFragmentedIngest) {
    this.#store = store;
    this.#ingest = ingest;
  }

  /** Stores the samples of every fragment the chunk completes. */
  push(chunk: Uint8Array): void {
    try {
      this.#ingest.push(chunk);
    } finally {
      this.#store.drainEvents();
    }
  }

  /** The stream ended: throws when it ended inside a box. */
  finish(): void {
    this.#ingest.finish();
  }

  /** Per track: stored, skipped (already held), dropped; decode times seen. */
  get stats(): FragmentedWriteStats {
    const raw = this.#ingest.stats();
    const names = this.#store.streams;
    return { ...raw, tracks: raw.tracks.map((t) => ({ ...t, stream: t.stream >= 0 ? names[t.stream]! : null })) };
  }
}

/** FragmentedIngest as a Writable. */
export class FragmentedWriteStream extends Writable {
  readonly ingest: FragmentedIngest;

  constructor(ingest: FragmentedIngest) {
    super({ decodeStrings: true });
    this.ingest = ingest;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.ingest.push(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.ingest.finish();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  get stats(): FragmentedWriteStats {
    return this.ingest.stats;
  }
}
