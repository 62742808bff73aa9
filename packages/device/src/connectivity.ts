/**
 * +Connectivity: a cellular module in the dashcam that reaches the cloud without the phone.
 * - Event clips: when an event's window is recorded, the engine writes its clip (the same
 *   clip, byte for byte, that GET /events/:id/clip serves) and the app's resumable upload
 *   queue sends it (the same protocol and code as the phone: @ringclip/app's UploadQueue).
 *   The event names the cloud clip id at once (`cloudClip` in /events), so a phone that
 *   fetches it meanwhile uploads under the same id: one clip in the cloud, never two. Once
 *   the cloud has it, the device acknowledges the event itself (the cloud keeps the clip).
 * - Emergency live link: after a collision the device publishes its own live fMP4 to the
 *   cloud (the event says `liveFromDevice`, so the phone leaves it to the device).
 * - A data budget per calendar month (device time): every byte sent counts; at the budget
 *   uploads wait for the next month and a live link stops.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import {
  CloudClient,
  UploadQueue,
  createLiveLink,
  eventClipMetadata,
  newClipId,
  publishLive,
  type EmergencyContact,
  type LiveLink,
} from '@ringclip/app';
import { microsToIso, parseSize } from 'ringclip';
import type { Dashcam } from './dashcam.js';
import type { DeviceEvent } from './events.js';
import { readJson, writeJsonAtomic } from './persist.js';
import { eventJson } from './server.js';

export interface ConnectivityOptions {
  cloudUrl: string;
  /** the account's bearer token (paired once through the app) */
  token: string;
  /** data per calendar month (default '1GiB') */
  monthlyBudget?: number | string;
  /** publish an emergency live link after a collision (default true; only with at least one contact) */
  liveOnCollision?: boolean;
  contacts?: EmergencyContact[];
  /** the live link shows the cabin camera too (default false) */
  shareCabin?: boolean;
  /** live link lifetime, seconds (default 3600) */
  liveSeconds?: number;
  /** bytes per upload request (default 1 MiB) */
  chunkSize?: number;
  /** first retry delay of a failed upload, ms (default 1000) */
  backoffMs?: number;
}

export interface ConnectivityStatus {
  /** the month the budget counts (device time, YYYY-MM) */
  month: string;
  used: number;
  budget: number;
  /** clips uploaded since power-on, and waiting */
  uploaded: number;
  queued: number;
  live: LiveLink[];
}

export interface ConnectivityEvents {
  uploaded: [{ event: string; clip: string; bytes: number }];
  'live-link': [LiveLink & { event: string }];
  'budget-exhausted': [{ month: string; used: number; budget: number }];
  error: [Error];
}

interface MeterFile {
  version: 1;
  month: string;
  used: number;
}

/**
 * A CloudClient whose every upload request counts against the month's data, and which sends
 * no chunk once the budget is used up (so a month ends at most one chunk past it).
 */
class MeteredCloudClient extends CloudClient {
  constructor(
    url: string,
    token: string,
    private readonly gate: () => boolean,
    private readonly count: (bytes: number) => void,
  ) {
    super(url, token);
  }
  override putChunk(id: string, path: string, start: number, end: number, total: number, signal?: AbortSignal) {
    if (!this.gate()) return Promise.reject(new Error("the month's cellular data budget is used up"));
    this.count(end - start);
    return super.putChunk(id, path, start, end, total, signal);
  }
}

export class Connectivity extends EventEmitter<ConnectivityEvents> {
  readonly dir: string;
  readonly budget: number;
  readonly #dashcam: Dashcam;
  readonly #opts: ConnectivityOptions;
  readonly #client: MeteredCloudClient;
  readonly #queue: UploadQueue;
  readonly #meterPath: string;
  #meter: MeterFile;
  #uploaded = 0;
  #live = new Map<string, { link: LiveLink; abort: AbortController; done: Promise<void> }>();
  #listeners: Array<() => void> = [];
  #exhaustedSaid = false;

