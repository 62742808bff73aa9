/**
 * A clip's telemetry, read from the clip file itself: its `camm` track (GPS and accelerometer
 * packets) through the engine's Mp4Source.samples() and decodeCamm(), never from a metadata
 * row. The result is columnar (typed arrays): a 200,000-sample trace is a few MB, decoded
 * once per stored file and kept by TelemetryCache, and downsampled per request.
 */
import { InvalidDataError, Mp4Source, decodeCamm } from 'ringclip';

/** GPS fixes: t in seconds from the clip's first frame; degrees; metres; m/s; degrees from north. */
export interface GpsColumns {
  t: Float64Array;
  lat: Float64Array;
  lon: Float64Array;
  alt: Float64Array;
  /** NaN where the packet carries no velocity (camm type 5) */
  speed: Float64Array;
  heading: Float64Array;
}

/** Accelerometer samples: t in seconds from the clip's first frame; x, y, z in m/s² (camm's unit, gravity included). */
export interface AccelColumns {
  t: Float64Array;
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
}

export interface Telemetry {
  /** the camm track read, or null when the clip has none (uploads from other tools) */
  track: string | null;
  /** wall-clock time of t = 0, ms since the epoch, when the file carries a capture time */
  start: number | null;
  gps: GpsColumns;
  accel: AccelColumns;
  /** camm packets of other types (gyro, magnetometer...): counted, not served */
  otherPackets: number;
}

const emptyGps = (n: number): GpsColumns => ({
  t: new Float64Array(n),
  lat: new Float64Array(n),
  lon: new Float64Array(n),
  alt: new Float64Array(n),
  speed: new Float64Array(n),
  heading: new Float64Array(n),
});
const emptyAccel = (n: number): AccelColumns => ({
  t: new Float64Array(n),
  x: new Float32Array(n),
  y: new Float32Array(n),
  z: new Float32Array(n),
});

/** Reads the telemetry of a local MP4. A camm packet the engine cannot decode is an InvalidDataError naming the sample. */
export async function readTelemetry(path: string): Promise<Telemetry> {
  const src = await Mp4Source.open(path);
  try {
    const start = src.start;
    const origin = src.origin > 0 ? src.origin / 1000 : null;
    const track = src.tracks.find((t) => t.kind === 'metadata' && t.codec === 'camm');
    if (!track) return { track: null, start: origin, gps: emptyGps(0), accel: emptyAccel(0), otherPackets: 0 };
    const samples = src.samples(track.name);
    let nGps = 0;
    let nAccel = 0;
    for (const s of samples) {
      const type = s.data.length >= 4 ? s.data.readUInt16LE(2) : -1;
      if (type === 5 || type === 6) nGps++;
      else if (type === 3) nAccel++;
    }
    const gps = emptyGps(nGps);
    const accel = emptyAccel(nAccel);
    let g = 0;
    let a = 0;
    let other = 0;
    samples.forEach((s, i) => {
      let p;
      try {
        p = decodeCamm(s.data);
      } catch (e) {
        throw new InvalidDataError(`camm sample ${i} of track '${track.name}': ${(e as Error).message}`);
      }
      const t = (s.pts - start) / 1e6;
      if (p.type === 3) {
        accel.t[a] = t;
        [accel.x[a], accel.y[a], accel.z[a]] = p.acceleration;
        a++;
      } else if (p.type === 5 || p.type === 6) {
        gps.t[g] = t;
        gps.lat[g] = p.latitude;
        gps.lon[g] = p.longitude;
        gps.alt[g] = p.altitude;
        if (p.type === 6) {
          gps.speed[g] = Math.hypot(p.velocityEast, p.velocityNorth);
          gps.heading[g] = ((Math.atan2(p.velocityEast, p.velocityNorth) * 180) / Math.PI + 360) % 360;
        } else {
          gps.speed[g] = NaN;
          gps.heading[g] = NaN;
        }
        g++;
      } else {
        other++;
      }
    });
    return { track: track.name, start: origin, gps, accel, otherPackets: other };
  } finally {
    src.close();
  }
}

