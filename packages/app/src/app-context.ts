/**
 * What the parts of the phone app share: its options, its events, and each other. PhoneApp
 * (app.ts) builds the parts and is their only public face; each part lives in its own file:
 * library.ts (state on disk), phone-ring.ts (the ring and the live stream into it),
 * storage-budget.ts, device-link.ts, drives.ts, clip-shelf.ts, cloud-link.ts.
 */
import type { OverwriteEvent, StreamSpec } from 'ringclip';
import type { ClipShelf } from './clip-shelf.js';
import type { CloudLink } from './cloud-link.js';
import type { DeviceLink, StreamState } from './device-link.js';
import type { EmergencyLive } from './emergency.js';
import type { LiveLink } from './live-client.js';
import type { AppState, ClipRecord } from './library.js';
import type { PhoneRing } from './phone-ring.js';
import type { StorageBudget } from './storage-budget.js';
import type { UploadQueueOptions } from './upload-queue.js';

export type Network = 'wifi' | 'cellular' | 'offline';

export interface PhoneAppOptions {
  /** the app's private storage (ring, clips, state) */
  dataDir: string;
  /** the simulated phone's total storage (default '1GiB'; used when the app is first installed) */
  phoneStorage?: number | string;
  /** share of the clip/gap-fill reserve inside the budget (default 0.25) */
  clipReserve?: number;
  /** which cameras to stream live (default ['road', 'cabin']) */
  liveStreams?: string[];
  /** poll GET /events every N ms (default 2000) */
  eventPollMs?: number;
  /** reconnect to the device after N ms (default 1000) */
  reconnectMs?: number;
  upload?: UploadQueueOptions;
  /** the network the phone is on (default 'wifi') */
  network?: Network;
  /** fetch what live streaming missed from device memory after each (re)connect (default
   *  true when the app is first installed; then a setting: setAutoFillGaps()) */
  autoFillGaps?: boolean;
  /** stream live as soon as the link is up (default true when the app is first installed;
   *  then a setting: setAutoStream()); off: stream() (the Stream button) starts it */
  autoStream?: boolean;
}

export interface PhoneAppEvents {
  connected: [{ device: string; drive: number }];
  disconnected: [{ device: string; reason: string }];
  live: [{ stream: string; frames: number; until: number }];
  overwrite: [OverwriteEvent];
  'event-clip': [ClipRecord];
  clip: [ClipRecord];
  evicted: [{ what: 'clip' | 'fill' | 'ring'; id: string; bytes: number }];
  transfer: [{ kind: 'download' | 'upload'; id: string; done: number; total: number | null }];
  uploaded: [{ id: string }];
  /** a gap filled from device memory (automatically or by fillGaps()) */
  filled: [{ drive: number; from: number; to: number; bytes: number }];
  'storage-full': [{ used: number; budget: number }];
  /** the live stream's state changed (the Stream button shows it) */
  'stream-state': [StreamState];
  /** an emergency live link was published (its url goes to the contacts) */
  'live-link': [LiveLink];
  /** ... and ended (expired, revoked, or the app closed) */
  'live-link-ended': [{ id: string }];
  error: [Error];
}

export type Emit = <K extends keyof PhoneAppEvents>(event: K, ...args: PhoneAppEvents[K]) => void;

export interface AppContext {
  readonly options: PhoneAppOptions;
  readonly state: AppState;
  readonly ring: PhoneRing;
  readonly budget: StorageBudget;
  readonly device: DeviceLink;
  readonly clips: ClipShelf;
  readonly cloud: CloudLink;
  readonly emergency: EmergencyLive;
  readonly emit: Emit;
  /** the app was closed: background work stops */
  readonly closed: boolean;
}

/** The cameras a dashcam has (and the phone ring's streams). */
/** The cameras: the phone's timeline, its gaps and their filling follow them. */
export const STREAMS = ['road', 'cabin'];
/**
 * What rides with the cameras: the cabin microphone and the telemetry track (GPS, G-sensor).
 * The ring keeps them and every clip carries them, but they never make a gap of their own (a
 * muted cabin or a parked timelapse records no sound, and that is not missing footage).
 */
export const COMPANION_STREAMS: ReadonlyArray<{ name: string; kind: 'audio' | 'metadata' }> = [
  { name: 'cabin-audio', kind: 'audio' },
  { name: 'telemetry', kind: 'metadata' },
];
/** The phone ring's streams, in order. */
export const RING_STREAMS: StreamSpec[] = [...STREAMS, ...COMPANION_STREAMS];
/** Every stream name the phone keeps. */
export const RING_STREAM_NAMES = RING_STREAMS.map((s) => (typeof s === 'string' ? s : s.name));

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
