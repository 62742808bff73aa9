/**
 * Cameras: each takes pictures at its own size and frame rate and hands out access units
 * (Annex B) in decode order with their capture and decode times. A synthetic camera renders
 * a scene and encodes it with the built-in encoder (with B-frames if asked: then a picture
 * comes out one capture late, after the reference picture that follows it); a replay camera
 * loops an H.264 recording.
 */
import { readFileSync } from 'node:fs';
import { parseAnnexB, type AccessUnit } from 'ringclip';
import { SyntheticH264Encoder } from './h264/encoder.js';
import { CabinScene, RoadScene, type Scene, type SceneState } from './render/scene.js';

export interface CameraOptions {
  /** the store stream it records into: 'road' or 'cabin' (or any name) */
  name: string;
  width?: number;
  height?: number;
  fps?: number;
  /** seconds between IDR pictures (default 1) */
  gopSeconds?: number;
  /** what it looks at: 'road' or 'cabin' (default: the name when it is one of them, else 'road') */
  scene?: 'road' | 'cabin';
  /** replay an H.264 (Annex B) file in a loop instead of rendering */
  replay?: string;
  /**
   * B pictures between reference pictures, 0 (default) or 1: Main profile, decode order
   * differs from capture order (a synthetic camera only; never in a parking timelapse)
   */
  bFrames?: 0 | 1;
}

export const CAMERA_DEFAULTS: Record<string, Required<Pick<CameraOptions, 'width' | 'height' | 'fps'>>> = {
  road: { width: 1280, height: 720, fps: 30 },
  cabin: { width: 640, height: 360, fps: 15 },
};

export interface Picture {
  stream: string;
  /** capture time, µs since the epoch */
  pts: number;
  /** decode time, µs: pts, or up to one capture earlier with B-frames; strictly increasing */
  dts: number;
  data: Buffer;
  idr: boolean;
}

/** An access unit from a camera's source, before its times are set. */
interface Unit {
  data: Buffer;
  idr: boolean;
  /** it shows the capture before the current one (a B picture, or one held for it) */
  previous: boolean;
  /** times the source set itself (a replayed recording's own order), instead of the capture's */
  times?: { pts: number; dts: number };
}

export interface Camera {
  readonly name: string;
  readonly fps: number;
  readonly width: number;
  readonly height: number;
  /**
   * Starts a new recording at `startUs` (the next picture is a key frame). A picture held
   * for B-frames comes out of the next capture() first.
   */
  start(startUs: number): void;
  /** Capture time of the next picture. */
  readonly nextPts: number;
  /** Takes the next picture; returns the pictures complete now, in decode order (none to three). */
  capture(state: Omit<SceneState, 'timeUs'>): Picture[];
  /** The picture held for B-frames, if any (coded as P): before a stop. */
  flush(): Picture[];
  /** Makes the next picture a key frame (after a picture could not be stored). */
  requestKeyframe(): void;
  /**
   * Parking timelapse: from `startUs`, one picture every `intervalUs` (a key frame first, then
   * one every GOP's worth of pictures: a parked scene barely changes, so the pictures between
   * cost little); null: back to the camera's own rate. Either way the next picture is a key frame.
   */
  setTimelapse(intervalUs: number | null, startUs: number): void;
  readonly timelapse: boolean;
  /** Encoder statistics: pictures captured; IDR pictures and bytes handed out. */
  readonly stats: { pictures: number; idr: number; bytes: number; encodeMs: number };
}

