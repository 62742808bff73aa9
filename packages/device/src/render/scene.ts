/**
 * The pictures the synthetic cameras see. A scene draws its static parts once and then,
 * per picture, redraws only what moves (the moving pattern and the burned-in text),
 * reporting those areas so the encoder looks only there for changed macroblocks.
 */
import { drawText, GLYPH_H, GLYPH_W, textSize } from './font.js';
import { fillRect, rgb, YuvFrame, type Rect } from './frame.js';

/** What the camera knows when it takes a picture. */
export interface SceneState {
  /** capture time, µs since the epoch */
  timeUs: number;
  /** distance the vehicle has travelled, metres (drives the motion) */
  distanceM: number;
  speedKmh: number;
}

export interface Scene {
  readonly frame: YuvFrame;
  /** Draws the whole picture (the first one, or after a configuration change). */
  renderFull(state: SceneState): void;
  /** Draws the next picture; returns the areas that may have changed. */
  render(state: SceneState): Rect[];
}

/** '2026-01-01 08:00:00.033 UTC' */
export function clockText(timeUs: number): string {
  return `${new Date(Math.floor(timeUs / 1000)).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

const WHITE = rgb(240, 240, 240);
const BLACK = rgb(10, 10, 10);

/**
 * The camera's name, the capture time and the speed, on a dark box in the top-left corner.
 * Only the characters that changed since the previous picture are redrawn (mostly the
 * clock's last digits), and only their cells are reported as changed.
 */
class Overlay {
  readonly scale: number;
  readonly rect: Rect;
  private lines: number;
  private prev: string[] | null = null;
  constructor(
    readonly name: string,
    frame: YuvFrame,
  ) {
    this.scale = Math.max(1, Math.round(frame.width / 420));
    const sample = `${name.toUpperCase()} ${clockText(0)}`;
    const line = textSize(`${sample} 000 KM/H`, this.scale);
    const pad = 2 * this.scale;
    // Two lines when one does not fit.
    this.lines = line.w + 4 * pad > frame.width ? 2 : 1;
    const w = Math.min(frame.width, line.w + 4 * pad);
    this.rect = { x: 0, y: 0, w, h: this.lines * (line.h + 3 * this.scale) + 2 * pad };
  }
  /** The next draw repaints everything. */
  reset(): void {
    this.prev = null;
  }
  draw(f: YuvFrame, state: SceneState): Rect[] {
    const s = this.scale,
      pad = 2 * s,
      cell = (GLYPH_W + 1) * s,
      lineH = (GLYPH_H + 3) * s;
    const name = this.name.toUpperCase();
    const time = clockText(state.timeUs);
    const speed = `${String(Math.round(state.speedKmh)).padStart(3, ' ')} KM/H`;
    const text = this.lines === 1 ? [`${name} ${time} ${speed}`] : [`${name} ${speed}`, time];
    if (!this.prev) {
      const r = this.rect;
      fillRect(f, r.x, r.y, r.w, r.h, BLACK);
      text.forEach((t, i) => drawText(f, t, pad * 2, pad * 2 + i * lineH, s, WHITE));
      this.prev = text;
      return [r];
    }
    const dirty: Rect[] = [];
    text.forEach((t, i) => {
      const old = this.prev![i];
      const y = pad * 2 + i * lineH;
      for (let k = 0; k < Math.max(t.length, old.length); k++) {
        if (t[k] === old[k]) continue;
        const x = pad * 2 + k * cell;
        const r = { x, y, w: cell, h: GLYPH_H * s };
        fillRect(f, r.x, r.y, r.w, r.h, BLACK);
        if (t[k]) drawText(f, t[k], x, y, s, WHITE);
        dirty.push(r);
      }
    });
    this.prev = text;
    return dirty;
  }
}

/** A road ahead with dashed centre marks that move with the distance driven. */
export class RoadScene implements Scene {
  readonly frame: YuvFrame;
  private overlay: Overlay;
  private horizon: number;
  private hood: number;
  private band: Rect;
  private focal: number;
  private roadColor = rgb(90, 90, 95);
  private grass = rgb(60, 120, 50);

  constructor(
    readonly name: string,
    width: number,
    height: number,
  ) {
    this.frame = new YuvFrame(width, height);
    this.overlay = new Overlay(name, this.frame);
    this.horizon = Math.round(height * 0.42);
    this.hood = Math.round(height * 0.9);
    this.focal = width * 0.8;
    // The centre marks live in a macroblock-aligned band: the only area that moves.
    const half = Math.max(16, Math.ceil((width * 0.03) / 16) * 16);
    const x = Math.max(0, Math.floor((width / 2 - half) / 16) * 16);
    this.band = { x, y: this.horizon, w: Math.min(width - x, 2 * half), h: this.hood - this.horizon };
  }

  private roadHalfWidth(y: number): number {
    return ((y - this.horizon) / (this.frame.height - this.horizon)) * this.frame.width * 0.48;
  }

  renderFull(state: SceneState): void {
    const f = this.frame,
      W = f.width,
      H = f.codedHeight;
    for (let y = 0; y < this.horizon; y++) {
      const t = y / this.horizon;
      fillRect(f, 0, y, W, 1, rgb(70 + 100 * t, 120 + 90 * t, 200 + 40 * t));
    }
    const grass = this.grass;
    for (let y = this.horizon; y < H; y++) {
      fillRect(f, 0, y, W, 1, grass);
      const hw = this.roadHalfWidth(y);
      fillRect(f, W / 2 - hw, y, 2 * hw, 1, this.roadColor);
      const edge = Math.max(1, hw * 0.02);
      fillRect(f, W / 2 - hw, y, edge, 1, WHITE);
      fillRect(f, W / 2 + hw - edge, y, edge, 1, WHITE);
    }
    fillRect(f, 0, this.hood, W, H - this.hood, rgb(30, 30, 35));
    this.overlay.reset();
    this.render(state);
  }

  render(state: SceneState): Rect[] {
    const f = this.frame,
      W = f.width,
      b = this.band;
    const camHeight = 1.3,
      period = 12,
      dash = 3;
    for (let y = b.y; y < b.y + b.h; y++) {
      const hw = this.roadHalfWidth(y);
      fillRect(f, b.x, y, b.w, 1, this.grass);
      fillRect(f, Math.max(b.x, W / 2 - hw), y, Math.min(b.w, 2 * hw), 1, this.roadColor);
      if (y === this.horizon) continue;
      const z = (this.focal * camHeight) / (y - this.horizon); // metres ahead
      const along = (((z + state.distanceM) % period) + period) % period;
      if (along < dash) {
        const w = Math.max(1, hw * 0.03);
        fillRect(f, W / 2 - w, y, 2 * w, 1, WHITE);
      }
    }
    return [b, ...this.overlay.draw(f, state)];
  }
}

/** The cabin: seats and a steering wheel, scenery passing the side window. */
export class CabinScene implements Scene {
  readonly frame: YuvFrame;
  private overlay: Overlay;
  private window: Rect;

  constructor(
    readonly name: string,
    width: number,
    height: number,
  ) {
    this.frame = new YuvFrame(width, height);
    this.overlay = new Overlay(name, this.frame);
    const top = Math.ceil((this.overlay.rect.h + 4) / 16) * 16;
    this.window = { x: 0, y: top, w: width, h: Math.max(16, Math.round((height * 0.25) / 16) * 16) };
  }

  renderFull(state: SceneState): void {
    const f = this.frame,
      W = f.width,
      H = f.codedHeight;
    fillRect(f, 0, 0, W, H, rgb(45, 45, 60));
    const seat = rgb(110, 70, 50);
    const seatTop = this.window.y + this.window.h + Math.round(H * 0.08);
    fillRect(f, W * 0.12, seatTop, W * 0.26, H - seatTop, seat);
    fillRect(f, W * 0.62, seatTop, W * 0.26, H - seatTop, seat);
    fillRect(f, W * 0.15, seatTop - H * 0.06, W * 0.2, H * 0.06, rgb(90, 60, 45)); // headrests
    fillRect(f, W * 0.65, seatTop - H * 0.06, W * 0.2, H * 0.06, rgb(90, 60, 45));
    // steering wheel: a ring
    const cx = W * 0.25,
      cy = H * 0.8,
      r = H * 0.16,
      t = Math.max(2, H * 0.025);
    for (let y = Math.floor(cy - r); y <= cy + r; y++) {
      const dy = y - cy;
      const outer = Math.sqrt(Math.max(0, r * r - dy * dy));
      const ri = r - t;
      const inner = Math.abs(dy) < ri ? Math.sqrt(ri * ri - dy * dy) : 0;
      if (inner > 0) {
        fillRect(f, cx - outer, y, outer - inner, 1, BLACK);
        fillRect(f, cx + inner, y, outer - inner, 1, BLACK);
      } else fillRect(f, cx - outer, y, 2 * outer, 1, BLACK);
    }
    this.overlay.reset();
    this.render(state);
  }

  render(state: SceneState): Rect[] {
    const f = this.frame,
      w = this.window;
    fillRect(f, w.x, w.y, w.w, w.h, rgb(150, 190, 230));
    const pxPerM = f.width / 20; // 20 m of roadside across the window
    const period = 8 * pxPerM;
    const shift = (state.distanceM * pxPerM) % period;
    for (let x = -shift; x < w.w; x += period) {
      fillRect(f, x, w.y + w.h * 0.3, Math.max(2, pxPerM * 0.6), w.h * 0.7, rgb(60, 50, 40)); // a pole
      fillRect(f, x + period / 2, w.y + w.h * 0.5, pxPerM * 2, w.h * 0.5, rgb(40, 110, 40)); // a bush
    }
    return [w, ...this.overlay.draw(f, state)];
  }
}
