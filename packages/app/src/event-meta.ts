/**
 * The cloud metadata of an event clip, from the device's event JSON: kind, time, where the
 * event sits in the clip, and the G-sensor trace re-timed to seconds from the clip's start.
 * The phone and a dashcam that uploads by itself send the same metadata for the same event.
 */
import type { ClipMetadata } from './cloud-client.js';
import { isoToMicros, type DeviceEventJson } from './device-client.js';

/** `start`: the clip's first frame (µs), as X-Clip-Start (or the engine's clip.start) says. */
export function eventClipMetadata(e: DeviceEventJson, start: number): ClipMetadata {
  const time = isoToMicros(e.time)!;
  const meta: ClipMetadata = { kind: e.kind, time: e.time, eventOffset: Math.max(0, (time - start) / 1e6) };
  if (e.trace && e.trace.samples.length) {
    const t0 = isoToMicros(e.trace.start)!;
    meta.gsensor = e.trace.samples
      .map((s, i) => [Math.round(((t0 + (i * 1e6) / e.trace!.hz - start) / 1e6) * 1000) / 1000, ...s])
      .filter((s) => s[0]! >= 0);
  }
  return meta;
}
