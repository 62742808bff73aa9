/**
 * Cameras: each takes pictures at its own size and frame rate and hands out access units
 * (Annex B) with their capture times. A synthetic camera renders a scene and encodes it
 * with the built-in encoder; a replay camera loops an H.264 recording.
 */
import { readFileSync } from 'node:fs';
import { splitAccessUnits, type AccessUnit } from './h264/annexb.js';
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
}

export const CAMERA_DEFAULTS: Record<string, Required<Pick<CameraOptions, 'width' | 'height' | 'fps'>>> = {
  road: { width: 1280, height: 720, fps: 30 },
  cabin: { width: 640, height: 360, fps: 15 },
};

export interface Picture {
  stream: string;
  /** capture time, µs since the epoch */
  pts: number;
  data: Buffer;
  idr: boolean;
}

export interface Camera {
  readonly name: string;
  readonly fps: number;
  readonly width: number;
  readonly height: number;
  /** Starts a new recording at `startUs` (the next picture is a key frame). */
  start(startUs: number): void;
  /** Capture time of the next picture. */
  readonly nextPts: number;
  /** Takes the next picture. */
  capture(state: Omit<SceneState, 'timeUs'>): Picture;
  /** Makes the next picture a key frame (after a picture could not be stored). */
  requestKeyframe(): void;
  /**
   * Parking timelapse: from `startUs`, one picture every `intervalUs` (a key frame first, then
   * one every GOP's worth of pictures: a parked scene barely changes, so the pictures between
   * cost little); null: back to the camera's own rate. Either way the next picture is a key frame.
   */
  setTimelapse(intervalUs: number | null, startUs: number): void;
  readonly timelapse: boolean;
  /** Encoder statistics. */
  readonly stats: { pictures: number; idr: number; bytes: number; encodeMs: number };
}

abstract class BaseCamera implements Camera {
  readonly stats = { pictures: 0, idr: 0, bytes: 0, encodeMs: 0 };
  protected index = 0;
  protected startUs = 0;
  protected intervalUs: number | null = null;
  constructor(
    readonly name: string,
    readonly fps: number,
    readonly width: number,
    readonly height: number,
  ) {}
  start(startUs: number): void {
    this.startUs = startUs;
    this.index = 0;
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
  capture(state: Omit<SceneState, 'timeUs'>): Picture {
    const pts = this.nextPts;
    const t0 = performance.now();
    const { data, idr } = this.take({ ...state, timeUs: pts });
    this.stats.encodeMs += performance.now() - t0;
    this.stats.pictures++;
    if (idr) this.stats.idr++;
    this.stats.bytes += data.length;
    this.index++;
    return { stream: this.name, pts, data, idr };
  }
  protected abstract take(state: SceneState): { data: Buffer; idr: boolean };
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
    options: { width: number; height: number; fps: number; gopSeconds: number; scene: 'road' | 'cabin' },
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
    });
  }
  override start(startUs: number): void {
    super.start(startUs);
    this.fresh = true;
  }
  requestKeyframe(): void {
    this.forceIdr = true;
  }
  protected take(state: SceneState): { data: Buffer; idr: boolean } {
    let dirty;
    if (this.fresh) {
      this.scene.renderFull(state);
      dirty = 'all' as const;
    } else dirty = this.scene.render(state);
    const pic = this.encoder.encode(this.scene.frame, dirty, this.fresh || this.forceIdr);
    this.fresh = false;
    this.forceIdr = false;
    return pic;
  }
}

/** Loops an Annex B recording (a new recording starts at its first IDR). */
export class ReplayCamera extends BaseCamera {
  private units: AccessUnit[];
  private next = 0;
  constructor(name: string, file: string, fps: number) {
    const units = splitAccessUnits(readFileSync(file));
    const first = units.findIndex((u) => u.idr);
    if (first < 0) throw new Error(`${file} has no IDR picture: a camera cannot replay it`);
    super(name, fps, 0, 0);
    this.units = units.slice(first);
  }
  override start(startUs: number): void {
    super.start(startUs);
    this.next = 0;
  }
  requestKeyframe(): void {
    while (!this.units[this.next]!.idr) this.next = (this.next + 1) % this.units.length;
  }
  protected take(): { data: Buffer; idr: boolean } {
    const u = this.units[this.next]!;
    this.next = (this.next + 1) % this.units.length;
    return u;
  }
}

export function createCamera(options: CameraOptions): Camera {
  const defaults = CAMERA_DEFAULTS[options.name] ?? CAMERA_DEFAULTS.road!;
  const fps = options.fps ?? defaults.fps;
  if (!(typeof fps === 'number' && fps > 0 && fps <= 120))
    throw new RangeError(`camera '${options.name}': fps must be from 0 to 120, got ${fps}`);
  if (options.replay) return new ReplayCamera(options.name, options.replay, fps);
  const scene = options.scene ?? (options.name === 'cabin' ? 'cabin' : 'road');
  return new SyntheticCamera(options.name, {
    width: options.width ?? defaults.width,
    height: options.height ?? defaults.height,
    fps,
    gopSeconds: options.gopSeconds ?? 1,
    scene,
  });
}
