/**
 * SegmentStore: loop recording of H.264 streams (and the AAC audio and timed metadata
 * recorded with them) into one preallocated, memory-mapped file.
 * This layer validates every argument, converts units, and turns native results into
 * events and objects; the native core does the work.
 */
import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { binding, type NativeStore } from './binding.js';
import { Clip, type ClipOptions } from './clip.js';
import { InvalidArgumentError, OverrunError, StoreClosedError } from './errors.js';
import { follow, liveMP4, type FollowOptions, type LiveFrame, type LiveMP4Options } from './live.js';
import { Protection } from './protection.js';
import { fourccNumber, parseAdts, parseStreamSpecs, type StreamSpec } from './stream-kinds.js';
import type {
  CopyResult,
  StreamKind,
  Frame,
  FrameSpanInfo,
  OverwriteEvent,
  RetentionInfo,
  PrepareStats,
  RecoveryReport,
  StoreInfo,
  VerifyReport,
} from './types.js';
import { withCallerStack } from './caller-stack.js';
import { microsToIso, parseDuration, parseSize, toMicros, type TimeInput } from './units.js';
import type { NativeSampleWriter } from './binding.js';
import {
  AnnexBWriteStream,
  FragmentedIngest,
  FragmentedWriteStream,
  type FragmentedWriteStreamOptions,
  type WriteStreamOptions,
} from './write-stream.js';

export type FlushOption = 'none' | 'keyframe' | { everyMs: number | string };

export interface CreateOptions {
  /** Total file size, fixed for the store's life: bytes or e.g. '4GiB'. */
  capacity: number | string;
  /** 1 to 64 MiB (default '8MiB'). */
  segmentSize?: number | string;
  /**
   * 1 to 16 streams, each a name (1 to 31 bytes) of an H.264 stream, or `{ name, kind }`
   * for an AAC audio or timed-metadata stream, e.g.
   * `['road', 'cabin', { name: 'cabin-audio', kind: 'audio' }, { name: 'telemetry', kind: 'metadata' }]`.
   */
  streams: StreamSpec[];
  /** Largest share of the capacity protections may hold (default 0.3). */
  protectCap?: number;
  /** When to make writes durable on its own (default 'none': only flush()). */
  flush?: FlushOption;
  /** How the writer gets its next segment ready (default 'auto'): see {@link PrepareAhead}. */
  prepareAhead?: PrepareAhead;
}

/**
 * How the writer gets the segment it will write next ready, on a thread of its own, so
 * that the recording thread takes no page fault and never waits for storage
 * (docs/FORMAT.md, "Writing into cold storage").
 * - 'auto': the next segment's pages are made resident ahead of the writer; when it holds
 *   old footage that is not in the page cache (a cold ring), that footage is reclaimed one
 *   segment early (its `overwrite` event comes then) and its blocks are dropped instead of
 *   read back. Rings of fewer than 8 segments never reclaim early.
 * - 'discard': as 'auto', but old footage is always reclaimed early, resident or not (tests).
 * - 'off': the writer faults pages in as it writes.
 */
export type PrepareAhead = 'auto' | 'discard' | 'off';

function prepareAhead(option: PrepareAhead | undefined): number {
  const modes: PrepareAhead[] = ['auto', 'discard', 'off'];
  const mode = option ?? 'auto';
  const n = modes.indexOf(mode);
  if (n < 0)
    throw new InvalidArgumentError(`prepareAhead must be 'auto', 'discard' or 'off', got ${JSON.stringify(option)}`);
  return n;
}

export interface OpenOptions {
  readOnly?: boolean;
  /**
   * 'headers' (default): open reads every record header but CRC-checks payloads only
   * where they may not be durable (the tail after the last flush, and the segments the
   * writer may have been reclaiming); bit rot in older payloads is found by verify().
   * 'full': CRC-check every payload while opening, skipping and reporting damaged
   * records (slower: it reads the whole store).
   */
  verify?: 'headers' | 'full';
  /** Overrides the flush policy stored in the file. */
  flush?: FlushOption;
  /** For a writable open: how the writer gets its next segment ready (default 'auto'). */
  prepareAhead?: PrepareAhead;
}

