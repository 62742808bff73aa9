/**
 * Live: following the writer. `follow()` yields frames as they are stored; `liveMP4()`
 * turns that into fragmented MP4 (init segment, then one fragment per GOP per track) —
 * what the device serves the phone while it streams a drive. Followers run in the
 * writing process (the same SegmentStore); a follower that falls behind the ring's wrap
 * gets an OverrunError, or skips ahead to the next key frame when asked to. On a read-only
 * store (another process writes) the same holds for what its snapshot indexed: each
 * payload is copied and checked against the writer's loop recording.
 */
import { Readable } from 'node:stream';
import type { NativeStore } from './binding.js';
import { InvalidArgumentError, OverrunError } from './errors.js';
import type { OverwriteEvent, RandomAccessKind } from './types.js';
import { toMicros, type TimeInput } from './units.js';

export interface LiveFrame {
  stream: string;
  dts: number;
  pts: number;
  randomAccess: RandomAccessKind;
  /** the NAL units (4-byte length prefixes), copied out of the ring */
  payload: Buffer;
  /** @internal configuration id (parameter sets) */
  config: number;
}

export interface FollowOptions {
  streams?: string[];
  /** A past time; 'now' (default): only frames stored from now on; 'keyframe': from each
   *  stream's latest key frame, so a viewer starts at once instead of at the next GOP. */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the two words are named for the reader; TimeInput's string takes them
  from?: TimeInput | 'now' | 'keyframe';
  /** On falling behind the wrap, continue at the next key frame instead of failing. */
  skipOverwritten?: boolean;
  signal?: AbortSignal;
}

/** What live followers need from a store (implemented by SegmentStore). */
export interface Followable {
  readonly streams: readonly string[];
  streamId(name: string): number;
  /** @internal */ nativeForLive(): NativeStore;
  /** @internal */ waitForWrite(signal?: AbortSignal): Promise<boolean>;
  /** @internal a copy of a frame's payload, the caller holding a pin on its segment; OverrunError when a writer in another process reclaimed it */
  copyPayload(stream: number, segment: number, payloadOffset: number, size: number): Buffer;
  on(event: 'overwrite', listener: (e: OverwriteEvent) => void): unknown;
  off(event: 'overwrite', listener: (e: OverwriteEvent) => void): unknown;
}

const BATCH = 256;
const KEYFRAME_LOOKBACK_US = 60e6;

/** A cursor just before the stream's latest key frame (within the last minute), else 'now'. */
function latestKeyframeCursor(native: NativeStore, id: number): number {
  const last = native.lastDts(id);
  if (last === null) return -Number.MAX_SAFE_INTEGER;
  const rows = native.listFrames(id, last - KEYFRAME_LOOKBACK_US, Number.MAX_SAFE_INTEGER);
  for (let i = rows.length - 8; i >= 0; i -= 8) if (rows[i + 6]) return rows[i + 2]! - 1;
  return last;
}

export async function* follow(store: Followable, options: FollowOptions = {}): AsyncGenerator<LiveFrame> {
  const names = options.streams ?? [...store.streams];
  if (!Array.isArray(names) || names.length === 0)
    throw new InvalidArgumentError('follow(): streams must list at least one stream');
  const ids = names.map((n) => store.streamId(n));
  const native = store.nativeForLive();
  const from = options.from ?? 'now';
  const cursor = ids.map((id) => {
    if (from === 'now') return native.lastDts(id) ?? -Number.MAX_SAFE_INTEGER;
    if (from === 'keyframe') return latestKeyframeCursor(native, id);
    return toMicros(from, 'from') - 1;
  });
  const lastPts = ids.map(() => -Number.MAX_SAFE_INTEGER);
  const needKey = ids.map(() => false);
  let overrun: OverwriteEvent | null = null;
  const onOverwrite = (e: OverwriteEvent) => {
    const k = names.indexOf(e.stream);
    // Frames after the last one yielded were overwritten before we read them.
    if (k >= 0 && e.to > lastPts[k]! && e.to > cursor[k]!) overrun ??= e;
  };
  store.on('overwrite', onOverwrite);
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      if (overrun) {
        const e: OverwriteEvent = overrun;
        overrun = null;
        if (!options.skipOverwritten) {
          throw new OverrunError(
            `the follower of '${e.stream}' fell behind the ring's wrap: frames up to ${new Date(e.to / 1000).toISOString()} were overwritten before it read them`,
          );
        }
        needKey[names.indexOf(e.stream)] = true;
      }
      const batch: LiveFrame[] = [];
      for (let k = 0; k < ids.length; k++) {
        const rows = native.listFramesAfter(ids[k]!, cursor[k]!, BATCH);
        for (let i = 0; i < rows.length; i += 8) {
          const segment = rows[i]!,
            seq = rows[i + 1]!;
          cursor[k] = rows[i + 2]!;
          const rap = rows[i + 6]!;
          if (needKey[k] && !rap) continue;
          needKey[k] = false;
          // Copy under a pin: the bytes cannot be reclaimed while we copy them (a writer in
          // another process ignores it: there the copy is checked instead).
          if (!native.pinIfLive(segment, seq)) {
            needKey[k] = true;
            continue;
          }
          try {
            let payload: Buffer;
            try {
              payload = store.copyPayload(ids[k]!, segment, rows[i + 4]!, rows[i + 5]!);
            } catch (err) {
              if (!(err instanceof OverrunError) || !options.skipOverwritten) throw err;
              needKey[k] = true;
              continue;
            }
            batch.push({
              stream: names[k]!,
              dts: rows[i + 2]!,
              pts: rows[i + 3]!,
              randomAccess: rap === 1 ? 'idr' : rap === 2 ? 'recovery' : null,
              payload,
              config: rows[i + 7]!,
            });
          } finally {
            native.unpin(segment);
          }
        }
      }
      if (batch.length === 0) {
        if (!(await store.waitForWrite(options.signal))) return;
        continue;
      }
      batch.sort((a, b) => a.dts - b.dts);
      for (const f of batch) {
        const k = names.indexOf(f.stream);
        lastPts[k] = Math.max(lastPts[k]!, f.pts);
        yield f;
      }
    }
  } finally {
    store.off('overwrite', onOverwrite);
  }
}

