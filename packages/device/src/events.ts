/**
 * The device's event list: every event (detected or manual) with its clip window, the
 * protection that keeps its footage in internal memory, its G-sensor trace, and whether
 * the phone has acknowledged it. Persisted next to the store (events.json, written
 * atomically) so unacknowledged events survive a power cut; the protections themselves
 * live in the store file.
 */
import { join } from 'node:path';
import type { Protection, SegmentStore } from 'ringclip';
import type { EventKind } from './detector.js';
import { readJson, writeJsonAtomic } from './persist.js';

export type DeviceEventKind = EventKind | 'manual' | 'recovered' | 'parking-bump';

export interface DeviceEvent {
  id: string;
  kind: DeviceEventKind;
  /** when the incident began, µs since the epoch */
  time: number;
  detectedAt: number;
  /** peak of the triggering signal, g (null for manual clips) */
  peakG: number | null;
  /** the clip window, µs */
  from: number;
  to: number;
  drive: number;
  /** the clip window has been recorded (to is in the past) */
  complete: boolean;
  acknowledged: boolean;
  acknowledgedAt: number | null;
  /** the store protection holding its footage (null when none could be made, or released) */
  protectionId: number | null;
  /** +Connectivity: the cloud clip id the device uploads this event's clip as */
  cloudClip?: string;
  /** +Connectivity: the device publishes this collision's live link itself */
  liveFromDevice?: boolean;
  /** where the car was when the event was made (the GPS receiver's position then; null: no route yet) */
  location?: { latitude: number; longitude: number } | null;
  /** why the footage is not protected, when it is not */
  note?: string;
  /** what triggered a detected event: the first trigger, then each one that extended its window */
  triggers?: Array<{ kind: EventKind; time: number; detectedAt: number; peakG: number }>;
  /** G-sensor samples of the clip window: 100 Hz from `start` (µs), [x, y, z] in g */
  trace: { hz: number; start: number; samples: Array<[number, number, number]> };
}

interface EventsFile {
  version: 1;
  nextId: number;
  events: DeviceEvent[];
}

/** Acknowledged events kept for the history (the oldest go first). */
const KEEP_ACKNOWLEDGED = 500;
/**
 * Acknowledged events that keep their G-sensor trace: a trace covers the whole clip (4,000
 * samples for 20 s + 20 s), the phone has it and the clip file carries the telemetry, so older
 * history keeps the event without it (events.json stays small).
 */
const KEEP_ACKNOWLEDGED_TRACES = 20;

export class EventLog {
  readonly path: string;
  #events: DeviceEvent[] = [];
  #nextId = 1;
  #protections = new Map<number, Protection>();

  constructor(dir: string) {
    this.path = join(dir, 'events.json');
    const f = readJson<EventsFile>(this.path, { version: 1, nextId: 1, events: [] });
    this.#events = f.events;
    this.#nextId = f.nextId;
  }

  /**
   * Matches events to the protections found in the store after power-on: an event whose
   * protection is gone is noted; a protection no event knows (power cut between protecting
   * and saving the list) becomes a 'recovered' event, so its footage is not held forever unseen.
   */
  reconcile(store: SegmentStore, drive: number): void {
    const held = new Map(store.protections().map((p) => [p.id, p]));
    this.#protections.clear();
    for (const e of this.#events) {
      if (e.protectionId === null) continue;
      const p = held.get(e.protectionId);
      if (p) {
        this.#protections.set(e.protectionId, p);
        held.delete(e.protectionId);
      } else if (!e.acknowledged) {
        e.note = 'the protection was not found in internal memory after power-on';
        e.protectionId = null;
      }
    }
    for (const p of held.values()) {
      const e = this.add({
        kind: 'recovered',
        time: p.from,
        detectedAt: p.from,
        peakG: null,
        from: p.from,
        to: p.to,
        drive,
        trace: { hz: 100, start: p.from, samples: [] },
      });
      e.protectionId = p.id;
      e.complete = true;
      this.#protections.set(p.id, p);
    }
    // Windows that were still open when the power went are as complete as they will get.
    for (const e of this.#events) e.complete = true;
    this.save();
  }

  add(
    init: Pick<DeviceEvent, 'kind' | 'time' | 'detectedAt' | 'peakG' | 'from' | 'to' | 'drive' | 'trace'>,
  ): DeviceEvent {
    const e: DeviceEvent = {
      id: `ev-${String(this.#nextId++).padStart(6, '0')}`,
      ...init,
      complete: false,
      acknowledged: false,
      acknowledgedAt: null,
      protectionId: null,
    };
    this.#events.push(e);
    return e;
  }

  attachProtection(e: DeviceEvent, p: Protection): void {
    e.protectionId = p.id;
    this.#protections.set(p.id, p);
  }

  /** The event's window grew: `p` (already held) replaces its protection, which is released. */
  replaceProtection(e: DeviceEvent, p: Protection): void {
    const old = e.protectionId === null ? undefined : this.#protections.get(e.protectionId);
    if (e.protectionId !== null) this.#protections.delete(e.protectionId);
    this.attachProtection(e, p);
    old?.release();
  }

  get(id: string): DeviceEvent | undefined {
    return this.#events.find((e) => e.id === id);
  }

  list(): DeviceEvent[] {
    return [...this.#events];
  }

  /** Releases the event's protection: the phone has its clip. Idempotent. */
  acknowledge(e: DeviceEvent, now: number): void {
    if (e.protectionId !== null) {
      this.#protections.get(e.protectionId)?.release();
      this.#protections.delete(e.protectionId);
      e.protectionId = null;
    }
    if (!e.acknowledged) {
      e.acknowledged = true;
      e.acknowledgedAt = now;
    }
    const acked = this.#events.filter((x) => x.acknowledged);
    for (const x of acked.slice(0, -KEEP_ACKNOWLEDGED_TRACES)) x.trace.samples = [];
    if (acked.length > KEEP_ACKNOWLEDGED) {
      const drop = new Set(acked.slice(0, acked.length - KEEP_ACKNOWLEDGED));
      this.#events = this.#events.filter((x) => !drop.has(x));
    }
    this.save();
  }

  save(): void {
    writeJsonAtomic(this.path, { version: 1, nextId: this.#nextId, events: this.#events } satisfies EventsFile);
  }
}