export interface WriteOptions {
  /** Presentation (capture) time: µs since the epoch, a Date or an ISO string. */
  pts: TimeInput;
  /** Decode time, when it differs (B-frames); defaults to pts. */
  dts?: TimeInput;
}

// Stored times are whole µs: a fraction would be changed silently, so it is refused. Query
// bounds (frames, clip, protect, follow) are rounded instead.
const STORED_TIME = { fractions: 'refuse' } as const;

const FLUSH_NONE = 0,
  FLUSH_INTERVAL = 1,
  FLUSH_KEYFRAME = 2;

function flushPolicy(option: FlushOption | undefined): { policy: number; intervalMs: number } {
  if (option === undefined || option === 'none') return { policy: FLUSH_NONE, intervalMs: 0 };
  if (option === 'keyframe') return { policy: FLUSH_KEYFRAME, intervalMs: 0 };
  if (typeof option === 'object' && option && 'everyMs' in option) {
    const ms = parseDuration(option.everyMs, 'flush.everyMs');
    if (ms < 1 || ms > 3_600_000)
      throw new InvalidArgumentError(`flush.everyMs must be from 1 ms to 1 h, got ${ms} ms`);
    return { policy: FLUSH_INTERVAL, intervalMs: Math.round(ms) };
  }
  throw new InvalidArgumentError(`flush must be 'none', 'keyframe' or { everyMs }, got ${JSON.stringify(option)}`);
}

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0)
    throw new InvalidArgumentError('the store path must be a non-empty string');
  return resolve(path);
}

export interface SegmentStoreEvents {
  overwrite: [OverwriteEvent];
  /** a background flush (flush policy 'keyframe' or everyMs) failed */
  error: [Error];
}

export class SegmentStore extends EventEmitter<SegmentStoreEvents> {
  readonly path: string;
  readonly streams: readonly string[];
  /** What each stream records, by name. */
  readonly streamKinds: Readonly<Record<string, StreamKind>>;
  readonly readOnly: boolean;
  #native: NativeStore | null;
  #streamIds = new Map<string, number>();
  #segmentBuffers = new Map<number, ArrayBuffer>();
  #flushTimer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #flushAgain = false;
  #policy: number;
  #pending = new Set<Promise<unknown>>();

