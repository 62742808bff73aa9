/**
 * The G-sensor and event detection, without video: scripted scenarios give exactly the
 * scripted events, and normal driving (an hour of it, with potholes) gives none.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DriveModel,
  EventDetector,
  gSensorCsv,
  loadScenario,
  scenarioDuration,
  type Detection,
  type GSample,
  type Scenario,
} from '../src/index.js';
import { seconds } from '../src/scenario.js';
import { scratch, T0 } from './helpers.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

/** Drives the G-sensor alone through a scenario; returns the detections and the samples. */
function drive(
  s: Scenario,
  options: ConstructorParameters<typeof EventDetector>[0] = {},
  keep = false,
): { events: Detection[]; samples: GSample[] } {
  const model = new DriveModel(s);
  const det = new EventDetector(options);
  const events: Detection[] = [];
  const samples: GSample[] = [];
  const n = Math.round(scenarioDuration(s) * 100);
  for (let i = 1; i <= n; i++) {
    const g = { t: T0 + i * 10_000, ...model.step() };
    if (keep) samples.push(g);
    events.push(...det.push(g));
  }
  return { events, samples };
}

function expectScripted(s: Scenario, events: Detection[]): void {
  const want = (s.expect ?? []).map((e) => ({ kind: e.kind, at: seconds(e.at, 'at') }));
  expect(events.map((e) => e.kind)).toEqual(want.map((w) => w.kind));
  events.forEach((e, i) => {
    const at = (e.time - T0) / 1e6;
    expect(Math.abs(at - want[i]!.at), `${e.kind} at ${at} s`).toBeLessThan(0.5);
  });
}

describe('event detection', () => {
  it('the built-in hard-brake-collision scenario gives exactly its scripted events', () => {
    const s = loadScenario('hard-brake-collision');
    const { events } = drive(s);
    expectScripted(s, events);
    expect(events[1]!.peak).toBeGreaterThanOrEqual(2.5);
  });

  it('the built-in commute (30 minutes, potholes, traffic lights, turns) gives none', () => {
    const { events } = drive(loadScenario('commute'));
    expect(events).toEqual([]);
  });

  it('a one-hour normal drive with frequent potholes and rough road gives no false events', () => {
    const s: Scenario = {
      name: 'hour',
      duration: '1h',
      seed: 99,
      roadNoise: 0.06,
      potholes: { every: '20s', depth: 1.2 },
      repeat: { period: '150s' },
      steps: [
        { at: 0, type: 'speed', to: 50, accel: 0.25 },
        { at: 20, type: 'speed', to: 90, accel: 0.2 },
        { at: 40, type: 'turn', lateral: 0.35, duration: 3 },
        { at: 50, type: 'pothole', depth: 1.6 },
        { at: 60, type: 'speed', to: 0, accel: 0.3 },
        { at: 80, type: 'speed', to: 30, accel: 0.3 },
        { at: 95, type: 'turn', lateral: -0.38, duration: 2 },
        { at: 110, type: 'speed', to: 0, accel: 0.3 },
      ],
    };
    const { events } = drive(s);
    expect(events).toEqual([]);
  });

  it('hard acceleration and sharp turns, one event per incident (debounced)', () => {
    const s: Scenario = {
      name: 'mixed',
      duration: 70,
      seed: 3,
      steps: [
        { at: 1, type: 'speed', to: 80, accel: 0.5 }, // a hard acceleration lasting ~4.5 s: one event
        { at: 15, type: 'turn', lateral: 0.6, duration: 3 }, // a sharp left
        { at: 25, type: 'turn', lateral: -0.55, duration: 2 }, // a sharp right
        { at: 35, type: 'brake', to: 0, decel: 0.7 }, // a long hard brake (3 s): one event
        { at: 50, type: 'collision', peak: 3, direction: 'left' },
        { at: 51, type: 'collision', peak: 3.5, direction: 'left' }, // a second impact, 1 s later: the same incident
      ],
      expect: [
        { kind: 'hard-acceleration', at: 1 },
        { kind: 'sharp-turn', at: 15 },
        { kind: 'sharp-turn', at: 25 },
        { kind: 'hard-brake', at: 35 },
        { kind: 'collision', at: 50 },
      ],
    };
    const { events } = drive(s);
    const sorted = [...events].sort((a, b) => a.time - b.time);
    // the sharp-turn onsets lag the start of the turn while the lateral force builds up
    expect(sorted.map((e) => e.kind)).toEqual(s.expect!.map((e) => e.kind));
    sorted.forEach((e, i) => expect(Math.abs((e.time - T0) / 1e6 - Number(s.expect![i]!.at))).toBeLessThan(1.5));
  });

  it('thresholds are what they say: 0.4 g for 150 ms brakes, 0.38 g does not; 2.5 g collides, 2.3 g does not', () => {
    const det = new EventDetector({ smoothingMs: 10 });
    const feed = (xs: Array<[number, number, number]>, from: number) =>
      xs.flatMap(([x, y, z], i) => det.push({ t: from + i * 10_000, x, y, z }));
    const quiet = (n: number) => Array.from({ length: n }, () => [0, 0, 1] as [number, number, number]);
    // 14 samples (140 ms) at 0.5 g: too short
    expect(
      feed([...Array.from({ length: 14 }, () => [-0.5, 0, 1] as [number, number, number]), ...quiet(300)], T0),
    ).toEqual([]);
    // 0.38 g for 2 s: not hard
    expect(
      feed([...Array.from({ length: 200 }, () => [-0.38, 0, 1] as [number, number, number]), ...quiet(300)], T0 + 10e6),
    ).toEqual([]);
    // 0.4 g: after 150 ms
    const brake = feed(
      [...Array.from({ length: 30 }, () => [-0.4, 0, 1] as [number, number, number]), ...quiet(300)],
      T0 + 20e6,
    );
    expect(brake.map((e) => [e.kind, (e.detectedAt - e.time) / 1000])).toEqual([['hard-brake', 150]]);
    expect(feed([[2.3, 0, 1], ...quiet(300)], T0 + 30e6)).toEqual([]);
    expect(feed([[0, 0, 3.5], ...quiet(300)], T0 + 40e6).map((e) => e.kind)).toEqual(['collision']);
  });

  it('a G-sensor recording replays from CSV with the same events', () => {
    const s = loadScenario('hard-brake-collision');
    const { samples } = drive(s, {}, true);
    const csv = `${tmp.dir}/trace.csv`;
    writeFileSync(csv, gSensorCsv(samples));
    const replay: Scenario = { name: 'replay', duration: s.duration, steps: [], gsensorCsv: csv, expect: s.expect };
    const { events, samples: again } = drive(replay, {}, true);
    expectScripted(replay, events);
    expect(again.length).toBe(samples.length);
  });
});
