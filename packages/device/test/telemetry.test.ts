/**
 * The GPS route and the telemetry stream, without a store: the route follows the scenario's
 * speed and turns, the receiver takes fixes on whole fractions of a second, and the writer
 * keeps the stream's times strictly increasing with the G-sensor and GPS interleaved.
 */
import { describe, expect, it } from 'vitest';
import { decodeCamm, encodeCamm as encode, unixMicrosFromGps } from 'ringclip';
import { DriveModel, type Scenario } from '../src/index.js';
import { GpsReceiver, validateGpsHz } from '../src/gps.js';
import { Route, validateRouteStart } from '../src/route.js';
import { TelemetryWriter, accelerationPacket } from '../src/telemetry.js';
import { T0 } from './helpers.js';

/** Drives a scenario for `seconds` at 100 Hz; returns the route points. */
function drive(scenario: Scenario, seconds: number) {
  const model = new DriveModel(scenario);
  const route = new Route(scenario.route, T0);
  const points = [route.point];
  for (let k = 1; k <= seconds * 100; k++) {
    model.step();
    points.push(route.advance(T0 + k * 10_000, model.state.speedKmh, model.lateralG));
  }
  return { points, model };
}

const metres = (a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }) => {
  const r = 6_371_008.8,
    rad = Math.PI / 180;
  const dn = (b.latitude - a.latitude) * rad * r;
  const de = (b.longitude - a.longitude) * rad * r * Math.cos(a.latitude * rad);
  return Math.hypot(dn, de);
};

describe('Route', () => {
  it('covers the distance the drive model drives, heading north by default', () => {
    const { points, model } = drive(
      { name: 'straight', roadNoise: 0, steps: [{ at: 0, type: 'speed', to: 72, accel: 0.2 }] },
      30,
    );
    const end = points.at(-1)!;
    expect(end.speed).toBeCloseTo(20, 6); // 72 km/h
    expect(metres(points[0]!, end)).toBeCloseTo(model.state.distanceM, 0);
    expect(end.heading).toBeCloseTo(0, 6);
    expect(end.latitude).toBeGreaterThan(points[0]!.latitude);
    expect(end.longitude).toBeCloseTo(points[0]!.longitude, 9);
  });

  it('turns left with a left lateral acceleration, by the angle the turn makes', () => {
    // A 0.3 g turn at 36 km/h for 4 s: ω = a/v peaks at 0.29 rad/s on a sine; the angle is
    // ∫ a/v dt = 0.3 g · (2/π) · 4 s / 10 m/s ≈ 0.749 rad ≈ 42.9°.
    const scenario: Scenario = {
      name: 'turn',
      roadNoise: 0,
      route: { heading: 90 },
      steps: [
        { at: 0, type: 'speed', to: 36, accel: 0.5 },
        { at: 10, type: 'turn', lateral: 0.3, duration: 4 },
      ],
    };
    const { points } = drive(scenario, 20);
    const before = points[999]!,
      after = points.at(-1)!;
    expect(before.heading).toBeCloseTo(90, 6);
    expect(90 - after.heading).toBeCloseTo(((0.3 * 9.80665 * (2 / Math.PI) * 4) / 10) * (180 / Math.PI), 0);
  });

  it('is the same route every time for the same scenario', () => {
    const s: Scenario = {
      name: 'commute-ish',
      seed: 3,
      steps: [
        { at: 0, type: 'speed', to: 50 },
        { at: 5, type: 'turn', lateral: -0.2 },
      ],
    };
    expect(drive(s, 15).points).toEqual(drive(s, 15).points);
  });

  it('refuses a start that is not on the map', () => {
    expect(() => validateRouteStart({ latitude: 91 })).toThrow(
      /route.latitude must be a number from -85 to 85, got 91/,
    );
    expect(() => validateRouteStart({ heading: -1 })).toThrow(/route.heading/);
  });
});

