/**
 * Drives as the user sees them on the phone: each device drive with what the phone has of
 * it (the ring, read from its own index, and gap-fill files), what is missing, and what the
 * device still has.
 */
import { STREAMS, type AppContext } from './app-context.js';
import { hull, intersect, merge, subtract, type Span } from './timeline.js';

export interface DriveView {
  id: number;
  from: number | null;
  to: number | null;
  /** what the phone has, per stream (ring and gap-fill files) */
  onPhone: Record<string, Span[]>;
  /** parts of the drive the phone does not have (per stream) */
  missing: Record<string, Span[]>;
  /** what the device still has of the drive, when last asked (null: unknown or gone) */
  onDevice: Span | null;
  /** the missing parts the device still has (can be filled, or clipped fromDevice) */
  recoverable: Record<string, Span[]>;
}

export function driveViews(ctx: AppContext): DriveView[] {
  const { state, ring } = ctx;
  const streams = STREAMS;
  const inRing = Object.fromEntries(streams.map((s) => [s, ring.spans(s)]));
  return [...state.lib.drives]
    .sort((a, b) => a.id - b.id)
    .map((d) => {
      const onPhone: Record<string, Span[]> = {};
      const fillsOf = (s: string) =>
        state.lib.fills
          .filter((f) => f.drive === d.id && f.streams.includes(s))
          .map((f) => ({ from: f.from, to: f.to }));
      // The drive's extent: what the phone saw of it and what the device says it has.
      const extent = hull([...(d.seen ? [d.seen] : []), ...(d.device ? [d.device] : []), ...streams.flatMap(fillsOf)]);
      for (const s of streams)
        onPhone[s] = merge([...(extent ? intersect(inRing[s]!, [extent]) : []), ...fillsOf(s)], 1);
      const all = Object.values(onPhone).flat();
      const from = Math.min(...all.map((x) => x.from), d.device?.from ?? Infinity);
      const to = Math.max(...all.map((x) => x.to), d.device?.to ?? -Infinity);
      const whole = Number.isFinite(from) && Number.isFinite(to) ? [{ from, to }] : [];
      const missing: Record<string, Span[]> = {},
        recoverable: Record<string, Span[]> = {};
      for (const s of streams) {
        missing[s] = subtract(whole, onPhone[s]!);
        recoverable[s] = d.device ? intersect(missing[s]!, [d.device]) : [];
      }
      return {
        id: d.id,
        from: Number.isFinite(from) ? from : null,
        to: Number.isFinite(to) ? to : null,
        onPhone,
        missing,
        onDevice: d.device ? { from: d.device.from, to: d.device.to } : null,
        recoverable,
      };
    })
    .filter((v) => v.from !== null);
}
