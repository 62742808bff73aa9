/**
 * Clips: keyframe-aligned, zero-copy cuts of one or more streams, written as progressive
 * MP4, fragmented MP4 or raw H.264, or served as a virtual file by byte range.
 */
import type { NativeClip, NativeStore, NativeVirtualFile } from './binding.js';
import { withCallerStack } from './caller-stack.js';
import { InvalidArgumentError, StoreClosedError } from './errors.js';
import { HlsRendition } from './hls.js';
import type { SegmentStore } from './segment-store.js';
import { checkSendArguments } from './socket-send.js';
import { parseDuration, toMicros, type TimeInput } from './units.js';

export interface ClipOptions {
  from: TimeInput;
  to: TimeInput;
  /** Streams to include (default: all of the store's streams). */
  streams?: string[];
  /** 'keyframe' (default) presents from the random access point at or before `from`;
   *  'exact' decodes from there but starts presentation exactly at `from` (edit lists). */
  align?: 'keyframe' | 'exact';
  /** Clip what remains of a partly overwritten range instead of failing; of several
   *  streams, those with nothing in the range are left out (and listed in `empty`). */
  allowPartial?: boolean;
  /**
   * A key-frame timelapse instead of a clip: one stored IDR picture per `every` of footage
   * (default '1s'), each shown for 1/`fps` s (default 30): one per second at 30 fps plays an
   * hour in two minutes. Nothing is re-encoded. Video streams only (the default streams are
   * the video streams); `align` does not apply.
   */
  timelapse?: { every?: number | string; fps?: number };
}

/** The native request fields of options.timelapse (zeros: a clip). @internal */
export function timelapseRequest(options: Pick<ClipOptions, 'timelapse' | 'align'>): {
  timelapseEvery: number;
  timelapseFrame: number;
} {
  const t = options.timelapse;
  if (t === undefined) return { timelapseEvery: 0, timelapseFrame: 0 };
  if (typeof t !== 'object' || t === null) throw new InvalidArgumentError("timelapse is { every?: '1s', fps?: 30 }");
  if (options.align === 'exact')
    throw new InvalidArgumentError("a timelapse shows whole key frames: align 'exact' does not apply");
  const every = Math.round(parseDuration(t.every ?? '1s', 'timelapse.every') * 1000);
  if (every < 1000)
    throw new InvalidArgumentError(`timelapse.every must be at least 1ms, got ${JSON.stringify(t.every)}`);
  const fps = t.fps ?? 30;
  if (typeof fps !== 'number' || !(fps > 0 && fps <= 240))
    throw new InvalidArgumentError(`timelapse.fps is a number from 0 (exclusive) to 240, got ${JSON.stringify(fps)}`);
  return { timelapseEvery: every, timelapseFrame: Math.round(1e6 / fps) };
}

export interface ClipTrack {
  name: string;
  kind: 'video' | 'audio' | 'metadata';
  /** video: the picture size (0 for audio and metadata) */
  width: number;
  height: number;
  samples: number;
  syncSamples: number;
  bytes: number;
  timescale: number;
  /** first presented frame and end of the last one (µs since the epoch) */
  first?: number;
  end?: number;
  /** open-GOP leading pictures left out because they reference footage before the clip */
  droppedLeading?: number;
  partial?: boolean;
  note?: string;
}

export interface OutputOptions {
  /** 'mp4' (default) or 'h264' (raw Annex B of one track). */
  format?: 'mp4' | 'h264';
  /** Fragmented MP4 (init segment + one fragment per GOP), for MSE and streaming. */
  fragmented?: boolean;
  /** For format 'h264': which video stream (default: the first of the clip). */
  stream?: string;
  /** Tests: force 64-bit chunk offsets (co64). */
  forceCo64?: boolean;
}

