/**
 * Drive scenarios: a JSON script of what the vehicle does (speed changes, turns, potholes,
 * hard brakes, collisions) and how rough the road is. `DriveModel` turns it into the
 * vehicle's speed and distance (which the cameras see) and G-sensor samples at 100 Hz.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GSENSOR_PERIOD_US, Random, readGSensorCsv, type GSample } from './gsensor.js';
import { validateRouteStart, type RouteStart } from './route.js';

export type Step =
  /** ramp the speed to `to` km/h at `accel` g (default 0.15: normal driving) */
  | { at: number | string; type: 'speed'; to: number; accel?: number }
  /** a braking manoeuvre: like speed, at `decel` g (default 0.6: a hard brake) */
  | { at: number | string; type: 'brake'; to?: number; decel?: number }
  /** a turn: lateral acceleration peaking at `lateral` g (+ left, - right) over `duration` */
  | { at: number | string; type: 'turn'; lateral: number; duration?: number | string }
  /** a pothole: a vertical jolt of `depth` g (default 0.8) */
  | { at: number | string; type: 'pothole'; depth?: number }
  /** an impact of `peak` g lasting `duration` (default 60 ms); the speed becomes `to` (default 0) */
  | {
      at: number | string;
      type: 'collision';
      peak?: number;
      direction?: 'front' | 'rear' | 'left' | 'right';
      duration?: number | string;
      to?: number;
    };

export interface Scenario {
  name: string;
  description?: string;
  /** how long the drive lasts (default: 10 s after the last step) */
  duration?: number | string;
  /** seed of the road noise and random potholes */
  seed?: number;
  /** standard deviation of the vertical road noise at 50 km/h, g (default 0.04) */
  roadNoise?: number;
  /** random potholes: on average one every `every` while moving */
  potholes?: { every: number | string; depth?: number };
  /** repeat the steps every `period` until the duration is over (commutes with traffic lights) */
  repeat?: { period: number | string };
  steps: Step[];
  /** the events the device should detect (what the tests check) */
  expect?: Array<{ kind: string; at: number | string }>;
  /** replay the G-sensor from a CSV file (t,x,y,z) instead of synthesising it from the steps */
  gsensorCsv?: string;
  /** the car is parked (ignition off) for the whole scenario: the dashcam is in parking mode */
  parked?: boolean;
  /** where the drive starts and which way it heads (the GPS route; default: see route.ts) */
  route?: RouteStart;
}