/** How to thin a series: at most `maxPoints` points and/or at most `hz` points per second. */
export interface Downsampling {
  maxPoints: number;
  /** 0: no rate limit */
  hz: number;
}

/**
 * The indices of the samples kept: the series is cut into equal time buckets (1/hz s, or
 * long enough for maxPoints buckets) and one sample is kept per bucket, `pick` choosing it.
 */
function keep(t: Float64Array, d: Downsampling, pick: (from: number, to: number) => number): number[] {
  const n = t.length;
  if (n === 0) return [];
  const span = t[n - 1]! - t[0]!;
  let width = d.hz > 0 ? 1 / d.hz : 0;
  if (n > d.maxPoints) width = Math.max(width, span / d.maxPoints);
  if (n <= d.maxPoints && d.hz === 0) return Array.from({ length: n }, (_, i) => i);
  // Every sample at one instant: nothing to spread over buckets.
  if (width <= 0) return Array.from({ length: Math.min(n, d.maxPoints) }, (_, i) => i);
  const out: number[] = [];
  let from = 0;
  while (from < n) {
    // Buckets count from the first sample: bucket k is [t0 + k·width, t0 + (k+1)·width).
    const k = Math.min(Math.floor((t[from]! - t[0]!) / width), d.maxPoints - 1);
    const limit = t[0]! + (k + 1) * width;
    let to = from + 1;
    while (to < n && (t[to]! < limit || k === d.maxPoints - 1)) to++;
    out.push(pick(from, to));
    from = to;
  }
  return out;
}

const round = (v: number, places: number) => (Number.isFinite(v) ? Math.round(v * 10 ** places) / 10 ** places : null);

/** The GPS fixes kept: the first fix of each bucket. */
export function keptGps(gps: GpsColumns, d: Downsampling): number[] {
  return keep(gps.t, d, (from) => from);
}

/** GPS points `[t, lat, lon, alt, speed, heading]` (speed and heading null without velocity). */
export function gpsPoints(gps: GpsColumns, d: Downsampling): Array<Array<number | null>> {
  return keptGps(gps, d).map((i) => [
    round(gps.t[i]!, 3),
    round(gps.lat[i]!, 7),
    round(gps.lon[i]!, 7),
    round(gps.alt[i]!, 2),
    round(gps.speed[i]!, 3),
    round(gps.heading[i]!, 1),
  ]);
}

/**
 * The accelerometer samples kept. Each bucket keeps the sample farthest from the bucket's
 * mean: averaging would flatten the spike of a hard brake, which is what a trace is for.
 */
export function keptAccel(acc: AccelColumns, d: Downsampling): number[] {
  const pick = (from: number, to: number) => {
    if (to - from === 1) return from;
    let mx = 0,
      my = 0,
      mz = 0;
    for (let i = from; i < to; i++) {
      mx += acc.x[i]!;
      my += acc.y[i]!;
      mz += acc.z[i]!;
    }
    const n = to - from;
    mx /= n;
    my /= n;
    mz /= n;
    let best = from;
    let bestD = -1;
    for (let i = from; i < to; i++) {
      const dd = (acc.x[i]! - mx) ** 2 + (acc.y[i]! - my) ** 2 + (acc.z[i]! - mz) ** 2;
      if (dd > bestD) {
        bestD = dd;
        best = i;
      }
    }
    return best;
  };
  return keep(acc.t, d, pick);
}

/** Accelerometer points `[t, x, y, z]` (m/s²). */
export function accelPoints(acc: AccelColumns, d: Downsampling): Array<Array<number | null>> {
  return keptAccel(acc, d).map((i) => [
    round(acc.t[i]!, 4),
    round(acc.x[i]!, 3),
    round(acc.y[i]!, 3),
    round(acc.z[i]!, 3),
  ]);
}
