/**
 * The phone's ring: a SegmentStore sized to the budget, holding the drives streamed from
 * the dashcam. The device's live fMP4 goes into it through the engine (one native parse
 * per chunk, samples stored as they are); a budget change copies it into a new ring with
 * store.copyTo(). What it holds is read from its own index (store.spans()).
 */
import { existsSync, rmSync } from 'node:fs';
import { SegmentStore, type FragmentedIngest, type OverwriteEvent } from 'ringclip';
import type { AppContext } from './app-context.js';
import { RING_STREAM_NAMES, RING_STREAMS, STREAMS } from './app-context.js';
import { segmentSizeFor } from './budget.js';
import { hull, intersect, type Span } from './timeline.js';

/** Frames further apart than this are a gap in the phone's timeline (a few frames at 15 fps). */
const TIMELINE_MAX_GAP_MS = 250;
/** Live bytes held while the ring is being resized (a few seconds of both cameras). */
const LIVE_HOLD_BYTES = 64 * 1024 * 1024;

interface LiveFeed {
  drive: number;
  // The init segment is kept while the stream runs, so that a new ring (a budget change)
  // gets a reader of its own.
  init: Buffer[];
  initDone: boolean;
  ring: SegmentStore | null;
  ingest: FragmentedIngest | null;
}

export class PhoneRing {
  #ctx: AppContext;
  #store: SegmentStore | null = null;
  #migrating: Promise<void> | null = null;
  // Settles when the resize does, never rejects: its failure is resize()'s caller's to handle
  // (and was thrown to it); waiting for the ring to be free is all others need.
  #settled: Promise<void> = Promise.resolve();
  #live: LiveFeed | null = null;
  // Chunks arriving while the ring is copied are held, up to LIVE_HOLD_BYTES; a longer copy
  // leaves a gap that gap fill fetches later.
  #held: Buffer[] = [];
  #heldBytes = 0;

  constructor(ctx: AppContext) {
    this.#ctx = ctx;
  }

  /** The open ring (null once closed). */
  get store(): SegmentStore | null {
    return this.#store;
  }
  get capacity(): number {
    return this.#store ? this.#store.info().capacity : 0;
  }
  get segmentSize(): number {
    return this.#store ? this.#store.info().segmentSize : 0;
  }