  private constructor(native: NativeStore, path: string, policy: { policy: number; intervalMs: number }) {
    super();
    this.#native = native;
    this.path = path;
    const header = native.header();
    this.streams = Object.freeze([...header.streams]);
    this.streamKinds = Object.freeze(
      Object.fromEntries(header.streams.map((name, i) => [name, header.kinds[i] ?? 'video'])),
    );
    this.readOnly = !header.writable;
    header.streams.forEach((name, i) => this.#streamIds.set(name, i));
    this.#policy = this.readOnly ? FLUSH_NONE : policy.policy;
    if (this.#policy === FLUSH_INTERVAL) {
      this.#flushTimer = setInterval(() => {
        this.#backgroundFlush();
      }, policy.intervalMs);
      this.#flushTimer.unref();
    }
  }

  /** Creates a new store file (it must not exist) of exactly `capacity` bytes. */
  static async create(path: string, options: CreateOptions): Promise<SegmentStore> {
    const full = checkPath(path);
    if (!options || typeof options !== 'object')
      throw new InvalidArgumentError('create() needs options: { capacity, streams }');
    const capacity = parseSize(options.capacity, 'capacity');
    const segmentSize = parseSize(options.segmentSize ?? '8MiB', 'segmentSize');
    const streams = parseStreamSpecs(options.streams);
    const protectCap = options.protectCap ?? 0.3;
    if (typeof protectCap !== 'number' || !(protectCap >= 0 && protectCap <= 0.9)) {
      throw new InvalidArgumentError(`protectCap is a share of the capacity from 0 to 0.9, got ${protectCap}`);
    }
    const flush = flushPolicy(options.flush);
    const prepare = prepareAhead(options.prepareAhead);
    const native = binding.NativeStore.create(full, {
      capacity,
      segmentSize,
      streams: streams.names,
      kinds: streams.kinds,
      protectCap,
      flushPolicy: flush.policy,
      flushIntervalMs: flush.intervalMs,
      prepareAhead: prepare,
    });
    return new SegmentStore(native, full, flush);
  }

  /** Opens an existing store, recovering its index (and reporting any damage in `recovery`). */
  static async open(path: string, options: OpenOptions = {}): Promise<SegmentStore> {
    const full = checkPath(path);
    if (!options || typeof options !== 'object') throw new InvalidArgumentError('open() options must be an object');
    const verify = options.verify ?? 'headers';
    if (verify !== 'headers' && verify !== 'full') {
      throw new InvalidArgumentError(`verify must be 'headers' or 'full', got ${JSON.stringify(options.verify)}`);
    }
    const native = binding.NativeStore.open(
      full,
      !options.readOnly,
      verify === 'full',
      prepareAhead(options.prepareAhead),
    );
    const header = native.header();
    const flush =
      options.flush !== undefined
        ? flushPolicy(options.flush)
        : { policy: header.flushPolicy, intervalMs: header.flushIntervalMs };
    return new SegmentStore(native, full, flush);
  }

  get #store(): NativeStore {
    if (!this.#native) throw new StoreClosedError(`the store '${this.path}' is closed`);
    return this.#native;
  }

  /** @internal */
  streamId(name: string): number {
    const id = this.#streamIds.get(name);
    if (id === undefined) {
      throw new InvalidArgumentError(
        `unknown stream ${JSON.stringify(name)}: this store records ${this.streams.map((s) => `'${s}'`).join(', ')}`,
      );
    }
    return id;
  }

  /**
   * Stores one access unit (Annex B bytes). Returns true when stored, false when dropped
   * because the stream has not yet reached a random access point (counted in info()).
   */
  write(stream: string, accessUnit: Uint8Array, options: WriteOptions): boolean {
    const id = this.streamId(stream);
    if (!(accessUnit instanceof Uint8Array))
      throw new InvalidArgumentError('write() takes the access unit as a Buffer or Uint8Array');
    if (!options || options.pts === undefined)
      throw new InvalidArgumentError('write() needs { pts }: the capture time of the frame');
    const pts = toMicros(options.pts, 'pts', STORED_TIME);
    const dts = options.dts === undefined ? pts : toMicros(options.dts, 'dts', STORED_TIME);
    const flags = this.#store.write(id, accessUnit, pts, dts, pts);
    this.#afterWrite(flags);
    return (flags & 1) !== 0;
  }

  /**
   * Stores AAC audio in an audio stream. With `config` (the track's AudioSpecificConfig),
   * `data` is one raw AAC frame presented at `pts`; without it, `data` holds whole ADTS
   * frames (one configuration), the first at `pts` and each next one a frame later
   * (frameSamples / sampleRate s, rounded to the µs). Every frame is a random access
   * point. Returns the frames stored. Bad AAC, an unknown or non-audio stream, or times
   * going backwards throw with the store unchanged.
   */
  writeAudio(stream: string, data: Uint8Array, options: { pts: TimeInput; config?: Uint8Array }): number {
    const id = this.streamId(stream);
    if (!(data instanceof Uint8Array))
      throw new InvalidArgumentError('writeAudio() takes the audio as a Buffer or Uint8Array');
    if (!options || options.pts === undefined)
      throw new InvalidArgumentError('writeAudio() needs { pts }: the capture time of the (first) frame');
    const pts = toMicros(options.pts, 'pts', STORED_TIME);
    if (options.config !== undefined) {
      if (!(options.config instanceof Uint8Array))
        throw new InvalidArgumentError('writeAudio() config is the AudioSpecificConfig as a Buffer or Uint8Array');
      const flags = this.#store.writeAudio(id, data, options.config, pts, pts);
      this.#afterWrite(flags);
      return flags & 1;
    }
    const chunk = parseAdts(data);
    let stored = 0;
    chunk.frames.forEach((frame, i) => {
      const at = pts + Math.round((i * chunk.frameSamples * 1e6) / chunk.sampleRate);
      const flags = this.#store.writeAudio(id, frame, chunk.config, at, at);
      this.#afterWrite(flags);
      stored += flags & 1;
    });
    return stored;
  }

  /**
   * Stores one timed-metadata sample (for `camm`: one packet, see camm.ts) presented at
   * `pts` in a metadata stream. `format` is its MP4 sample entry type ('camm'); `entry`
   * the sample entry's body, when the format has one. Returns true when stored.
   */
  writeMetadata(
    stream: string,
    sample: Uint8Array,
    options: { pts: TimeInput; format: string; entry?: Uint8Array },
  ): boolean {
    const id = this.streamId(stream);
    if (!(sample instanceof Uint8Array))
      throw new InvalidArgumentError('writeMetadata() takes the sample as a Buffer or Uint8Array');
    if (!options || options.pts === undefined)
      throw new InvalidArgumentError('writeMetadata() needs { pts }: the capture time of the sample');
    const format = fourccNumber(options.format);
    if (options.entry !== undefined && !(options.entry instanceof Uint8Array))
      throw new InvalidArgumentError('writeMetadata() entry is a Buffer or Uint8Array');
    const pts = toMicros(options.pts, 'pts', STORED_TIME);
    const flags = this.#store.writeMetadata(id, sample, format, options.entry ?? new Uint8Array(0), pts, pts);
    this.#afterWrite(flags);
    return (flags & 1) !== 0;
  }

  #sampleWriters = new Map<number, NativeSampleWriter>();

  /**
   * Writes one MP4 sample: an access unit as length-prefixed NAL units (4-byte lengths),
   * with its track's `avcC` (parameter sets). Stored as it is, without an Annex B round
   * trip, with the same checks, errors and guarantees as write(): a sample that does not
   * parse leaves the store unchanged. Returns false when the frame was not stored (before
   * the stream's first key frame).
   */
  writeSample(stream: string, sample: Uint8Array, options: WriteOptions & { avcC: Uint8Array }): boolean {
    const id = this.streamId(stream);
    if (!(sample instanceof Uint8Array))
      throw new InvalidArgumentError('writeSample() takes the sample as a Buffer or Uint8Array');
    if (!options || !(options.avcC instanceof Uint8Array))
      throw new InvalidArgumentError(
        "writeSample() needs { avcC }: the track's decoder configuration (parameter sets)",
      );
    if (options.pts === undefined)
      throw new InvalidArgumentError('writeSample() needs { pts }: the capture time of the frame');
    const pts = toMicros(options.pts, 'pts', STORED_TIME);
    const dts = options.dts === undefined ? pts : toMicros(options.dts, 'dts', STORED_TIME);
    let writer = this.#sampleWriters.get(id);
    if (!writer) {
      writer = this.#store.createSampleWriter(id);
      this.#sampleWriters.set(id, writer);
    }
    const flags = writer.write(sample, pts, dts, pts, options.avcC);
    this.#afterWrite(flags);
    return (flags & 1) !== 0;
  }

  /**
   * A Writable for a fragmented MP4 byte stream (another ringclip's live stream, or any
   * fMP4 with H.264 tracks) in any chunking: each track goes to the stream of its name (or
   * as `tracks` maps it), stored sample by sample. Times come from the stream's `prft`
   * boxes to the µs, else `origin`, else the init segment's creation time.
   */
  createFragmentedWriteStream(options: FragmentedWriteStreamOptions = {}): FragmentedWriteStream {
    return new FragmentedWriteStream(this.createFragmentedIngest(options));
  }

  /** The same as createFragmentedWriteStream(), with a synchronous push(chunk) instead of a Writable. */
  createFragmentedIngest(options: FragmentedWriteStreamOptions = {}): FragmentedIngest {
    const tracks: Array<[string, number]> = [];
    if (options.tracks !== undefined) {
      if (typeof options.tracks !== 'object' || options.tracks === null)
        throw new InvalidArgumentError('tracks must map track names to stream names');
      for (const [track, stream] of Object.entries(options.tracks)) tracks.push([track, this.streamId(stream)]);
    }
    const origin = options.origin === undefined ? null : toMicros(options.origin, 'origin', STORED_TIME);
    return new FragmentedIngest(this, this.#store.createFragmentedIngest(tracks, origin, options.skipStored ?? true));
  }

  /** @internal called after native writes, from write() and write streams */
  afterWrite(flags: number): void {
    this.#afterWrite(flags);
  }

  #afterWrite(flags: number): void {
    if (flags & 1) this.#wakeFollowers();
    if (flags & 2) this.drainEvents();
    if (flags & 4 && this.#policy === FLUSH_KEYFRAME) this.#backgroundFlush();
  }

  #waiters = new Set<(stored: boolean) => void>();

  #wakeFollowers(): void {
    if (this.#waiters.size === 0) return;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w(true);
  }

  /** @internal resolves true on the next stored frame, false when the store closes or `signal` aborts */
  waitForWrite(signal?: AbortSignal): Promise<boolean> {
    if (!this.#native || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => done(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(done);
    });
  }

  /** @internal */
  nativeForLive(): NativeStore {
    return this.#store;
  }

  /** Frames as the writer stores them, from a past time or 'now' (copies, safe to keep). */
  follow(options: FollowOptions = {}): AsyncGenerator<LiveFrame> {
    return follow(this, options);
  }

  /** Fragmented MP4 (init segment, then one fragment per GOP) following the writer. */
  liveMP4(options: LiveMP4Options = {}) {
    return liveMP4(this, options);
  }

  /**
   * Copies this store's frames with pts in [from, to) (default: all) into `destination`,
   * every stream into the destination's stream of the same name, oldest first, as they are
   * stored: no parsing, no re-muxing, each payload copied once. A smaller destination keeps
   * the newest (its own loop recording drops the oldest, with `overwrite` events there).
   * Runs on this thread; the frames read are pinned meanwhile.
   */
  copyTo(destination: SegmentStore, range: { from?: TimeInput; to?: TimeInput } = {}): CopyResult {
    if (!(destination instanceof SegmentStore))
      throw new InvalidArgumentError('copyTo() needs a destination SegmentStore');
    if (destination === this) throw new InvalidArgumentError('copyTo(): the destination is the store itself');
    if (destination.readOnly)
      throw new InvalidArgumentError(`copyTo(): the destination '${destination.path}' was opened read-only`);
    if (this.readOnly) {
      throw new InvalidArgumentError(
        'copyTo(): this store was opened read-only (its writer may reclaim what is being copied); copy from the writable handle',
      );
    }
    for (const s of this.streams) {
      if (!destination.streams.includes(s)) {
        throw new InvalidArgumentError(
          `copyTo(): the destination records ${destination.streams.map((n) => `'${n}'`).join(', ')}, not '${s}'`,
        );
      }
    }
    const from =
      range.from === undefined ? -Number.MAX_SAFE_INTEGER : toMicros(range.from, 'from', { fractions: 'round' });
    const to = range.to === undefined ? Number.MAX_SAFE_INTEGER : toMicros(range.to, 'to', { fractions: 'round' });
    try {
      return this.#store.copyTo(destination.#store, from, to);
    } finally {
      destination.drainEvents();
    }
  }

  /**
   * What a stream covers: its retained frames as runs of contiguous footage, oldest first.
   * A run breaks where consecutive frames are more than `maxGap` apart (ms or a duration
   * string; default 1 s) or at
   * damage recovery skipped; `to` is the end of the run's last frame. Read from the index
   * (no payload is touched): a timeline needs no copy of its own.
   */
  spans(stream: string, options: { from?: TimeInput; to?: TimeInput; maxGap?: number | string } = {}): FrameSpanInfo[] {
    const id = this.streamId(stream);
    const from = options.from === undefined ? -Number.MAX_SAFE_INTEGER : toMicros(options.from, 'from');
    const to = options.to === undefined ? Number.MAX_SAFE_INTEGER : toMicros(options.to, 'to');
    const maxGap = options.maxGap === undefined ? 1e6 : Math.round(parseDuration(options.maxGap, 'maxGap') * 1000);
    if (!(maxGap > 0)) throw new InvalidArgumentError(`maxGap must be above 0, got ${String(options.maxGap)}`);
    const raw = this.#store.spans(id, from, to, maxGap);
    const out: FrameSpanInfo[] = [];
    for (let i = 0; i < raw.length; i += 3) out.push({ from: raw[i]!, to: raw[i + 1]!, frames: raw[i + 2]! });
    return out;
  }

  /**
   * How much footage the store holds and how much it holds when full, at the rate it was
   * written: the footage is the longest stream's retained spans (gaps excluded), the rate
   * the bytes stored per second of it (records, headers and index entries included). The
   * "hours that fit" of a device's memory or a phone's budget.
   */
  retention(): RetentionInfo {
    const info = this.info();
    let footage = 0;
    for (const s of info.streams) {
      if (s.frames === 0) continue;
      footage = Math.max(footage, this.spans(s.name).reduce((n, sp) => n + (sp.to - sp.from), 0) / 1e6);
    }
    if (footage === 0 || info.used === 0)
      return { footage: 0, bytes: info.used, bytesPerSecond: null, fullSeconds: null };
    const bytesPerSecond = info.used / footage;
    return {
      footage,
      bytes: info.used,
      bytesPerSecond,
      fullSeconds: (info.segments * info.segmentSize) / bytesPerSecond,
    };
  }

  /** Decode time of the stream's newest frame (µs), or null when it has none: a write must come after it. */
  lastDts(stream: string): number | null {
    return this.#store.lastDts(this.streamId(stream));
  }

  /** @internal */
  drainEvents(): void {
    this.#wakeFollowers();
    if (!this.#native) return;
    for (const e of this.#native.takeEvents()) this.emit('overwrite', e);
  }

  /** A Writable for raw Annex B bytes in any chunking; timing from fps (or the SPS VUI). */
  createWriteStream(stream: string, options: WriteStreamOptions = {}): AnnexBWriteStream {
    const id = this.streamId(stream);
    if (this.streamKinds[stream] !== 'video') {
      throw new InvalidArgumentError(
        `stream '${stream}' records ${this.streamKinds[stream]}: an Annex B write stream takes H.264; use writeAudio() or writeMetadata()`,
      );
    }
    const fps = options.fps ?? 0;
    if (typeof fps !== 'number' || !(fps === 0 || (fps > 0 && fps <= 1000))) {
      throw new InvalidArgumentError(`fps must be a number from 0 (exclusive) to 1000, got ${fps}`);
    }
    const start = options.start === undefined ? Date.now() * 1000 : toMicros(options.start, 'start', STORED_TIME);
    return new AnnexBWriteStream(this, this.#store.createIngest(id, fps, start), stream);
  }

  info(): StoreInfo {
    const raw = this.#store.info();
    return { path: this.path, formatVersion: binding.formatVersion, ...raw };
  }

  /** What the writer's preparing thread did since open (diagnostic). */
  get prepareStats(): PrepareStats {
    return this.#store.prepareStats();
  }

  /** Header slot writes since open (diagnostic; cheap, unlike info()). */
  get headerWrites(): number {
    return this.#store.headerWrites();
  }

  /** What opening the store found and did: records kept, damage skipped, a torn tail cut. */
  get recovery(): RecoveryReport {
    return this.#store.recovery();
  }

  /** Full CRC pass over every retained record. */
  verify(): VerifyReport {
    const r = this.#store.verify();
    return { ok: r.badRecords === 0 && r.problems.length === 0, ...r };
  }

  /**
   * Frames of one stream whose pts lies in [from, to), in decode order. Each segment is
   * pinned while its frames are being yielded, so the writer cannot overwrite them. A
   * read-only store's writer (another process) knows nothing of those pins: there each
   * payload is a copy, checked to be what was written, and a frame whose segment the writer
   * reclaimed is an OverrunError (skipOverwritten: the rest of that segment is skipped).
   */
  *frames(options: { stream: string; from?: TimeInput; to?: TimeInput; skipOverwritten?: boolean }): Generator<Frame> {
    const id = this.streamId(options.stream);
    // Open ends reach past every stored time (the native side takes any safe integer).
    const from = options.from === undefined ? -Number.MAX_SAFE_INTEGER : toMicros(options.from, 'from');
    const to = options.to === undefined ? Number.MAX_SAFE_INTEGER : toMicros(options.to, 'to');
    const rows = this.#store.listFrames(id, from, to);
    let pinned = -1;
    let overwritten = -1; // a segment the writer of a read-only store reclaimed: skipped
    try {
      for (let i = 0; i < rows.length; i += 8) {
        const segment = rows[i]!,
          seq = rows[i + 1]!;
        if (segment === overwritten) continue;
        if (segment !== pinned) {
          if (pinned >= 0) this.#native?.unpin(pinned);
          pinned = -1;
          if (!this.#store.pinIfLive(segment, seq)) {
            if (options.skipOverwritten) continue;
            throw new OverrunError(
              `frames of '${options.stream}' from ${microsToIso(rows[i + 3]!)} were overwritten while iterating; pass skipOverwritten to skip ahead`,
            );
          }
          pinned = segment;
        }
        const rap = rows[i + 6]!;
        const size = rows[i + 5]!;
        let payload: Uint8Array;
        if (this.readOnly) {
          try {
            payload = this.#store.readFrame(id, segment, rows[i + 4]!, size);
          } catch (err) {
            if (!(err instanceof OverrunError) || !options.skipOverwritten) throw err;
            overwritten = segment;
            continue;
          }
        } else {
          payload = new Uint8Array(this.#segmentBuffer(segment), rows[i + 4]!, size);
        }
        yield {
          stream: options.stream,
          dts: rows[i + 2]!,
          pts: rows[i + 3]!,
          randomAccess: rap === 1 ? 'idr' : rap === 2 ? 'recovery' : null,
          payload,
          size,
        };
      }
    } finally {
      if (pinned >= 0) this.#native?.unpin(pinned);
    }
  }

  /**
   * @internal A copy of one frame's payload (a row of listFrames/listFramesAfter) for a
   * reader holding a pin on its segment; on a read-only store, checked against the writer
   * of another process (OverrunError when it reclaimed the segment).
   */
  copyPayload(stream: number, segment: number, payloadOffset: number, size: number): Buffer {
    if (this.readOnly) return this.#store.readFrame(stream, segment, payloadOffset, size);
    return Buffer.from(new Uint8Array(this.#segmentBuffer(segment), payloadOffset, size));
  }

  #segmentBuffer(segment: number): ArrayBuffer {
    let ab = this.#segmentBuffers.get(segment);
    if (!ab) {
      ab = this.#store.segmentBuffer(segment);
      this.#segmentBuffers.set(segment, ab);
    }
    return ab;
  }

  /** Keeps the footage of [from, to] (all streams, back to their random access points) from being overwritten. */
  protect(range: { from: TimeInput; to: TimeInput }): Protection {
    if (!range || range.from === undefined || range.to === undefined)
      throw new InvalidArgumentError('protect() needs { from, to }');
    const from = toMicros(range.from, 'from');
    const to = toMicros(range.to, 'to');
    if (to < from)
      throw new InvalidArgumentError(`protect(): 'to' (${String(range.to)}) is before 'from' (${String(range.from)})`);
    const id = this.#store.protect(from, to);
    return new Protection(this, id, from, to);
  }

  /** Protections held in the file (they survive close and crashes). */
  protections(): Protection[] {
    return this.#store.protections().map((p) => new Protection(this, p.id, p.from, p.to, p.bytes));
  }

  /** @internal */
  releaseProtection(id: number): void {
    if (this.#native) this.#native.releaseProtection(id);
  }

  /** Cuts a clip of one or more streams; it pins its footage until released. */
  clip(options: ClipOptions): Clip {
    return Clip.fromStore(this, this.#store, options);
  }

  /** Resolves when everything written before the call is durable (msync, off the JS thread). */
  async flush(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a marker for the stack trace, never called
    const p = withCallerStack(this.#store.flush(), SegmentStore.prototype.flush);
    this.#pending.add(p);
    try {
      await p;
    } finally {
      this.#pending.delete(p);
    }
  }

  #backgroundFlush(): void {
    if (!this.#native) return;
    if (this.#flushing) {
      this.#flushAgain = true;
      return;
    }
    this.#flushing = this.flush()
      .catch((err: unknown) => {
        this.emit('error', err as Error);
      })
      .finally(() => {
        this.#flushing = null;
        if (this.#flushAgain) {
          this.#flushAgain = false;
          this.#backgroundFlush();
        }
      });
  }

  /** Flushes, waits for exports in flight, unmaps. Views of frames become empty. */
  async close(): Promise<void> {
    if (!this.#native) return;
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    await Promise.allSettled([...this.#pending]);
    const native = this.#native;
    // Followers end (their waits resolve false) rather than wake to a closed store.
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w(false);
    for (const e of native.takeEvents()) this.emit('overwrite', e);
    native.close();
    this.#native = null;
    for (const ab of this.#segmentBuffers.values()) binding.detach(ab);
    this.#segmentBuffers.clear();
  }

  get closed(): boolean {
    return this.#native === null;
  }

  /** @internal */
  track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    return p.finally(() => this.#pending.delete(p));
  }
}
