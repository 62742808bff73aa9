/**
 * A clip's telemetry as files other tools open: GPX 1.1 (the route, for maps and GPS tools)
 * and CSV (every GPS fix and accelerometer sample, for spreadsheets).
 */
import type { Telemetry } from './telemetry.js';

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const iso = (ms: number) => new Date(Math.round(ms)).toISOString();
const num = (v: number, places: number) =>
  Number.isFinite(v) ? String(Math.round(v * 10 ** places) / 10 ** places) : '';

/**
 * GPX 1.1: one track of one segment, a trkpt per GPS fix, with its elevation and, when the
 * file carries a capture time, its UTC time. GPX 1.1 has no speed element (1.0 had): speed
 * (m/s) and course (degrees) go in Garmin's TrackPointExtension v2, which GPS tools read.
 */
export function toGpx(tel: Telemetry, name: string, indices?: number[]): string {
  const g = tel.gps;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<gpx version="1.1" creator="ringclip-cloud" xmlns="http://www.topografix.com/GPX/1/1"' +
      ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v2"' +
      ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
      ' xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd">',
    `  <metadata><name>${xml(name)}</name>${tel.start !== null ? `<time>${iso(tel.start)}</time>` : ''}</metadata>`,
    `  <trk><name>${xml(name)}</name><trkseg>`,
  ];
  for (const i of indices ?? g.t.keys()) {
    const time = tel.start !== null ? `<time>${iso(tel.start + g.t[i]! * 1000)}</time>` : '';
    const ext = Number.isFinite(g.speed[i]!)
      ? `<extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>${num(g.speed[i]!, 3)}</gpxtpx:speed><gpxtpx:course>${num(g.heading[i]!, 1)}</gpxtpx:course></gpxtpx:TrackPointExtension></extensions>`
      : '';
    out.push(
      `    <trkpt lat="${num(g.lat[i]!, 7)}" lon="${num(g.lon[i]!, 7)}"><ele>${num(g.alt[i]!, 2)}</ele>${time}${ext}</trkpt>`,
    );
  }
  out.push('  </trkseg></trk>', '</gpx>', '');
  return out.join('\n');
}

export const CSV_HEADER = 'kind,t_s,time_utc,lat_deg,lon_deg,alt_m,speed_mps,heading_deg,ax_mps2,ay_mps2,az_mps2';

/** CSV with a header: GPS rows and accelerometer rows merged in time order (empty cells where a kind has no such value). */
export function toCsv(tel: Telemetry, gpsIdx?: number[], accelIdx?: number[]): string {
  const g = tel.gps;
  const a = tel.accel;
  const gi = gpsIdx ?? [...g.t.keys()];
  const ai = accelIdx ?? [...a.t.keys()];
  const time = (t: number) => (tel.start !== null ? iso(tel.start + t * 1000) : '');
  const out = [CSV_HEADER];
  let p = 0;
  let q = 0;
  while (p < gi.length || q < ai.length) {
    const tg = p < gi.length ? g.t[gi[p]!]! : Infinity;
    const ta = q < ai.length ? a.t[ai[q]!]! : Infinity;
    if (tg <= ta) {
      const i = gi[p++]!;
      out.push(
        `gps,${num(tg, 4)},${time(tg)},${num(g.lat[i]!, 7)},${num(g.lon[i]!, 7)},${num(g.alt[i]!, 2)},${num(g.speed[i]!, 3)},${num(g.heading[i]!, 1)},,,`,
      );
    } else {
      const i = ai[q++]!;
      out.push(`accel,${num(ta, 4)},${time(ta)},,,,,,${num(a.x[i]!, 4)},${num(a.y[i]!, 4)},${num(a.z[i]!, 4)}`);
    }
  }
  out.push('');
  return out.join('\r\n');
}
