/**
 * The route the simulated car drives: its position, altitude, heading and velocity, integrated
 * from the drive model's speed and its turns (the same lateral acceleration the G-sensor
 * reads), so the GPS track, the speed burned into the pictures and the G-sensor trace tell
 * one story. Deterministic: the same scenario from the same start gives the same route.
 */

/** Where a route starts (a scenario's `route`). */
export interface RouteStart {
  /** degrees (default 32.0853, 34.7818: Tel Aviv) */
  latitude?: number;
  longitude?: number;
  /** metres above the WGS-84 ellipsoid (default 40) */
  altitude?: number;
  /** compass bearing, degrees clockwise from north (default 0) */
  heading?: number;
}

/** The car at one instant of the route. */
export interface RoutePoint {
  /** device time, µs */
  t: number;
  latitude: number;
  longitude: number;
  altitude: number;
  /** compass bearing, degrees clockwise from north, [0, 360) */
  heading: number;
  /** m/s over the ground */
  speed: number;
  /** m/s; + climbing */
  velocityUp: number;
}

export const ROUTE_DEFAULTS: Required<RouteStart> = { latitude: 32.0853, longitude: 34.7818, altitude: 40, heading: 0 };

const EARTH_RADIUS_M = 6_371_008.8;
const G = 9.80665;
// Gentle rolling terrain: the altitude rises and falls by this much over this distance, so
// the vertical velocity is not always zero.
const HILL_M = 4;
const HILL_LENGTH_M = 300;
// Below this speed a car does not turn (a lateral jolt while stopped is not steering), and
// it never turns faster than this (a collision's sideways spike is not a hairpin).
const MIN_TURN_SPEED = 1;
const MAX_TURN_RATE = 1; // rad/s

export function validateRouteStart(start: RouteStart | undefined): Required<RouteStart> {
  const r = { ...ROUTE_DEFAULTS, ...start };
  const check = (v: number, lo: number, hi: number, what: string) => {
    if (!(typeof v === 'number' && v >= lo && v <= hi))
      throw new RangeError(`route.${what} must be a number from ${lo} to ${hi}, got ${String(v)}`);
  };
  check(r.latitude, -85, 85, 'latitude');
  check(r.longitude, -180, 180, 'longitude');
  check(r.altitude, -500, 9000, 'altitude');
  check(r.heading, 0, 360, 'heading');
  return r;
}

export class Route {
  #lat: number;
  #lon: number;
  #base: number;
  #bearing: number; // radians
  #distance = 0;
  #point: RoutePoint;

  constructor(start: RouteStart | undefined, t: number) {
    const r = validateRouteStart(start);
    this.#lat = r.latitude;
    this.#lon = r.longitude;
    this.#base = r.altitude;
    this.#bearing = (r.heading * Math.PI) / 180;
    this.#point = this.#make(t, 0, 0);
  }

  /** The car now. */
  get point(): RoutePoint {
    return this.#point;
  }

  /**
   * Moves the car to device time `t` at `speedKmh` (the speed at t; the distance covered
   * uses the mean of the previous and this speed, as the drive model does), turning with
   * `lateralG` (+ left).
   */
  advance(t: number, speedKmh: number, lateralG: number): RoutePoint {
    const dt = (t - this.#point.t) / 1e6;
    const v = speedKmh / 3.6;
    if (dt > 0) {
      if (v >= MIN_TURN_SPEED) {
        // A left turn (+ lateral) turns the bearing anticlockwise: ω = a / v.
        const rate = Math.max(-MAX_TURN_RATE, Math.min(MAX_TURN_RATE, (lateralG * G) / v));
        this.#bearing -= rate * dt;
      }
      const d = ((this.#point.speed + v) / 2) * dt;
      this.#distance += d;
      const lat = (this.#lat * Math.PI) / 180;
      this.#lat += ((d * Math.cos(this.#bearing)) / EARTH_RADIUS_M) * (180 / Math.PI);
      this.#lon += ((d * Math.sin(this.#bearing)) / (EARTH_RADIUS_M * Math.cos(lat))) * (180 / Math.PI);
    }
    this.#point = this.#make(t, v, dt);
    return this.#point;
  }

  #make(t: number, speed: number, dt: number): RoutePoint {
    const phase = this.#distance / HILL_LENGTH_M;
    const heading = ((((this.#bearing * 180) / Math.PI) % 360) + 360) % 360;
    return {
      t,
      latitude: this.#lat,
      longitude: this.#lon,
      altitude: this.#base + HILL_M * Math.sin(phase),
      heading,
      speed,
      velocityUp: dt > 0 ? ((HILL_M * Math.cos(phase)) / HILL_LENGTH_M) * speed : 0,
    };
  }
}

/** The car at time t between two points of the route (position interpolated, velocity of the later point). */
export function interpolate(a: RoutePoint, b: RoutePoint, t: number): RoutePoint {
  const k = b.t === a.t ? 1 : (t - a.t) / (b.t - a.t);
  return {
    ...b,
    t,
    latitude: a.latitude + (b.latitude - a.latitude) * k,
    longitude: a.longitude + (b.longitude - a.longitude) * k,
    altitude: a.altitude + (b.altitude - a.altitude) * k,
  };
}