describe('GpsReceiver', () => {
  it('takes fixes on whole fractions of the second at its rate', () => {
    const gps = new GpsReceiver(10);
    expect(gps.fixTimes(T0 - 1, T0 + 250_000)).toEqual([T0, T0 + 100_000, T0 + 200_000]);
    gps.hz = 3;
    expect(gps.fixTimes(T0, T0 + 1_000_000).map((t) => t - T0)).toEqual([333_333, 666_667, 1_000_000]);
    expect(() => validateGpsHz(11)).toThrow(/gpsHz is an integer from 1 to 10/);
    expect(() => validateGpsHz(2.5)).toThrow(RangeError);
  });

  it('reports position, speed and heading of the route as camm type 6 packets', () => {
    const { points } = drive(
      { name: 'east', roadNoise: 0, route: { heading: 90 }, steps: [{ at: 0, type: 'speed', to: 54, accel: 0.3 }] },
      10,
    );
    const gps = new GpsReceiver(5);
    const fixes = points.slice(1).flatMap((b, i) => gps.fixes(points[i]!, b));
    expect(fixes).toHaveLength(50);
    const last = fixes.at(-1)!;
    expect(last.t).toBe(T0 + 10e6);
    const p = decodeCamm(encode(last.packet));
    if (p.type !== 6) throw new Error('not a GPS packet');
    expect(unixMicrosFromGps(p.timeGpsEpoch)).toBe(T0 + 10e6);
    expect(p.gpsFixType).toBe(3);
    expect(p.latitude).toBeCloseTo(points.at(-1)!.latitude, 9);
    expect(p.longitude).toBeCloseTo(points.at(-1)!.longitude, 9);
    expect(p.velocityEast).toBeCloseTo(15, 4); // 54 km/h due east
    expect(p.velocityNorth).toBeCloseTo(0, 4);
  });
});

describe('TelemetryWriter', () => {
  it('writes G-sensor and GPS samples in time order, moving a GPS fix that shares a µs by 1 µs', () => {
    const written: Array<[number, number]> = [];
    const w = new TelemetryWriter((sample, pts) => written.push([pts, decodeCamm(sample).type]) > 0, T0 - 5);
    const accel = (t: number) => ({ t, packet: accelerationPacket({ t, x: 0, y: 0, z: 1 }) });
    const fix = (t: number) => ({ t, packet: { type: 5 as const, latitude: 1, longitude: 2, altitude: 3 } });
    w.push([accel(T0 + 10_000)], [fix(T0), fix(T0 + 10_000)]);
    w.push([accel(T0 + 20_000)], []);
    expect(written).toEqual([
      [T0, 5],
      [T0 + 10_000, 3],
      [T0 + 10_001, 5],
      [T0 + 20_000, 3],
    ]);
    expect(w.stats).toEqual({ samples: 4, gps: 2, bytes: 16 + 28 + 28 + 16, moved: 1, dropped: 0 });
  });

  it('counts a sample the store did not keep (a full ring), and goes on after it', () => {
    const written: number[] = [];
    const w = new TelemetryWriter((_, pts) => pts !== T0 + 20_000 && written.push(pts) > 0, null);
    const accel = (t: number) => ({ t, packet: accelerationPacket({ t, x: 0, y: 0, z: 1 }) });
    w.push([accel(T0 + 10_000), accel(T0 + 20_000), accel(T0 + 30_000)], []);
    expect(written).toEqual([T0 + 10_000, T0 + 30_000]);
    expect(w.stats).toMatchObject({ samples: 2, dropped: 1 });
  });

  it('starts after the last stored sample (a new drive in the same memory)', () => {
    const written: number[] = [];
    const w = new TelemetryWriter((_, pts) => written.push(pts) > 0, T0);
    w.push([{ t: T0, packet: accelerationPacket({ t: T0, x: 0, y: 0, z: 1 }) }], []);
    expect(written).toEqual([T0 + 1]);
  });

  it('stores the G-sensor in m/s², vehicle axes', () => {
    const p = decodeCamm(encode(accelerationPacket({ t: 0, x: -0.5, y: 0.25, z: 1 })));
    expect(p).toEqual({
      type: 3,
      acceleration: [Math.fround(-0.5 * 9.80665), Math.fround(0.25 * 9.80665), Math.fround(9.80665)],
    });
  });
});
