/**
 * Clips that carry what a dashcam clip carries: road + cabin video, cabin audio (AAC with a
 * click on every whole second) and a camm telemetry track (GPS at `gpsHz` along a simulated
 * route, accelerometer at `accelHz` with a hard brake at `brakeAt`), written by the engine
 * the way test/audio-metadata.test.ts builds its store.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentStore, encodeCamm, gpsEpochSeconds, parseAdts } from '../../../lib/index.js';
import { T0 } from '../../../test/helpers/store.js';
import { FIXTURES, ffmpegPath, fixture, run, splitAccessUnits } from '../../../test/helpers/tools.js';

export const LAT0 = 52.5;
export const LON0 = 13.4;
const M_PER_DEG = 111_320;
/** The simulated route at t seconds from the clip start: north at ~11 m/s, weaving east and west. */
export function route(t: number): { lat: number; lon: number; alt: number; east: number; north: number } {
  const lat = LAT0 + 1e-4 * t;
  const lon = LON0 + 2e-4 * Math.sin(t / 2);
  const north = 1e-4 * M_PER_DEG;
  const east = 1e-4 * Math.cos(t / 2) * M_PER_DEG * Math.cos((lat * Math.PI) / 180);
  return { lat, lon, alt: 40 + t, east, north };
}
/** m/s²: gravity on y, a hard brake (−7.5 on x) in the 100 ms from `brakeAt`. */
export function accelAt(t: number, brakeAt: number): [number, number, number] {
  return [t >= brakeAt && t < brakeAt + 0.1 ? -7.5 : 0.1 * Math.sin(t), -9.81, 0.2];
}

const RATE = 48000;
const FRAME_US = (1024 * 1e6) / RATE;

/** AAC-LC mono ADTS from ffmpeg: a low hum with a 2 kHz click on each whole second. */
function clickTrack(dir: string, seconds: number): Buffer {
  const out = join(dir, `clicks-${randomBytes(3).toString('hex')}.aac`);
  const expr = 'if(lt(mod(t\\,1)\\,0.05)\\,0.9*sin(2*PI*2000*t)\\,0.2*sin(2*PI*220*t))';
  const r = run(ffmpegPath, [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=${expr}:s=${RATE}:d=${seconds + 1}`,
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-f',
    'adts',
    '-y',
    out,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make the click track: ${r.stderr}`);
  const bytes = readFileSync(out);
  rmSync(out, { force: true });
  return bytes;
}

export interface TelemetryClipOptions {
  seconds?: number;
  gpsHz?: number;
  accelHz?: number;
  /** exact number of accelerometer samples, spread evenly over the clip (overrides accelHz) */
  accelSamples?: number;
  brakeAt?: number;
  audio?: boolean;
  telemetry?: boolean;
}

/** Writes the clip; returns its path, bytes and what was written (for comparisons). */
export async function makeTelemetryClip(
  dir: string,
  o: TelemetryClipOptions = {},
): Promise<{ path: string; bytes: Buffer; gpsTimes: number[]; accelCount: number }> {
  const seconds = o.seconds ?? 6;
  const brakeAt = o.brakeAt ?? seconds / 2;
  const streams: Array<string | { name: string; kind: 'audio' | 'metadata' }> = ['road', 'cabin'];
  if (o.audio) streams.push({ name: 'cabin-audio', kind: 'audio' });
  if (o.telemetry !== false) streams.push({ name: 'telemetry', kind: 'metadata' });
  const ring = join(dir, `${randomBytes(4).toString('hex')}.ring`);
  const store = await SegmentStore.create(ring, { capacity: '128MiB', segmentSize: '8MiB', streams });
  const events: Array<{ t: number; write: () => void }> = [];
  const end = T0 + seconds * 1e6;
  for (const [name, file] of [
    ['road', FIXTURES.road],
    ['cabin', FIXTURES.cabin],
  ] as const) {
    const units = splitAccessUnits(fixture(file));
    for (let i = 0; T0 + Math.round((i * 1e6) / 30) < end + 1e6; i++) {
      const t = T0 + Math.round((i * 1e6) / 30);
      events.push({ t, write: () => store.write(name, units[i % units.length]!, { pts: t }) });
    }
  }
  if (o.audio) {
    const adts = parseAdts(clickTrack(dir, seconds + 1));
    adts.frames.forEach((frame, k) => {
      const t = T0 + Math.round((k - 1) * FRAME_US); // ffmpeg's AAC priming: frame k presents (k - 1) · 1024 samples
      if (t < T0 || t >= end + 1e6) return;
      events.push({ t, write: () => store.writeAudio('cabin-audio', frame, { pts: t, config: adts.config }) });
    });
  }
  const gpsTimes: number[] = [];
  let accelCount = 0;
  if (o.telemetry !== false) {
    const gpsHz = o.gpsHz ?? 10;
    for (let k = 0; k < (seconds + 1) * gpsHz; k++) {
      const s = k / gpsHz;
      // 1 µs after the whole tick: an accelerometer sample (on the tick + 500 µs grid) never shares its time.
      const t = T0 + Math.round(s * 1e6) + 1;
      if (s < seconds) gpsTimes.push(s);
      const p = route(s);
      const packet = encodeCamm({
        type: 6,
        timeGpsEpoch: gpsEpochSeconds(t),
        gpsFixType: 3,
        latitude: p.lat,
        longitude: p.lon,
        altitude: p.alt,
        horizontalAccuracy: 3,
        verticalAccuracy: 5,
        velocityEast: p.east,
        velocityNorth: p.north,
        velocityUp: 0,
        speedAccuracy: 0.5,
      });
      events.push({ t, write: () => store.writeMetadata('telemetry', packet, { pts: t, format: 'camm' }) });
    }
    const n = o.accelSamples ?? Math.round((seconds + 1) * (o.accelHz ?? 100));
    const span = o.accelSamples ? seconds : seconds + 1;
    for (let k = 0; k < n; k++) {
      const s = (k * span) / n + (o.accelSamples ? span / n / 2 : 0.0005);
      const t = T0 + Math.round(s * 1e6);
      if (s < seconds) accelCount++;
      const packet = encodeCamm({ type: 3, acceleration: accelAt(s, brakeAt) });
      events.push({ t, write: () => store.writeMetadata('telemetry', packet, { pts: t, format: 'camm' }) });
    }
  }
  events.sort((a, b) => a.t - b.t);
  for (const e of events) e.write();
  const clip = store.clip({ from: T0, to: end });
  const path = join(dir, `${randomBytes(4).toString('hex')}.mp4`);
  await clip.writeMP4(path);
  clip.release();
  await store.close();
  rmSync(ring, { force: true });
  return { path, bytes: readFileSync(path), gpsTimes, accelCount };
}
