/**
 * Event detection from G-sensor samples. Each kind has a threshold and a minimum time
 * above it; the longitudinal and lateral signals are smoothed over a short window first
 * (a sensor's single-sample noise is not a manoeuvre). Debounced: once a kind fires it
 * re-arms only after its signal has stayed below the threshold for `rearmMs`, so one
 * incident gives one event.
 */
import type { GSample } from './gsensor.js';

export type EventKind = 'hard-brake' | 'hard-acceleration' | 'sharp-turn' | 'collision';

export interface DetectionOptions {
  /** longitudinal deceleration, g, held for minMs (default 0.4 g for 150 ms) */
  hardBrake?: { threshold?: number; minMs?: number };
  /** forward acceleration (default 0.35 g for 150 ms) */
  hardAcceleration?: { threshold?: number; minMs?: number };
  /** lateral acceleration either way (default 0.45 g for 200 ms) */
  sharpTurn?: { threshold?: number; minMs?: number };
  /** peak magnitude of the acceleration with gravity removed (default 2.5 g, any duration) */
  collision?: { threshold?: number };
  /** moving average over the longitudinal and lateral signals (default 50 ms) */
  smoothingMs?: number;
  /** quiet time before the same kind can fire again (default 2000 ms) */
  rearmMs?: number;
}

export interface Detection {
  kind: EventKind;
  /** when the incident began (the signal first crossed the threshold), µs */
  time: number;
  /** when it was recognised, µs */
  detectedAt: number;
  /** the largest value of the signal during the incident so far, g */
  peak: number;
}

interface Rule {
  kind: EventKind;
  threshold: number;
  minUs: number;
  value: (s: { x: number; y: number; mag: number }) => number;
  onset: number | null;
  peak: number;
  fired: boolean;
  quietSince: number | null;
}

export const DEFAULT_DETECTION: Required<{ [K in keyof DetectionOptions]-?: NonNullable<DetectionOptions[K]> }> = {
  hardBrake: { threshold: 0.4, minMs: 150 },
  hardAcceleration: { threshold: 0.35, minMs: 150 },
  sharpTurn: { threshold: 0.45, minMs: 200 },
  collision: { threshold: 2.5 },
  smoothingMs: 50,
  rearmMs: 2000,
};

export class EventDetector {
  #rules: Rule[];
  #window: Array<{ x: number; y: number }> = [];
  #sum = { x: 0, y: 0 };
  #n: number;
  #rearmUs: number;

  constructor(options: DetectionOptions = {}) {
    const o = { ...DEFAULT_DETECTION, ...options };
    const num = (v: number | undefined, d: number, what: string) => {
      const x = v ?? d;
      if (!(typeof x === 'number' && x >= 0 && Number.isFinite(x)))
        throw new RangeError(`detection ${what} must be a non-negative number, got ${v}`);
      return x;
    };
    const rule = (
      kind: EventKind,
      r: { threshold?: number; minMs?: number },
      d: { threshold?: number; minMs?: number },
      value: Rule['value'],
    ): Rule => ({
      kind,
      threshold: num(r.threshold, d.threshold!, `${kind}.threshold`),
      minUs: num(r.minMs, d.minMs ?? 0, `${kind}.minMs`) * 1000,
      value,
      onset: null,
      peak: 0,
      fired: false,
      quietSince: null,
    });
    this.#rules = [
      rule('collision', o.collision, DEFAULT_DETECTION.collision, (s) => s.mag),
      rule('hard-brake', o.hardBrake, DEFAULT_DETECTION.hardBrake, (s) => -s.x),
      rule('hard-acceleration', o.hardAcceleration, DEFAULT_DETECTION.hardAcceleration, (s) => s.x),
      rule('sharp-turn', o.sharpTurn, DEFAULT_DETECTION.sharpTurn, (s) => Math.abs(s.y)),
    ];
    this.#n = Math.max(1, Math.round(num(o.smoothingMs, 50, 'smoothingMs') / 10));
    this.#rearmUs = num(o.rearmMs, 2000, 'rearmMs') * 1000;
  }

  /** Feeds one sample (100 Hz); returns the events it completes. */
  push(s: GSample): Detection[] {
    this.#window.push({ x: s.x, y: s.y });
    this.#sum.x += s.x;
    this.#sum.y += s.y;
    if (this.#window.length > this.#n) {
      const old = this.#window.shift()!;
      this.#sum.x -= old.x;
      this.#sum.y -= old.y;
    }
    const k = this.#window.length;
    const smooth = {
      x: this.#sum.x / k,
      y: this.#sum.y / k,
      // Collisions are short: the raw magnitude, gravity (0, 0, 1) removed.
      mag: Math.hypot(s.x, s.y, s.z - 1),
    };
    const out: Detection[] = [];
    for (const r of this.#rules) {
      const v = r.value(smooth);
      if (v >= r.threshold) {
        r.quietSince = null;
        if (r.onset === null) {
          r.onset = s.t;
          r.peak = v;
        }
        r.peak = Math.max(r.peak, v);
        if (!r.fired && s.t - r.onset >= r.minUs) {
          r.fired = true;
          out.push({ kind: r.kind, time: r.onset, detectedAt: s.t, peak: Math.round(r.peak * 1000) / 1000 });
        }
      } else {
        if (!r.fired) r.onset = null;
        else {
          r.quietSince ??= s.t;
          if (s.t - r.quietSince >= this.#rearmUs) {
            r.fired = false;
            r.onset = null;
            r.quietSince = null;
          }
        }
      }
    }
    return out;
  }
}
