/**
 * The app's storage budget (default 50 % of the phone): the ring, clips and gap-fill files
 * together stay within it. Over budget, gap fills go first (oldest first), then uploaded
 * clips (the cloud keeps them), then the ring shrinks; a clip not yet uploaded is never
 * dropped. Under budget, a ring that was shrunk grows back.
 */
import { rmSync } from 'node:fs';
import type { AppContext } from './app-context.js';
import {
  budgetBytes,
  DEFAULT_CLIP_RESERVE,
  parseBudget,
  ringCapacity,
  STORE_HEADER,
  type BudgetSetting,
} from './budget.js';
import type { ClipRecord, FillRecord } from './library.js';

export interface BudgetView {
  bytes: number;
  share: number;
  setting: BudgetSetting;
  used: number;
  ring: number;
  clips: number;
  fills: number;
  phoneStorage: number;
}

/** Hours of driving that fit, at the rate measured in the ring (null before any footage). */
export interface HoursThatFit {
  /** bytes the ring stores per second of driving (the streams the phone records) */
  bytesPerSecond: number | null;
  /** the ring as it is now */
  ring: number | null;
  /** the ring this budget gives when the clip reserve is free */
  budget: number | null;
  /** the part of the budget kept for clips and gap fills */
  clipReserveBytes: number;
}

export class StorageBudget {
  #ctx: AppContext;

  constructor(ctx: AppContext) {
    this.#ctx = ctx;
  }

  get #reserve(): number {
    return this.#ctx.options.clipReserve ?? DEFAULT_CLIP_RESERVE;
  }

  /** The budget in bytes and what uses it. */
  view(): BudgetView {
    const { settings } = this.#ctx.state;
    const bytes = this.bytes;
    return {
      bytes,
      share: bytes / settings.phoneStorage,
      setting: settings.budget,
      ...this.usage(),
      phoneStorage: settings.phoneStorage,
    };
  }

  get bytes(): number {
    const { settings } = this.#ctx.state;
    return budgetBytes(settings.phoneStorage, settings.budget);
  }

  usage(): { used: number; ring: number; clips: number; fills: number } {
    const { lib } = this.#ctx.state;
    const ring = this.#ctx.ring.capacity;
    const clips = lib.clips.filter((c) => c.file).reduce((n, c) => n + c.bytes, 0);
    const fills = lib.fills.reduce((n, f) => n + f.bytes, 0);
    return { used: ring + clips + fills, ring, clips, fills };
  }

  /** Hours of driving that fit in the ring and in the budget, at the rate measured in the ring. */
  hoursThatFit(): HoursThatFit {
    const store = this.#ctx.ring.store;
    const r = store?.retention();
    const rate = r?.bytesPerSecond ?? null;
    const full = this.ringCapacity();
    return {
      bytesPerSecond: rate,
      ring: r?.fullSeconds != null ? r.fullSeconds / 3600 : null,
      // The ring's segments hold what retention() measured; its 64 KiB header holds none.
      budget: rate ? (full - STORE_HEADER) / rate / 3600 : null,
      clipReserveBytes: this.bytes - full,
    };
  }

  /** The ring's size for the budget with the clip reserve free. */
  ringCapacity(): number {
    return ringCapacity(this.bytes, this.#reserve);
  }

  /** Changes the budget ('40%', 0.4, '2GiB', bytes). Shrinking drops the oldest drive footage first. */
  async set(value: string | number): Promise<BudgetView> {
    const { state, ring } = this.#ctx;
    state.settings.budget = parseBudget(value);
    state.saveSettings();
    const want = this.ringCapacity();
    if (ring.store && ring.capacity !== want) await ring.resize(want, this.bytes);
    await this.enforce();
    return this.view();
  }

  /** Keeps the phone within the budget (see the file comment). */
  async enforce(): Promise<void> {
    const { state, ring, cloud, emit } = this.#ctx;
    const budget = this.bytes;
    const over = () => this.usage().used - budget;
    while (over() > 0 && state.lib.fills.length) {
      const f = [...state.lib.fills].sort((a, b) => a.from - b.from)[0]!;
      this.#dropFill(f);
    }
    while (over() > 0) {
      const c = state.lib.clips
        .filter((x) => x.file && x.uploaded && !cloud.queue.has(x.id))
        .sort((a, b) => a.createdAt - b.createdAt)[0];
      if (!c) break;
      this.#evictClip(c);
    }
    if (over() > 0 && ring.store) {
      const u = this.usage();
      const room = budget - u.clips - u.fills;
      const seg = ring.segmentSize;
      const want = Math.max(4 * seg + STORE_HEADER, STORE_HEADER + Math.floor((room - STORE_HEADER) / seg) * seg);
      if (want < ring.capacity) await ring.resize(want, budget);
    }
    if (over() > 0) emit('storage-full', { used: this.usage().used, budget });
    else await this.#grow(budget);
    state.saveLibrary();
  }

  /**
   * The ring grows back when clips or fills that shrank it are gone (deleted, evicted) and
   * the budget has room: up to its size for this budget, never into the clip reserve still
   * in use. A resize copies the ring, so a partial step waits until it is worthwhile (an
   * eighth of the ring); reaching the budgeted size is always worth it.
   */
  async #grow(budget: number): Promise<void> {
    const { ring } = this.#ctx;
    if (!ring.store) return;
    const capacity = ring.capacity,
      seg = ring.segmentSize;
    const u = this.usage();
    const full = this.ringCapacity();
    const room = budget - u.clips - u.fills;
    const want = Math.min(full, STORE_HEADER + Math.floor((room - STORE_HEADER) / seg) * seg);
    if (want > capacity && (want === full || want - capacity >= Math.max(seg, capacity / 8)))
      await ring.resize(want, budget);
  }

  #dropFill(f: FillRecord): void {
    const { state, emit } = this.#ctx;
    rmSync(state.fillPath(f.file), { force: true });
    state.lib.fills = state.lib.fills.filter((x) => x !== f);
    emit('evicted', { what: 'fill', id: f.file, bytes: f.bytes });
  }

  /** Loop overwriting of a clip: only the phone copy goes; the cloud keeps it. */
  #evictClip(c: ClipRecord): void {
    if (!c.uploaded) throw new Error(`internal: clip ${c.id} is not uploaded and must not be evicted`);
    rmSync(this.#ctx.state.clipPath(c.file!), { force: true });
    this.#ctx.emit('evicted', { what: 'clip', id: c.id, bytes: c.bytes });
    c.file = null;
  }
}