/** Seconds from a number (seconds) or a string such as '90s', '30m', '1h', '250ms'. */
export function seconds(v: number | string | undefined, what: string, def?: number): number {
  if (v === undefined) {
    if (def === undefined) throw new Error(`${what} is missing`);
    return def;
  }
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(v) : null;
  if (!m) throw new Error(`${what} must be seconds or a duration such as '90s', '30m', '1h', got ${JSON.stringify(v)}`);
  const unit = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

/** Built-in scenario names. */
export const BUILT_IN = ['commute', 'hard-brake-collision', 'parked-bump'] as const;

/** Loads a scenario from a file path or a built-in name; validates it. */
export function loadScenario(fileOrName: string): Scenario {
  const path = existsSync(fileOrName) ? fileOrName : `${SCENARIO_DIR}${fileOrName}.json`;
  if (!existsSync(path))
    throw new Error(`no scenario '${fileOrName}': give a JSON file or one of ${BUILT_IN.join(', ')}`);
  const s = JSON.parse(readFileSync(path, 'utf8')) as Scenario;
  if (s.gsensorCsv && !s.gsensorCsv.startsWith('/')) s.gsensorCsv = new URL(s.gsensorCsv, `file://${path}`).pathname;
  return validateScenario(s);
}

const KINDS = new Set(['speed', 'brake', 'turn', 'pothole', 'collision']);

export function validateScenario(s: Scenario): Scenario {
  if (!s || typeof s !== 'object') throw new Error('a scenario is a JSON object with name and steps');
  if (typeof s.name !== 'string' || !s.name) throw new Error('scenario.name must be a non-empty string');
  if (!Array.isArray(s.steps)) throw new Error('scenario.steps must be an array (it may be empty)');
  s.steps.forEach((st, i) => {
    if (!st || !KINDS.has(st.type))
      throw new Error(`step ${i}: type must be one of ${[...KINDS].join(', ')}, got ${JSON.stringify(st?.type)}`);
    seconds(st.at, `step ${i}.at`);
    if (st.type === 'speed' && !(typeof st.to === 'number' && st.to >= 0 && st.to <= 250))
      throw new Error(`step ${i}: speed.to is km/h from 0 to 250`);
    if (st.type === 'turn' && !(typeof st.lateral === 'number' && Math.abs(st.lateral) <= 2))
      throw new Error(`step ${i}: turn.lateral is g from -2 to 2`);
  });
  if (s.duration !== undefined) seconds(s.duration, 'scenario.duration');
  if (s.repeat) seconds(s.repeat.period, 'scenario.repeat.period');
  if (s.potholes) seconds(s.potholes.every, 'scenario.potholes.every');
  if (s.route !== undefined) validateRouteStart(s.route);
  return s;
}

export function scenarioDuration(s: Scenario): number {
  if (s.duration !== undefined) return seconds(s.duration, 'duration');
  const last = Math.max(0, ...s.steps.map((st) => seconds(st.at, 'at')));
  return last + 10;
}

export interface VehicleState {
  speedKmh: number;
  distanceM: number;
}

interface Impulse {
  start: number;
  end: number;
  x: number;
  y: number;
  z: number;
  shape: 'sine' | 'pothole';
}

const G = 9.80665;

/** The vehicle and its G-sensor, stepped at 100 Hz of scenario time. */
export class DriveModel {
  readonly state: VehicleState = { speedKmh: 0, distanceM: 0 };
  #steps: Array<Step & { t: number }>;
  #next = 0;
  #t = 0; // seconds since the start
  #target = 0;
  #rate = 0.15; // g
  #impulses: Impulse[] = [];
  #rand: Random;
  #noise: number;
  #potholeRate: number;
  #potholeDepth: number;
  #csv: Array<{ dt: number; x: number; y: number; z: number }> | null = null;
  #csvIndex = 0;
  #period: number;
  #cycle = 0;
  #lateral = 0;

  /**
   * The lateral acceleration of the last step's manoeuvres (g, + left), without road or sensor
   * noise: what turns the car, so the GPS route bends where the G-sensor shows a turn.
   */
  get lateralG(): number {
    return this.#lateral;
  }

  constructor(
    readonly scenario: Scenario,
    initial?: Partial<VehicleState>,
  ) {
    this.#steps = scenario.steps.map((st) => ({ ...st, t: seconds(st.at, 'at') })).sort((a, b) => a.t - b.t);
    this.#rand = new Random(scenario.seed ?? 1);
    this.#noise = scenario.roadNoise ?? 0.04;
    this.#potholeRate = scenario.potholes ? 1 / Math.max(1, seconds(scenario.potholes.every, 'potholes.every')) : 0;
    this.#potholeDepth = scenario.potholes?.depth ?? 0.8;
    this.#period = scenario.repeat ? seconds(scenario.repeat.period, 'repeat.period') : Infinity;
    if (scenario.gsensorCsv) this.#csv = readGSensorCsv(scenario.gsensorCsv);
    Object.assign(this.state, initial);
    this.#target = this.state.speedKmh;
  }

  /** Advances 10 ms; returns the G-sensor sample for the end of that interval (t filled by the caller). */
  step(): Omit<GSample, 't'> {
    const dt = GSENSOR_PERIOD_US / 1e6;
    this.#t += dt;
    const t = this.#t;
    // Steps due (repeating scenarios start over every period).
    while (this.#steps.length) {
      if (this.#next >= this.#steps.length) {
        if (!Number.isFinite(this.#period)) break;
        if (t < (this.#cycle + 1) * this.#period) break;
        this.#cycle++;
        this.#next = 0;
      }
      const st = this.#steps[this.#next]!;
      if ((Number.isFinite(this.#period) ? this.#cycle * this.#period : 0) + st.t > t) break;
      this.#apply(st, t);
      this.#next++;
    }
    const v0 = this.state.speedKmh / 3.6;
    // Speed ramps toward the target at the current rate.
    let along = 0;
    if (this.state.speedKmh !== this.#target) {
      const dv = this.#rate * G * dt * 3.6; // km/h this step
      const before = this.state.speedKmh;
      this.state.speedKmh =
        this.#target > before ? Math.min(this.#target, before + dv) : Math.max(this.#target, before - dv);
      along = (this.state.speedKmh - before) / 3.6 / dt / G;
    }
    let x = along,
      y = 0,
      z = 0;
    if (this.#potholeRate && v0 > 2 && this.#rand.next() < this.#potholeRate * dt)
      this.#pothole(t, this.#potholeDepth * (0.6 + 0.4 * this.#rand.next()));
    this.#impulses = this.#impulses.filter((p) => p.end > t - dt);
    for (const p of this.#impulses) {
      if (t < p.start || t > p.end) continue;
      const phase = (t - p.start) / (p.end - p.start);
      const k =
        p.shape === 'sine'
          ? Math.sin(Math.PI * phase)
          : phase < 0.5
            ? Math.sin(2 * Math.PI * phase)
            : -0.6 * Math.sin(2 * Math.PI * (phase - 0.5));
      x += p.x * k;
      y += p.y * k;
      z += p.z * k;
    }
    this.#lateral = y;
    const v = this.state.speedKmh / 3.6;
    this.state.distanceM += ((v0 + v) / 2) * dt;
    // Road noise grows with speed; a parked car's sensor only has its own noise.
    const rough = this.#noise * Math.min(1.5, v / (50 / 3.6));
    const sensor = 0.004;
    if (this.#csv) {
      const want = Math.round(t * 1e6);
      while (this.#csvIndex + 1 < this.#csv.length && this.#csv[this.#csvIndex + 1]!.dt <= want) this.#csvIndex++;
      const s = this.#csv[this.#csvIndex]!;
      return { x: s.x, y: s.y, z: s.z };
    }
    return {
      x: x + this.#rand.normal() * (sensor + rough * 0.4),
      y: y + this.#rand.normal() * (sensor + rough * 0.4),
      z: 1 + z + this.#rand.normal() * (sensor + rough),
    };
  }

  #pothole(t: number, depth: number): void {
    this.#impulses.push({ start: t, end: t + 0.08, x: -0.25 * depth, y: 0, z: depth, shape: 'pothole' });
  }

  #apply(st: Step & { t: number }, t: number): void {
    switch (st.type) {
      case 'speed':
        this.#target = st.to;
        this.#rate = st.accel ?? 0.15;
        break;
      case 'brake':
        this.#target = st.to ?? 0;
        this.#rate = st.decel ?? 0.6;
        break;
      case 'turn': {
        const d = seconds(st.duration, 'turn.duration', 4);
        this.#impulses.push({ start: t, end: t + d, x: 0, y: st.lateral, z: 0, shape: 'sine' });
        break;
      }
      case 'pothole':
        this.#pothole(t, st.depth ?? 0.8);
        break;
      case 'collision': {
        const peak = st.peak ?? 4;
        const d = seconds(st.duration, 'collision.duration', 0.06);
        const dir = st.direction ?? 'front';
        const x = dir === 'front' ? -peak : dir === 'rear' ? peak : 0;
        const y = dir === 'left' ? -peak : dir === 'right' ? peak : 0;
        this.#impulses.push({ start: t, end: t + d, x, y, z: 0.3 * peak, shape: 'sine' });
        this.state.speedKmh = this.#target = st.to ?? 0;
        break;
      }
    }
  }
}