/** The live stream: a Readable that can also be ended cleanly, its last GOPs included. */
export interface LiveMP4Stream extends Readable {
  /**
   * Stops following and sends the GOPs still in progress (normally a GOP is sent when the
   * next one starts, so the end of a drive would never arrive), then ends the stream.
   * Resolves when the end was pushed (or the stream was destroyed meanwhile).
   */
  finish(): Promise<void>;
}

export interface LiveMP4Options extends Omit<FollowOptions, 'signal'> {
  /**
   * When the writer stores nothing for this long (ms; default 500), the GOPs in progress are
   * sent as they are and continued in the next fragment: a drive that stops, or a camera
   * that pauses, does not leave its last second unsent until the next key frame. 0: only
   * whole GOPs.
   */
  idleFlushMs?: number;
}

const FLUSH_NONE = 0,
  FLUSH_PENDING = 1,
  FLUSH_FINAL = 2;

/**
 * Fragmented MP4 following the writer: init segment, then a fragment per GOP per track, each
 * with a prft carrying its capture time (the core builds them: store/live_fragmenter.h).
 * Emits 'origin' (µs since the epoch of media time 0) just before the init segment.
 */
export function liveMP4(store: Followable, options: LiveMP4Options = {}): LiveMP4Stream {
  const names = options.streams ?? [...store.streams];
  if (!Array.isArray(names) || names.length === 0)
    throw new InvalidArgumentError('liveMP4(): streams must list at least one stream');
  const idleFlushMs = options.idleFlushMs ?? 500;
  if (!(Number.isFinite(idleFlushMs) && idleFlushMs >= 0))
    throw new InvalidArgumentError(`idleFlushMs must be a number of ms ≥ 0, got ${String(options.idleFlushMs)}`);
  const ids = names.map((n) => store.streamId(n));
  const native = store.nativeForLive();
  const from = options.from ?? 'now';
  const cursors = ids.map((id) => {
    if (from === 'now') return native.lastDts(id) ?? -Number.MAX_SAFE_INTEGER;
    if (from === 'keyframe') return latestKeyframeCursor(native, id);
    return toMicros(from, 'from') - 1;
  });
  // A live viewer wants now, not a growing backlog: by default frames the ring overwrote
  // before they were sent are skipped to the next key frame.
  const fragmenter = native.createLiveFragmenter(ids, cursors, options.skipOverwritten ?? true);
  const controller = new AbortController();

  // Backpressure: when the consumer is slower than the camera, the follower waits rather
  // than buffering without bound; if the ring wraps past it meanwhile, it skips ahead.
  let wantMore: (() => void) | null = null;
  let finishing = false;
  let ended: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const readable = new Readable({
    highWaterMark: 4 * 1024 * 1024,
    read() {
      const w = wantMore;
      wantMore = null;
      w?.();
    },
    destroy(err, cb) {
      controller.abort();
      const w = wantMore;
      wantMore = null;
      w?.();
      ended();
      cb(err);
    },
  }) as LiveMP4Stream;
  readable.finish = () => {
    finishing = true;
    controller.abort();
    return done;
  };
  const push = async (chunk: Buffer) => {
    if (!readable.push(chunk) && !readable.destroyed)
      await new Promise<void>((resolve) => {
        wantMore = resolve;
      });
  };

  // The next write, or (with frames held) the writer staying quiet for idleFlushMs.
  const next = async (held: boolean): Promise<'write' | 'idle' | 'end'> => {
    if (!held || idleFlushMs === 0) return (await store.waitForWrite(controller.signal)) ? 'write' : 'end';
    const wait = new AbortController();
    const stop = () => wait.abort();
    controller.signal.addEventListener('abort', stop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        store.waitForWrite(wait.signal).then((ok): 'write' | 'end' => (ok ? 'write' : 'end')),
        new Promise<'idle'>((resolve) => {
          timer = setTimeout(() => resolve('idle'), idleFlushMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      wait.abort(); // the waiter that lost the race goes
      controller.signal.removeEventListener('abort', stop);
    }
  };

  (async () => {
    // The caller attaches its 'origin' and 'data' listeners after this returns.
    await Promise.resolve();
    let flush = FLUSH_NONE;
    for (;;) {
      const final = finishing;
      const step = fragmenter.poll(BATCH, final ? FLUSH_FINAL : flush);
      flush = FLUSH_NONE;
      if (step.origin !== null) readable.emit('origin', step.origin);
      if (step.bytes) await push(step.bytes);
      if (final || readable.destroyed) break;
      if (step.more) continue;
      const woke = await next(step.held > 0);
      if (woke === 'idle') flush = FLUSH_PENDING;
      // Aborted: finish() polls once more (final); destroy() or a closed store ends here.
      if (woke === 'end' && !finishing) break;
    }
    if (!readable.destroyed) readable.push(null);
    ended();
  })().catch((err: unknown) => {
    readable.destroy(err as Error);
    ended();
  });
  return readable;
}
