/**
 * Mp4Source: an existing MP4 (progressive or fragmented; from ringclip, ffmpeg or x264) as
 * a sample source with the same clip() API as SegmentStore, cutting zero-copy from the file.
 */
import { resolve } from 'node:path';
import { binding, type NativeMp4Source } from './binding.js';
import { Clip, timelapseRequest, type ClipOptions } from './clip.js';
import { InvalidArgumentError, StoreClosedError } from './errors.js';
import { checkSendArguments } from './socket-send.js';
import { toMicros, type TimeInput } from './units.js';

// A file without a capture time has its own timeline, which may start before 0 (frames an
// edit list cuts off): bare µs may be negative here.
const SOURCE_TIME = { timeline: true } as const;

export interface Mp4SourceTrack {
  name: string;
  kind: 'video' | 'audio' | 'metadata';
  /** RFC 6381 codec string, e.g. 'avc1.640028', 'mp4a.40.2' (for MSE), 'camm' */
  codec?: string;
  /** audio tracks (0 otherwise) */
  sampleRate: number;
  channels: number;
  width: number;
  height: number;
  samples: number;
  syncSamples: number;
  /** first and last presented frame on the source's timeline (µs) */
  first: number;
  last: number;
}

export class Mp4Source {
  readonly path: string;
  /** µs since the epoch of the file's start when it carries a creation (capture) time, else 0. */
  readonly origin: number;
  readonly size: number;
  readonly tracks: readonly Mp4SourceTrack[];
  /** The file's tracks that clips leave out, with why ("dropped the Opus track 2: ringclip carries AAC audio only"). */
  readonly dropped: readonly string[];
  #native: NativeMp4Source | null;

  private constructor(path: string, native: NativeMp4Source) {
    this.path = path;
    this.#native = native;
    const info = native.info();
    this.origin = info.origin;
    this.size = info.size;
    this.tracks = Object.freeze(info.tracks);
    this.dropped = Object.freeze([...info.dropped]);
  }

  /** Opens and indexes an MP4. Garbage or truncated input is an InvalidDataError. */
  static async open(path: string): Promise<Mp4Source> {
    if (typeof path !== 'string' || !path) throw new InvalidArgumentError('Mp4Source.open() takes a file path');
    const full = resolve(path);
    return new Mp4Source(full, binding.NativeMp4Source.open(full));
  }

  /** Unmaps the file. Clips already cut keep their own hold on it until released. */
  close(): void {
    this.#native?.close();
    this.#native = null;
  }
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The file's own bytes [start, end) (end clamped to the size) as views of its read-only
   * mapping, without a copy: `[]` for an empty range, else one view. Each view keeps the
   * mapping alive until it is collected, even after close(). Never write into a view.
   */
  views(start = 0, end: number = this.size): Uint8Array[] {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new InvalidArgumentError(
        `views(start, end) needs whole numbers with 0 <= start <= end, got ${start}, ${end}`,
      );
    }
    if (!this.#native) throw new StoreClosedError(`the MP4 source '${this.path}' is closed`);
    return this.#native.views(start, end);
  }

  /**
   * The file's own bytes [start, end) (end clamped to the size) to a connected, non-blocking
   * socket by sendfile(2), as VirtualMP4.sendTo does: the bytes the socket took, fewer than
   * asked when it is full.
   */
  sendTo(socket: number, start = 0, end: number = this.size): number {
    checkSendArguments(socket, start, end);
    if (!this.#native) throw new StoreClosedError(`the MP4 source '${this.path}' is closed`);
    return this.#native.sendTo(socket, start, Math.min(end, this.size));
  }

  /**
   * The samples of one track that the file presents, optionally only those presented in
   * [from, to): their presentation time (µs on the source's timeline) and a copy of their
   * bytes. For reading a clip's telemetry (a `camm` track: one packet per sample, see
   * decodeCamm) or audio frames without parsing the container yourself.
   */
  samples(track: string, range: { from?: TimeInput; to?: TimeInput } = {}): Array<{ pts: number; data: Buffer }> {
    if (!this.#native) throw new StoreClosedError(`the MP4 source '${this.path}' is closed`);
    const index = this.tracks.findIndex((t) => t.name === track);
    if (index < 0)
      throw new InvalidArgumentError(
        `the MP4 has no track '${track}': it has ${this.tracks.map((t) => `'${t.name}'`).join(', ')}`,
      );
    const from = range.from === undefined ? -Number.MAX_SAFE_INTEGER : toMicros(range.from, 'from', SOURCE_TIME);
    const to = range.to === undefined ? Number.MAX_SAFE_INTEGER : toMicros(range.to, 'to', SOURCE_TIME);
    const got = this.#native.samples(index, from, to);
    return got.data.map((data, i) => ({ pts: got.pts[i]!, data }));
  }

  /** First presented frame of the file (µs on its timeline). */
  get start(): number {
    return Math.min(...this.tracks.map((t) => t.first));
  }

  /**
   * Cuts a clip. `from`/`to` are times on the source's timeline (µs, Date or ISO), or
   * `{ offset: seconds }` from the file's start. `streams` names tracks (default: all).
   */
  clip(
    options: Omit<ClipOptions, 'from' | 'to'> & {
      from: ClipOptions['from'] | { offset: number };
      to: ClipOptions['to'] | { offset: number };
    },
  ): Clip {
    const time = (v: ClipOptions['from'] | { offset: number }, what: string) => {
      if (typeof v === 'object' && v !== null && !(v instanceof Date) && 'offset' in v) {
        if (typeof v.offset !== 'number' || !Number.isFinite(v.offset) || v.offset < 0)
          throw new InvalidArgumentError(`${what}.offset must be a non-negative number of seconds, got ${v.offset}`);
        return toMicros(
          this.start + Math.round(v.offset * 1e6),
          `${what} (start ${this.start} µs + offset ${v.offset} s)`,
          SOURCE_TIME,
        );
      }
      return toMicros(v, what, SOURCE_TIME);
    };
    if (!options || options.from === undefined || options.to === undefined)
      throw new InvalidArgumentError('clip() needs { from, to }');
    const from = time(options.from, 'from');
    const to = time(options.to, 'to');
    if (to <= from) throw new InvalidArgumentError(`clip(): 'to' must be after 'from'`);
    const timelapse = timelapseRequest(options);
    const names =
      options.streams ?? this.tracks.filter((t) => !timelapse.timelapseEvery || t.kind === 'video').map((t) => t.name);
    if (new Set(names).size !== names.length) throw new InvalidArgumentError('clip(): a track is listed twice');
    const tracks = names.map((n) => {
      const i = this.tracks.findIndex((t) => t.name === n);
      if (i < 0)
        throw new InvalidArgumentError(
          `the MP4 has no track '${n}': it has ${this.tracks.map((t) => `'${t.name}'`).join(', ')}`,
        );
      return i;
    });
    const align = options.align ?? 'keyframe';
    if (align !== 'keyframe' && align !== 'exact')
      throw new InvalidArgumentError(`align must be 'keyframe' or 'exact', got ${JSON.stringify(align)}`);
    if (!this.#native) throw new StoreClosedError(`the MP4 source '${this.path}' is closed`);
    return new Clip(
      this.#native.clip({
        from,
        to,
        tracks,
        exact: align === 'exact',
        allowPartial: options.allowPartial === true,
        ...timelapse,
      }),
      null,
    );
  }
}