  async open(capacity: number, budgetBytes: number): Promise<void> {
    const path = this.#ctx.state.ringPath();
    this.#store = existsSync(path)
      ? await SegmentStore.open(path)
      : await SegmentStore.create(path, {
          capacity,
          segmentSize: segmentSizeFor(budgetBytes),
          streams: RING_STREAMS,
          protectCap: 0,
        });
    this.#watch(this.#store);
    const missing = RING_STREAM_NAMES.filter((s) => !this.#store!.streams.includes(s));
    if (missing.length === 0) return;
    // A ring made before the phone kept cabin audio and telemetry: its footage is copied into
    // a ring that has every stream, as a budget change does. If that fails, the old ring is
    // kept whole and goes on with the streams it has (the live stream asks only for those).
    try {
      await this.resize(this.#store.info().capacity, budgetBytes);
    } catch (err) {
      this.#ctx.emit(
        'error',
        new Error(
          `the phone ring could not gain the streams ${missing.join(', ')} (it keeps its footage and goes on without them): ${(err as Error).message}`,
        ),
      );
    }
  }

  async close(): Promise<void> {
    await this.#settled;
    await this.#store?.close();
    this.#store = null;
  }

  /** Resolves when no resize is running (clips wait for one). */
  idle(): Promise<void> {
    return this.#settled;
  }

  #watch(store: SegmentStore): void {
    store.on('overwrite', (e) => this.#ctx.emit('overwrite', e));
    store.on('error', (e) => this.#ctx.emit('error', e));
  }

  /**
   * A store's capacity is fixed at create: a new ring of the new size is created and the
   * old one's footage is copied in through the engine (records as they are, oldest first,
   * so a smaller ring keeps the newest drives). On any failure the new ring goes and the old
   * one is kept. Live chunks arriving meanwhile are held and written afterwards.
   */
  async resize(capacity: number, budgetBytes: number): Promise<void> {
    await this.#settled;
    const { state, emit } = this.#ctx;
    const run = async () => {
      const old = this.#store!;
      const gen = state.settings.ringGeneration + 1;
      const next = await SegmentStore.create(state.ringPath(gen), {
        capacity,
        segmentSize: segmentSizeFor(budgetBytes),
        streams: RING_STREAMS,
        protectCap: 0,
      });
      const lost: OverwriteEvent[] = [];
      const collect = (e: OverwriteEvent) => {
        lost.push(e);
      };
      next.on('overwrite', collect);
      try {
        old.copyTo(next);
        await next.flush();
      } catch (err) {
        // The old ring is the one kept: the new one, half filled, goes.
        await next.close().catch((closeErr: unknown) => emit('error', closeErr as Error));
        rmSync(next.path, { force: true });
        throw err;
      }
      await old.close();
      rmSync(old.path, { force: true });
      state.settings.ringGeneration = gen;
      state.saveSettings();
      this.#store = next;
      this.#watch(next);
      // Re-emitted to the app's own listener; the collector must be gone first, or every event
      // would be appended to the list being walked, forever.
      next.off('overwrite', collect);
      for (const e of lost) next.emit('overwrite', e);
      emit('evicted', { what: 'ring', id: `phone-${gen - 1}.ring`, bytes: 0 });
      state.saveLibrary();
    };
    this.#migrating = run().finally(() => {
      this.#migrating = null;
    });
    this.#settled = this.#migrating.then(
      () => undefined,
      () => undefined,
    );
    try {
      await this.#migrating;
    } finally {
      const held = this.#held;
      this.#held = [];
      this.#heldBytes = 0;
      for (const chunk of held) this.feedLive(chunk);
    }
  }

  /** A live stream of `drive` starts: its chunks go to feedLive() until endLive(). */
  startLive(drive: number): void {
    this.#live = { drive, init: [], initDone: false, ring: null, ingest: null };
  }

  endLive(): void {
    this.#live = null;
  }

  /**
   * One chunk of the device's live fMP4 into the ring, then the drive's range grows by the
   * frames it stored. Throws what the engine refuses (the stream is then over).
   */
  feedLive(chunk: Buffer): void {
    const live = this.#live;
    if (!live) return;
    if (!live.initDone) live.init.push(chunk);
    if (this.#migrating) {
      if (this.#heldBytes + chunk.length > LIVE_HOLD_BYTES) {
        if (this.#heldBytes <= LIVE_HOLD_BYTES)
          this.#ctx.emit(
            'error',
            new Error(
              `live footage arriving during the ring resize was not kept beyond ${LIVE_HOLD_BYTES} bytes: gap fill fetches it from the device`,
            ),
          );
        this.#heldBytes = LIVE_HOLD_BYTES + 1;
        return;
      }
      this.#held.push(chunk);
      this.#heldBytes += chunk.length;
      return;
    }
    const ring = this.#store;
    if (!ring) return;
    const streams = this.#ctx.options.liveStreams ?? STREAMS;
    const before = new Map(streams.map((s) => [s, ring.streams.includes(s) ? ring.lastDts(s) : null]));
    try {
      if (live.ring !== ring || !live.ingest) {
        // A new ring: its reader starts from the init segment (samples it already has are skipped).
        live.ring = ring;
        live.ingest = ring.createFragmentedIngest();
        for (const c of live.init) live.ingest.push(c);
        if (!live.init.includes(chunk)) live.ingest.push(chunk);
      } else {
        live.ingest.push(chunk);
      }
    } finally {
      live.initDone ||= (live.ingest?.stats.tracks.length ?? 0) > 0;
      this.#noteStored(live.drive, ring, before);
    }
  }

  /** Counts the frames stored since `before` (each stream's last decode time then) into the drive's range. */
  #noteStored(drive: number, ring: SegmentStore, before: Map<string, number | null>): void {
    const { state, emit } = this.#ctx;
    const d = state.driveRecord(drive);
    let any = false;
    for (const [stream, prev] of before) {
      if (!ring.streams.includes(stream) || ring.lastDts(stream) === prev) continue;
      const spans = ring.spans(stream, { from: prev === null ? undefined : prev + 1 });
      const frames = spans.reduce((n, sp) => n + sp.frames, 0);
      if (frames === 0) continue;
      d.seen = hull([...(d.seen ? [d.seen] : []), ...spans]);
      any = true;
      emit('live', { stream, frames, until: spans[spans.length - 1]!.to });
    }
    if (any) state.saveSoon();
  }

  /** What the ring holds of a stream, from its own index. */
  spans(stream: string): Span[] {
    const ring = this.#store;
    if (!ring || !ring.streams.includes(stream)) return [];
    return ring.spans(stream, { maxGap: TIMELINE_MAX_GAP_MS }).map(({ from, to }) => ({ from, to }));
  }

  has(stream: string, from: number, to: number): boolean {
    return intersect([{ from, to }], this.spans(stream)).length > 0;
  }
}