/** A file whose size is known up front and any byte range of which can be read. */
export class VirtualMP4 {
  readonly contentType: string;
  #file: NativeVirtualFile;
  constructor(file: NativeVirtualFile, contentType: string) {
    this.#file = file;
    this.contentType = contentType;
  }
  get size(): number {
    return this.#file.size;
  }
  /** Strong ETag: changes whenever the bytes would (includes the MP4 writer's format version). */
  get etag(): string {
    return this.#file.etag;
  }
  /** Bytes [start, end) — end exclusive, as in Buffer.subarray. */
  read(start: number, end: number = this.size): Buffer {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new InvalidArgumentError(
        `read(start, end) needs whole numbers with 0 <= start <= end, got ${start}, ${end}`,
      );
    }
    return this.#file.read(start, Math.min(end, this.size));
  }
  /**
   * Bytes [start, end) as views, in order, without copying: the generated boxes and the
   * stored samples where they sit in the mapping of an Mp4Source (a server writes them to
   * its socket as they are). Each view keeps what it points into alive until it is
   * collected, even past release(). Read-only: never write into a view. A ring store's clip
   * gets one checked copy instead (the recorder may reclaim or close what a view would see).
   */
  views(start: number, end: number = this.size): Uint8Array[] {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new InvalidArgumentError(
        `views(start, end) needs whole numbers with 0 <= start <= end, got ${start}, ${end}`,
      );
    }
    return this.#file.views(start, Math.min(end, this.size));
  }
  /**
   * Sends bytes [start, end) (end clamped to the size) to a connected, non-blocking socket
   * (a descriptor: sendableDescriptor(socket) gives a Node socket's when it is safe to write
   * past Node) and returns how many it took: fewer than asked when the socket is full — wait
   * until it can take more, then go on from there. The stored samples go by sendfile(2), the
   * kernel sending the file's pages as a static file server does, with no copy in this process;
   * only the generated boxes are copied. For files of an Mp4Source's clips; a ring store's
   * clip is refused (InvalidArgumentError: read it with views() or read()). A socket that
   * fails (the peer has gone) is an IoError.
   */
  sendTo(socket: number, start: number, end: number = this.size): number {
    checkSendArguments(socket, start, end);
    return this.#file.sendTo(socket, start, Math.min(end, this.size));
  }
  /** Writes the whole file (scatter I/O, off the JS thread); resolves with the byte count. */
  writeTo(target: string | number): Promise<number> {
    if (typeof target !== 'string' && !(Number.isInteger(target) && target >= 0)) {
      throw new InvalidArgumentError('writeTo() takes a file path or an open file descriptor');
    }
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a marker for the stack trace, never called
    return withCallerStack(this.#file.writeTo(target), VirtualMP4.prototype.writeTo);
  }
  /** Lets go of the footage this file points into (its pins) now rather than at garbage
   *  collection. A write in flight finishes first; reads afterwards fail. */
  release(): void {
    this.#file.release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

export class Clip {
  #native: NativeClip | null;
  #store: SegmentStore | null;
  #info: {
    tracks: ClipTrack[];
    start?: number;
    end?: number;
    partial?: boolean;
    empty?: Array<{ stream: string; reason: string }>;
    dropped?: string[];
  };

  /** @internal */
  constructor(native: NativeClip, store: SegmentStore | null) {
    this.#native = native;
    this.#store = store;
    this.#info = native.info();
  }

  /** @internal */
  static fromStore(store: SegmentStore, native: NativeStore, options: ClipOptions): Clip {
    if (!options || options.from === undefined || options.to === undefined)
      throw new InvalidArgumentError('clip() needs { from, to }');
    const from = toMicros(options.from, 'from');
    const to = toMicros(options.to, 'to');
    if (to <= from) throw new InvalidArgumentError(`clip(): 'to' must be after 'from'`);
    const timelapse = timelapseRequest(options);
    const names =
      options.streams ?? store.streams.filter((s) => !timelapse.timelapseEvery || store.streamKinds[s] === 'video');
    if (!Array.isArray(names) || names.length === 0)
      throw new InvalidArgumentError('clip(): streams must list at least one stream');
    if (new Set(names).size !== names.length) throw new InvalidArgumentError('clip(): a stream is listed twice');
    const align = options.align ?? 'keyframe';
    if (align !== 'keyframe' && align !== 'exact')
      throw new InvalidArgumentError(`align must be 'keyframe' or 'exact', got ${JSON.stringify(align)}`);
    const streams = names.map((n) => store.streamId(n));
    const clip = native.clip({
      from,
      to,
      streams,
      exact: align === 'exact',
      allowPartial: options.allowPartial === true,
      ...timelapse,
    });
    return new Clip(clip, store);
  }

  get #clip(): NativeClip {
    if (!this.#native) throw new StoreClosedError('the clip was released');
    return this.#native;
  }

  get tracks(): ClipTrack[] {
    return this.#info.tracks;
  }
  /** Start and end of the clip's timeline (µs since the epoch). */
  get start(): number | undefined {
    return this.#info.start;
  }
  get end(): number | undefined {
    return this.#info.end;
  }
  /** True when part of the requested range was no longer retained (allowPartial). */
  get partial(): boolean {
    return this.#info.partial === true;
  }
  /** Streams asked for that had nothing in the range (allowPartial), and what they retain. */
  get empty(): Array<{ stream: string; reason: string }> {
    return this.#info.empty ?? [];
  }
  /**
   * Tracks of the source the clip does not carry, each with the reason, e.g. "dropped the
   * Opus track 2: ringclip carries AAC audio only". Empty when nothing was.
   */
  get dropped(): readonly string[] {
    return this.#info.dropped ?? [];
  }

  #build(options: OutputOptions = {}): VirtualMP4 {
    const format = options.format ?? 'mp4';
    if (format === 'h264') {
      const index = this.tracks.findIndex((t) =>
        options.stream === undefined ? t.kind === 'video' : t.name === options.stream,
      );
      if (index < 0)
        throw new InvalidArgumentError(
          `the clip has no stream '${options.stream}': it has ${this.tracks.map((t) => t.name).join(', ')}`,
        );
      return new VirtualMP4(this.#clip.build('h264', { track: index }), 'video/h264');
    }
    if (format !== 'mp4')
      throw new InvalidArgumentError(`format must be 'mp4' or 'h264', got ${JSON.stringify(format)}`);
    const kind = options.fragmented ? 'fmp4' : 'mp4';
    return new VirtualMP4(this.#clip.build(kind, { forceCo64: options.forceCo64 === true }), 'video/mp4');
  }

  /**
   * One camera of the clip as an HLS rendition (media and I-frame playlists over a virtual
   * fMP4, one segment per GOP): the clip must hold one video stream (and any audio: it is
   * muxed in; timed metadata is left out). `live`: the footage is still being recorded (an
   * open drive): an EVENT playlist whose last, still growing, GOP is not listed yet.
   */
  toHls(options: { live?: boolean } = {}): HlsRendition {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('toHls() takes { live?: boolean }');
    return new HlsRendition(this.#clip, options.live === true);
  }

  /** The clip as a virtual file: size and ETag known up front, any byte range readable. */
  toVirtualMP4(options: OutputOptions = {}): VirtualMP4 {
    return this.#build(options);
  }

  /** Writes the clip to a path or file descriptor with scatter I/O straight from the store. */
  async writeMP4(target: string | number, options: OutputOptions = {}): Promise<{ bytes: number }> {
    if (typeof target !== 'string' && !(Number.isInteger(target) && target >= 0)) {
      throw new InvalidArgumentError('writeMP4() takes a file path or an open file descriptor');
    }
    const file = this.#build(options);
    try {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- a marker for the stack trace, never called
      const p = withCallerStack(file.writeTo(target), Clip.prototype.writeMP4);
      const bytes = await (this.#store ? this.#store.track(p) : p);
      return { bytes };
    } finally {
      file.release();
    }
  }

  /** Unpins the footage. Virtual files already built keep their own pins until collected. */
  release(): void {
    if (!this.#native) return;
    this.#native.release();
    this.#native = null;
  }
  [Symbol.dispose](): void {
    this.release();
  }
}
