/**
 * The GPS receiver: fixes of the route at 1–10 Hz, taken on whole fractions of a UTC second
 * (a receiver's measurement epochs are aligned to GPS time), as camm type 6 packets
 * (time, fix, position, accuracy and velocity east/north/up).
 */
import { gpsEpochSeconds, type CammPacket } from 'ringclip';
import { interpolate, type RoutePoint } from './route.js';

// What the simulated receiver claims about itself: a consumer-grade 3D fix.
const HORIZONTAL_ACCURACY_M = 2.5;
const VERTICAL_ACCURACY_M = 4;
const SPEED_ACCURACY_MPS = 0.2;
const FIX_3D = 3;

export function validateGpsHz(hz: unknown): number {
  if (!(typeof hz === 'number' && Number.isInteger(hz) && hz >= 1 && hz <= 10))
    throw new RangeError(`gpsHz is an integer from 1 to 10 (fixes per second), got ${String(hz)}`);
  return hz;
}

/** The fix times of one second: k/hz of the second, in whole µs. */
function epochs(hz: number): number[] {
  return Array.from({ length: hz }, (_, k) => Math.round((k * 1e6) / hz));
}

export class GpsReceiver {
  #hz: number;
  #offsets: number[];

  constructor(hz: number) {
    this.#hz = validateGpsHz(hz);
    this.#offsets = epochs(hz);
  }

  get hz(): number {
    return this.#hz;
  }

  /** Changes the rate from the next fix on. */
  set hz(hz: number) {
    this.#hz = validateGpsHz(hz);
    this.#offsets = epochs(hz);
  }

  /** The fix times in (from, to], in order. */
  fixTimes(from: number, to: number): number[] {
    const out: number[] = [];
    for (let second = Math.floor(from / 1e6) * 1e6; second <= to; second += 1e6) {
      for (const off of this.#offsets) {
        const t = second + off;
        if (t > from && t <= to) out.push(t);
      }
    }
    return out;
  }

  /** The fixes the receiver reports while the car moves from `a` to `b`. */
  fixes(a: RoutePoint, b: RoutePoint): Array<{ t: number; packet: CammPacket }> {
    return this.fixTimes(a.t, b.t).map((t) => ({ t, packet: gpsPacket(interpolate(a, b, t)) }));
  }
}

/** The camm type 6 packet of a route point. */
export function gpsPacket(p: RoutePoint): CammPacket {
  const bearing = (p.heading * Math.PI) / 180;
  return {
    type: 6,
    timeGpsEpoch: gpsEpochSeconds(p.t),
    gpsFixType: FIX_3D,
    latitude: p.latitude,
    longitude: p.longitude,
    altitude: p.altitude,
    horizontalAccuracy: HORIZONTAL_ACCURACY_M,
    verticalAccuracy: VERTICAL_ACCURACY_M,
    velocityEast: p.speed * Math.sin(bearing),
    velocityNorth: p.speed * Math.cos(bearing),
    velocityUp: p.velocityUp,
    speedAccuracy: SPEED_ACCURACY_MPS,
  };
}