  constructor(dashcam: Dashcam, options: ConnectivityOptions) {
    super();
    this.#dashcam = dashcam;
    this.#opts = options;
    this.budget = parseSize(options.monthlyBudget ?? '1GiB', 'monthlyBudget');
    this.dir = join(dashcam.options.dataDir, 'uplink');
    mkdirSync(this.dir, { recursive: true });
    this.#meterPath = join(this.dir, 'meter.json');
    this.#meter = readJson<MeterFile>(this.#meterPath, { version: 1, month: '', used: 0 });
    // Out of data: the queue is poked, sees it may not upload, and parks the upload (no retry counted).
    const gate = () => {
      if (this.#allowed()) return true;
      this.#queue.poke();
      return false;
    };
    this.#client = new MeteredCloudClient(options.cloudUrl, options.token, gate, (n) => this.#count(n));
    this.#queue = new UploadQueue(
      join(this.dir, 'queue.json'),
      () => this.#client,
      () => this.#allowed(),
      {
        chunkSize: options.chunkSize,
        backoffMs: options.backoffMs,
      },
    );
    this.#queue.on('uploaded', ({ id, size }) => this.#onUploaded(id, size));
    this.#queue.on('retry', (e) =>
      this.emit(
        'error',
        new Error(`upload of ${e.id} failed (attempt ${e.attempts}, retry in ${e.delayMs} ms): ${e.error}`),
      ),
    );
    this.#queue.on('failed', (e) => this.emit('error', new Error(`upload of ${e.id} failed for good: ${e.error}`)));
  }

  /** Starts uploading: events complete already (e.g. from before a power cut), then each new one. */
  start(): void {
    const onComplete = (e: DeviceEvent) => this.#queueEvent(e);
    const onEvent = (e: DeviceEvent) => {
      if (e.kind === 'collision') this.#startLive(e);
      if (e.complete) this.#queueEvent(e); // a clip of the past (the clip button) is complete at once
    };
    this.#dashcam.on('event-complete', onComplete);
    this.#dashcam.on('event', onEvent);
    this.#listeners = [
      () => this.#dashcam.off('event-complete', onComplete),
      () => this.#dashcam.off('event', onEvent),
    ];
    for (const e of this.#dashcam.events) if (e.complete) this.#queueEvent(e);
    this.#queue.start();
  }

  async stop(): Promise<void> {
    for (const off of this.#listeners) off();
    this.#listeners = [];
    for (const l of this.#live.values()) l.abort.abort();
    await Promise.all([...this.#live.values()].map((l) => l.done));
    await this.#queue.stop();
  }

  /** Resolves when every queued clip is in the cloud. */
  drained(timeoutMs?: number): Promise<void> {
    return this.#queue.drained(undefined, timeoutMs);
  }

  status(): ConnectivityStatus {
    this.#rollMonth();
    return {
      month: this.#meter.month,
      used: this.#meter.used,
      budget: this.budget,
      uploaded: this.#uploaded,
      queued: this.#queue.entries.length,
      live: [...this.#live.values()].map((l) => l.link),
    };
  }

  #queueEvent(e: DeviceEvent): void {
    if (e.acknowledged || this.#queue.has(e.cloudClip ?? '')) return;
    const id = e.cloudClip ?? newClipId();
    if (!e.cloudClip) this.#dashcam.annotateEvent(e.id, { cloudClip: id });
    const path = join(this.dir, `${id}.mp4`);
    const store = this.#dashcam.store;
    // The clip GET /events/:id/clip serves (server.ts): the phone gets the same bytes.
    const clip = store.clip({ from: e.from, to: e.to, streams: [...store.streams], allowPartial: true });
    const start = clip.start ?? e.from;
    clip
      .writeMP4(path)
      .then(
        () =>
          this.#queue.add(id, path, eventClipMetadata(eventJson(e) as Parameters<typeof eventClipMetadata>[0], start)),
        (err: unknown) =>
          this.emit('error', new Error(`could not write the clip of ${e.id}: ${(err as Error).message}`)),
      )
      .finally(() => clip.release());
  }

  #onUploaded(id: string, size: number): void {
    const e = this.#dashcam.events.find((x) => x.cloudClip === id);
    rmSync(join(this.dir, `${id}.mp4`), { force: true });
    this.#uploaded++;
    // The cloud keeps it for good: the footage need not be held for the phone any longer.
    if (e) this.#dashcam.acknowledge(e.id);
    this.emit('uploaded', { event: e?.id ?? '?', clip: id, bytes: size });
  }

  #startLive(e: DeviceEvent): void {
    if (this.#opts.liveOnCollision === false || !this.#opts.contacts?.length || !this.#allowed()) return;
    this.#dashcam.annotateEvent(e.id, { liveFromDevice: true });
    const abort = new AbortController();
    const streams = this.#opts.shareCabin ? ['road', 'cabin'] : ['road'];
    const run = async () => {
      const link = await createLiveLink(
        this.#client,
        {
          streams,
          expiresIn: this.#opts.liveSeconds ?? 3600,
          contacts: this.#opts.contacts ?? [],
          event: { kind: e.kind, time: microsToIso(e.time) },
        },
        abort.signal,
      );
      this.#live.set(e.id, { link, abort, done });
      this.emit('live-link', { ...link, event: e.id });
      while (!abort.signal.aborted && this.#allowed() && this.#dashcam.powered) {
        const live = this.#dashcam.store.liveMP4({ streams, from: 'keyframe' });
        const metered = live.pipe(
          new Transform({
            transform: (chunk: Buffer, _enc, cb) => {
              this.#count(chunk.length);
              cb(this.#allowed() ? null : new Error("the month's data budget is used up: the live link stops"), chunk);
            },
          }),
        );
        try {
          if (
            (await publishLive(
              this.#client,
              link.id,
              Readable.toWeb(metered) as ReadableStream<Uint8Array>,
              abort.signal,
            )) === 'ended'
          )
            return;
        } finally {
          live.destroy();
        }
      }
    };
    const done: Promise<void> = run()
      .catch((err: unknown) => {
        if (!abort.signal.aborted) this.emit('error', new Error(`the live link of ${e.id}: ${(err as Error).message}`));
      })
      .finally(() => this.#live.delete(e.id));
  }

  #rollMonth(): void {
    const month = microsToIso(this.#dashcam.now()).slice(0, 7);
    if (this.#meter.month !== month) {
      this.#meter = { version: 1, month, used: 0 };
      this.#exhaustedSaid = false;
      writeJsonAtomic(this.#meterPath, this.#meter);
    }
  }

  #allowed(): boolean {
    if (!this.#dashcam.powered) return false;
    this.#rollMonth();
    if (this.#meter.used < this.budget) return true;
    if (!this.#exhaustedSaid) {
      this.#exhaustedSaid = true;
      this.emit('budget-exhausted', { month: this.#meter.month, used: this.#meter.used, budget: this.budget });
    }
    return false;
  }

  #count(bytes: number): void {
    this.#rollMonth();
    this.#meter.used += bytes;
    writeJsonAtomic(this.#meterPath, this.#meter);
  }
}
