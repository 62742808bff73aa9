/**
 * The telemetry stream: GPS fixes and G-sensor samples as camm packets in one timed-metadata
 * stream of internal memory, on the cameras' clock. A store stream's times strictly increase,
 * so samples are written in time order, and a sample that falls on the same µs as the one
 * before it (a GPS epoch and a G-sensor sample of the same instant) is written 1 µs later:
 * the GPS packet is the one moved, since it carries its own exact time inside.
 */
import { CAMM_FORMAT, encodeCamm, RingFullError, type CammPacket, type SegmentStore } from 'ringclip';
import type { GSample } from './gsensor.js';

export const TELEMETRY_STREAM = 'telemetry';
const G = 9.80665;

export interface TimedPacket {
  /** device time, µs */
  t: number;
  packet: CammPacket;
}

/** A G-sensor sample (g, vehicle frame: x forward, y left, z up) as a camm type 3 packet (m/s², same axes). */
export function accelerationPacket(g: GSample): CammPacket {
  return { type: 3, acceleration: [g.x * G, g.y * G, g.z * G] };
}

export class TelemetryWriter {
  #last: number;
  /** samples stored (of which GPS fixes, and fixes stored 1 µs late) and their bytes; samples not stored */
  readonly stats = { samples: 0, gps: 0, bytes: 0, moved: 0, dropped: 0 };

  /** `write` says whether it stored the sample; `last`: the stream's last stored time (the next sample goes after it). */
  constructor(
    readonly write: (sample: Uint8Array, pts: number) => boolean,
    last: number | null,
  ) {
    this.#last = last ?? -1;
  }

  /** Writes one step's samples: in time order, G-sensor before GPS at the same µs. */
  push(accel: TimedPacket[], gps: TimedPacket[]): void {
    const all = [...accel.map((s) => ({ ...s, rank: 0 })), ...gps.map((s) => ({ ...s, rank: 1 }))];
    all.sort((a, b) => a.t - b.t || a.rank - b.rank);
    for (const s of all) {
      const pts = Math.max(s.t, this.#last + 1);
      const bytes = encodeCamm(s.packet);
      this.#last = pts;
      if (!this.write(bytes, pts)) {
        this.stats.dropped++;
        continue;
      }
      if (pts !== s.t) this.stats.moved++;
      this.stats.samples++;
      if (s.rank === 1) this.stats.gps++;
      this.stats.bytes += bytes.length;
    }
  }
}

/**
 * A writer into `store`'s telemetry stream. When everything is protected (RingFullError) the
 * sample is lost, as a picture would be: the writer counts it in `stats.dropped`.
 */
export function storeTelemetry(store: SegmentStore): TelemetryWriter {
  return new TelemetryWriter((sample, pts) => {
    try {
      return store.writeMetadata(TELEMETRY_STREAM, sample, { pts, format: CAMM_FORMAT });
    } catch (err) {
      if (err instanceof RingFullError) return false;
      throw err;
    }
  }, store.lastDts(TELEMETRY_STREAM));
}
