/**
 * The G-sensor: a 3-axis accelerometer sampled at 100 Hz, in g, in the vehicle's frame
 * (x forward, y left, z up; at rest it reads (0, 0, 1)). Samples come from a drive
 * scenario (see scenario.ts) or from a CSV recording.
 */
import { readFileSync } from 'node:fs';

export const GSENSOR_HZ = 100;
export const GSENSOR_PERIOD_US = 1e6 / GSENSOR_HZ;

export interface GSample {
  /** µs since the epoch */
  t: number;
  x: number;
  y: number;
  z: number;
}

/** A seeded PRNG (mulberry32) with a normal deviate, so scenarios replay identically. */
export class Random {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    const u = Math.max(1e-12, this.next()),
      v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/**
 * A CSV recording: a header line naming columns `t` (seconds from the start), `x`, `y`,
 * `z` (g), then one sample per line. Returned with t relative (µs from the start).
 */
export function readGSensorCsv(path: string): Array<{ dt: number; x: number; y: number; z: number }> {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() && !l.startsWith('#'));
  if (lines.length === 0) throw new Error(`${path}: no samples`);
  const head = lines[0]!.split(',').map((s) => s.trim().toLowerCase());
  const hasHeader = head.includes('x');
  const col = (name: string, def: number) => (hasHeader ? head.indexOf(name) : def);
  const [ct, cx, cy, cz] = [col('t', 0), col('x', 1), col('y', 2), col('z', 3)];
  if ([ct, cx, cy, cz].some((c) => c < 0)) throw new Error(`${path}: the header must name columns t, x, y, z`);
  return lines.slice(hasHeader ? 1 : 0).map((line, i) => {
    const f = line.split(',').map(Number);
    const s = { dt: Math.round(f[ct]! * 1e6), x: f[cx]!, y: f[cy]!, z: f[cz]! };
    if (![s.dt, s.x, s.y, s.z].every(Number.isFinite))
      throw new Error(`${path}: line ${i + (hasHeader ? 2 : 1)} is not four numbers`);
    return s;
  });
}

/** Writes samples as CSV (t in seconds from the first sample). */
export function gSensorCsv(samples: GSample[]): string {
  const t0 = samples[0]?.t ?? 0;
  return `t,x,y,z\n${samples.map((s) => `${((s.t - t0) / 1e6).toFixed(2)},${s.x.toFixed(4)},${s.y.toFixed(4)},${s.z.toFixed(4)}`).join('\n')}\n`;
}
