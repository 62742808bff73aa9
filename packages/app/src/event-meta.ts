/**
 * The cloud metadata of an event clip, from the device's event JSON: kind, time and where the
 * event sits in the clip.
 * The phone and a dashcam that uploads by itself send the same metadata for the same event.
 */
import type { ClipMetadata } from './cloud-client.js';
import { isoToMicros, type DeviceEventJson } from './device-client.js';

/** `start`: the clip's first frame (µs), as X-Clip-Start (or the engine's clip.start) says. */
export function eventClipMetadata(e: DeviceEventJson, start: number): ClipMetadata {
  const time = isoToMicros(e.time)!;
  // The G-sensor trace and the GPS track are in the clip itself (its camm track, written by
  // the device on the cameras' clock): the metadata row carries neither.
  return {
    kind: e.kind,
    time: e.time,
    eventOffset: Math.max(0, (time - start) / 1e6),
    ...(e.location ? { location: { lat: e.location.latitude, lon: e.location.longitude } } : {}),
  };
}