abstract class BaseCamera implements Camera {
  readonly stats = { pictures: 0, idr: 0, bytes: 0, encodeMs: 0 };
  protected index = 0;
  protected startUs = 0;
  protected intervalUs: number | null = null;
  /** Capture times of the last captures: [count of captures before the first, ...times]. */
  #captures: number[] = [];
  #captured = 0;
  /** Pictures handed out (their decode order). */
  #decoded = 0;
  #lastDts = -Infinity;
  /** Decode times run one capture behind capture times (since the recording's first B picture). */
  #delayed = false;
  /** Pictures flushed by start(), handed out by the next capture(). */
  #queue: Picture[] = [];
  constructor(
    readonly name: string,
    readonly fps: number,
    readonly width: number,
    readonly height: number,
  ) {}
  /** Decode time of the last picture handed out (-Infinity before the first). */
  protected get lastDts(): number {
    return this.#lastDts;
  }
  /** The pictures are reordered now (B-frames, not a timelapse). */
  protected get reordering(): boolean {
    return false;
  }
  start(startUs: number): void {
    this.#queue.push(...this.flush());
    // Decode times only move forward (a picture flushed just now may decode before it is shown).
    if (this.reordering && startUs <= this.#lastDts) startUs = this.#lastDts + 1;
    this.startUs = startUs;
    this.index = 0;
    this.#delayed = false;
  }
  setTimelapse(intervalUs: number | null, startUs: number): void {
    if (intervalUs !== null && !(intervalUs >= 1e6 / this.fps))
      throw new RangeError(
        `a timelapse interval is at least one frame (${Math.round(1e6 / this.fps)} µs), got ${intervalUs}`,
      );
    this.intervalUs = intervalUs;
    this.start(startUs);
  }
  get timelapse(): boolean {
    return this.intervalUs !== null;
  }
  get nextPts(): number {
    return (
      this.startUs +
      (this.intervalUs !== null ? this.index * this.intervalUs : Math.round((this.index * 1e6) / this.fps))
    );
  }
  capture(state: Omit<SceneState, 'timeUs'>): Picture[] {
    const pts = this.nextPts;
    const t0 = performance.now();
    const units = this.take({ ...state, timeUs: pts });
    this.stats.encodeMs += performance.now() - t0;
    this.stats.pictures++;
    this.#captures.push(pts);
    this.#captured++;
    if (this.#captures.length > 3) this.#captures.shift();
    this.index++;
    const out = this.#queue;
    this.#queue = [];
    for (const u of units) out.push(this.#stamp(u));
    return out;
  }
  flush(): Picture[] {
    return this.flushUnits().map((u) => this.#stamp(u));
  }
  /**
   * Decode times. A recording starts with decode time = capture time (its key frame is shown
   * when it is decoded: an HLS of the drive presents from 0). From its first B picture on, the
   * picture decoded k-th takes the capture time of the (k-1)-th capture: a reference picture
   * comes out one capture early, a B picture at its own capture time, so times strictly
   * increase and no picture is decoded after it is shown. The reference picture decoded
   * before that first B picture takes the time halfway between its neighbours.
   */
  #stamp(u: Unit): Picture {
    if (u.times) {
      this.#decoded++;
      this.#lastDts = u.times.dts;
      if (u.idr) this.stats.idr++;
      this.stats.bytes += u.data.length;
      return { stream: this.name, pts: u.times.pts, dts: u.times.dts, data: u.data, idr: u.idr };
    }
    const captured = this.#captured;
    /** capture time of the k-th capture (k >= captured - 3) */
    const capture = (k: number) => this.#captures[this.#captures.length - (captured - k)]!;
    const pts = this.#captures[this.#captures.length - (u.previous ? 2 : 1)]!;
    const k = this.#decoded;
    let dts = pts;
    if (this.reordering) {
      if (this.#delayed) dts = capture(k - 1);
      else if (pts !== capture(k)) {
        // Decoded ahead of the B picture (capture k) that follows it.
        dts = Math.ceil((this.#lastDts + capture(k)) / 2);
        this.#delayed = true;
      }
    }
    this.#decoded++;
    this.#lastDts = dts;
    if (u.idr) this.stats.idr++;
    this.stats.bytes += u.data.length;
    return { stream: this.name, pts, dts, data: u.data, idr: u.idr };
  }
  protected abstract take(state: SceneState): Unit[];
  protected flushUnits(): Unit[] {
    return [];
  }
  abstract requestKeyframe(): void;
}

/** Renders its scene and encodes it with the synthetic H.264 encoder. */
export class SyntheticCamera extends BaseCamera {
  readonly scene: Scene;
  readonly encoder: SyntheticH264Encoder;
  private fresh = true;
  private forceIdr = false;
  constructor(
    name: string,
    options: {
      width: number;
      height: number;
      fps: number;
      gopSeconds: number;
      scene: 'road' | 'cabin';
      bFrames?: 0 | 1;
    },
  ) {
    super(name, options.fps, options.width, options.height);
    this.scene =
      options.scene === 'cabin'
        ? new CabinScene(name, options.width, options.height)
        : new RoadScene(name, options.width, options.height);
    this.encoder = new SyntheticH264Encoder({
      width: options.width,
      height: options.height,
      fps: options.fps,
      gop: Math.max(1, Math.round(options.gopSeconds * options.fps)),
      bFrames: options.bFrames ?? 0,
    });
  }
  protected override get reordering(): boolean {
    return (this.encoder.options.bFrames ?? 0) > 0 && !this.timelapse;
  }
  override start(startUs: number): void {
    super.start(startUs);
    this.fresh = true;
  }
  requestKeyframe(): void {
    this.forceIdr = true;
  }
  protected take(state: SceneState): Unit[] {
    let dirty;
    if (this.fresh) {
      this.scene.renderFull(state);
      dirty = 'all' as const;
    } else dirty = this.scene.render(state);
    // A timelapse's pictures are each shown alone: no B pictures (and no reorder delay).
    const pics = this.encoder.encode(this.scene.frame, dirty, this.fresh || this.forceIdr, !this.timelapse);
    this.fresh = false;
    this.forceIdr = false;
    return pics;
  }
  protected override flushUnits(): Unit[] {
    return this.encoder.flush();
  }
}

/**
 * Loops an Annex B recording (a new recording starts at its first IDR), its access units
 * found and ordered by the engine (parseAnnexB): each pass of the file hands them out in
 * decode order, one a capture, timed as the store times a raw stream — unit u is shown at
 * base + u.presentation frames and decoded at base + (u.decode − reorder depth) frames — so
 * a recording with B-frames keeps its own presentation order, and decode times never pass
 * presentation times.
 */
export class ReplayCamera extends BaseCamera {
  private readonly units: AccessUnit[];
  private readonly depth: number;
  private next = 0;
  /** µs: where the current pass's first unit is shown */
  private base = 0;
  /** the latest presentation time handed out: a unit after a skip must come later */
  private lastPts = -Infinity;
  constructor(name: string, file: string, fps: number) {
    const stream = parseAnnexB(readFileSync(file));
    const first = stream.units.findIndex((u) => u.idr);
    if (first < 0) throw new Error(`${file} has no IDR picture: a camera cannot replay it`);
    super(name, fps, 0, 0);
    // Every unit before an IDR is shown before it: from the first IDR on, both orders start at 0.
    this.units = stream.units
      .slice(first)
      .map((u) => ({ ...u, decode: u.decode - first, presentation: u.presentation - first }));
    this.depth = stream.reorderDepth;
  }
  /** µs between pictures: the frame rate's, or a parking timelapse's interval */
  private get step(): number {
    return this.intervalUs ?? 1e6 / this.fps;
  }
  private at(frames: number): number {
    return this.base + Math.round(frames * this.step);
  }
  override start(startUs: number): void {
    // A recording's first decode time lies `depth` pictures before it is shown: after the
    // last one; and its first picture is shown after every picture of the last recording.
    const earliest = Math.max(this.lastDts + 1 + Math.ceil(this.depth * this.step), this.lastPts + 1);
    super.start(Number.isFinite(earliest) ? Math.max(startUs, earliest) : startUs);
    this.next = 0;
    this.base = this.startUs;
  }
  requestKeyframe(): void {
    const from = this.next;
    while (!this.units[this.next]!.idr) this.next = (this.next + 1) % this.units.length;
    if (this.next === from) return;
    // The IDR takes the place of the unit it skips (as if it came next in this pass), later
    // if a picture already handed out is shown after that.
    const b = this.units[this.next]!;
    this.base += Math.round((from - this.next) * this.step);
    const pts = this.at(b.presentation);
    if (pts <= this.lastPts) this.base += this.lastPts + 1 - pts;
    const dts = this.at(b.decode - this.depth);
    if (dts <= this.lastDts) this.base += this.lastDts + 1 - dts;
  }
  protected take(): Unit[] {
    const u = this.units[this.next]!;
    const times = { pts: this.at(u.presentation), dts: this.at(u.decode - this.depth) };
    this.lastPts = Math.max(this.lastPts, times.pts);
    this.next++;
    if (this.next === this.units.length) {
      // The next pass starts where this one's pictures end.
      this.base = this.at(this.units.length);
      this.next = 0;
    }
    return [
      { data: Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength), idr: u.idr, previous: false, times },
    ];
  }
}

export function createCamera(options: CameraOptions): Camera {
  const defaults = CAMERA_DEFAULTS[options.name] ?? CAMERA_DEFAULTS.road!;
  const fps = options.fps ?? defaults.fps;
  if (!(typeof fps === 'number' && fps > 0 && fps <= 120))
    throw new RangeError(`camera '${options.name}': fps must be from 0 to 120, got ${fps}`);
  const bFrames = options.bFrames ?? 0;
  if (bFrames !== 0 && bFrames !== 1)
    throw new RangeError(`camera '${options.name}': bFrames must be 0 or 1, got ${String(bFrames)}`);
  if (options.replay) {
    // A replayed file keeps its own picture types and order (B-frames if it has them).
    if (bFrames) throw new RangeError(`camera '${options.name}': bFrames is for synthetic cameras, not replay`);
    return new ReplayCamera(options.name, options.replay, fps);
  }
  const scene = options.scene ?? (options.name === 'cabin' ? 'cabin' : 'road');
  return new SyntheticCamera(options.name, {
    width: options.width ?? defaults.width,
    height: options.height ?? defaults.height,
    fps,
    gopSeconds: options.gopSeconds ?? 1,
    scene,
    bFrames,
  });
}
