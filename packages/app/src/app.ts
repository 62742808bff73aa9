/**
 * PhoneApp: the phone residency. While open and connected to the dashcam it streams the
 * drive (road + cabin) from GET /live into its own ring (a SegmentStore sized to the
 * budget), fetches event clips, makes manual clips, uploads clips to the cloud and applies
 * the deletion rules users are told (docs/app.md).
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Mp4Source, RingclipError, SegmentStore, type Clip, type FragmentedIngest, type OverwriteEvent } from 'ringclip';
import { budgetBytes, DEFAULT_CLIP_RESERVE, DEFAULT_SHARE, parseBudget, ringCapacity, segmentSizeFor, STORE_HEADER, type BudgetSetting } from './budget.js';
import { CloudClient, newClipId, type CloudClip, type ClipMetadata } from './cloud-client.js';
import { DeviceClient, isoToMicros, microsToIso, type DeviceEventJson } from './device-client.js';
import { HttpError } from './http.js';
import { readJson, writeJsonAtomic } from './persist.js';
import { intersect, merge, subtract, type Span } from './timeline.js';
import { UploadQueue, type UploadQueueOptions } from './upload-queue.js';

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
}

interface Settings {
  version: 1;
  phoneStorage: number;
  budget: BudgetSetting;
  allowCellular: boolean;
  device: { url: string; token: string } | null;
  cloud: { url: string; token: string } | null;
  ringGeneration: number;
  /** gap fill after each (re)connect (absent in settings written before it existed: on) */
  autoFillGaps?: boolean;
}

export interface ClipRecord {
  id: string;
  kind: string;
  source: 'event' | 'phone' | 'device';
  /** the device event it came from */
  deviceEvent: string | null;
  /** µs since the epoch: first presented frame and end */
  from: number;
  to: number;
  /** event time (µs) for event clips */
  time: number;
  drive: number | null;
  file: string | null;
  bytes: number;
  createdAt: number;
  uploaded: boolean;
  meta: ClipMetadata;
}

interface FillRecord { file: string; drive: number; from: number; to: number; streams: string[]; bytes: number; createdAt: number }

interface DriveRecord {
  id: number;
  /** what the device last said it has of this drive */
  device: { from: number; to: number; checkedAt: number } | null;
  /**
   * The drive's time range as the phone saw it (live frames, fills). What the ring holds of
   * it is read from the ring's own index (store.spans()), never copied here.
   */
  seen: Span | null;
  /** library version 1 kept per-stream ring spans here; read once to derive `seen`, then dropped */
  ring?: Record<string, Span[]>;
}

interface Library {
  version: 1;
  clips: ClipRecord[];
  fills: FillRecord[];
  drives: DriveRecord[];
  /** device event id -> clip id (chosen before the download, so retries reuse it) */
  eventClips: Record<string, string>;
  /** cloud deletes not yet confirmed (offline at the time) */
  pendingDeletes: string[];
}

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

export interface ClipView {
  id: string;
  kind: string;
  source: ClipRecord['source'] | 'cloud';
  from: number | null;
  to: number | null;
  time: string | null;
  /** on the phone (a playable file) */
  local: boolean;
  path: string | null;
  bytes: number | null;
  /** safely in the cloud */
  uploaded: boolean;
  /** queued or uploading */
  uploading: boolean;
  cloud: CloudClip | null;
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
  error: [Error];
}

const STREAMS = ['road', 'cabin'];
/** Frames further apart than this are a gap in the phone's timeline (a few frames at 15 fps). */
const TIMELINE_MAX_GAP_MS = 250;
/** Live bytes held while the ring is being resized (a few seconds of both cameras). */
const LIVE_HOLD_BYTES = 64 * 1024 * 1024;

export class PhoneApp extends EventEmitter<PhoneAppEvents> {
  readonly dataDir: string;
  readonly options: PhoneAppOptions;
  #settings!: Settings;
  #lib!: Library;
  #ring: SegmentStore | null = null;
  #queue!: UploadQueue;
  #network: Network;
  #device: DeviceClient | null = null;
  #deviceAbort: AbortController | null = null;
  #deviceLoops: Promise<void>[] = [];
  #connected = false;
  #migrating: Promise<void> | null = null;
  // The live stream into the ring: its init segment is kept, so that a new ring (a budget
  // change) gets a reader of its own; chunks arriving while the ring is copied are held,
  // up to LIVE_HOLD_BYTES, and a longer copy leaves a gap that gap fill fetches later.
  #live: { drive: number; init: Buffer[]; initDone: boolean; ring: SegmentStore | null; ingest: FragmentedIngest | null } | null = null;
  #liveHeld: Buffer[] = [];
  #liveHeldBytes = 0;
  #closed = true;
  #filling: Promise<void> | null = null;
  #fillAgain = false;
  #eventBusy: Promise<void> | null = null;
  #saveTimer: NodeJS.Timeout | null = null;

  private constructor(options: PhoneAppOptions) {
    super();
    this.options = options;
    this.dataDir = options.dataDir;
    this.#network = options.network ?? 'wifi';
  }

  /** Opens the app (installing it on first open): state, the ring, the upload queue. */
  static async open(options: PhoneAppOptions): Promise<PhoneApp> {
    const app = new PhoneApp(options);
    await app.#open();
    return app;
  }

  get #paths() {
    const d = this.dataDir;
    return { settings: join(d, 'settings.json'), library: join(d, 'library.json'), queue: join(d, 'queue.json'), clips: join(d, 'clips'), fills: join(d, 'fills'), tmp: join(d, 'tmp') };
  }

  #ringPath(gen = this.#settings.ringGeneration): string { return join(this.dataDir, `phone-${gen}.ring`); }

  async #open(): Promise<void> {
    const p = this.#paths;
    for (const dir of [this.dataDir, p.clips, p.fills, p.tmp]) mkdirSync(dir, { recursive: true });
    rmSync(p.tmp, { recursive: true, force: true });
    mkdirSync(p.tmp);
    const { parseSize } = await import('ringclip');
    this.#settings = readJson<Settings>(p.settings, {
      version: 1, phoneStorage: parseSize(this.options.phoneStorage ?? '1GiB', 'phoneStorage'), budget: { share: DEFAULT_SHARE },
      allowCellular: false, device: null, cloud: null, ringGeneration: 1, autoFillGaps: this.options.autoFillGaps ?? true,
    });
    this.#saveSettings();
    this.#lib = readJson<Library>(p.library, { version: 1, clips: [], fills: [], drives: [], eventClips: {}, pendingDeletes: [] });
    // Downloads that never completed (.part) are not clips.
    for (const dir of [p.clips, p.fills]) for (const f of readdirSync(dir)) if (f.endsWith('.part')) rmSync(join(dir, f), { force: true });
    for (const c of this.#lib.clips) if (c.file && !existsSync(join(p.clips, c.file))) c.file = null;
    this.#lib.fills = this.#lib.fills.filter((f) => existsSync(join(p.fills, f.file)));
    for (const d of this.#lib.drives) {
      if (d.seen === undefined) d.seen = d.ring ? hull(Object.values(d.ring).flat()) : null;
      delete d.ring;
    }
    await this.#openRing();
    this.#queue = new UploadQueue(p.queue, () => this.#cloud(), () => this.canUpload, this.options.upload);
    this.#queue.on('progress', (e) => this.emit('transfer', { kind: 'upload', id: e.id, done: e.sent, total: e.size }));
    this.#queue.on('uploaded', (e) => {
      const c = this.#lib.clips.find((x) => x.id === e.id);
      if (c) { c.uploaded = true; this.#saveLibrary(); }
      this.emit('uploaded', { id: e.id });
    });
    this.#queue.on('retry', (e) => this.emit('error', new Error(`upload of ${e.id} failed (attempt ${e.attempts}, retry in ${e.delayMs} ms): ${e.error}`)));
    this.#closed = false;
    this.#queue.start();
    await this.#enforceBudget();
    void this.#flushDeletes();
  }

  #saveSettings(): void { writeJsonAtomic(this.#paths.settings, this.#settings); }
  #saveLibrary(): void { writeJsonAtomic(this.#paths.library, this.#lib); }
  /** Span updates from live writes are saved at most once a second. */
  #saveSoon(): void {
    if (this.#saveTimer) return;
    this.#saveTimer = setTimeout(() => { this.#saveTimer = null; if (!this.#closed) this.#saveLibrary(); }, 1000);
    this.#saveTimer.unref();
  }

  // ---- storage budget ---------------------------------------------------------------

  get phoneStorage(): number { return this.#settings.phoneStorage; }

  /** The app's budget in bytes (default 50 % of the phone's storage). */
  budget(): { bytes: number; share: number; setting: BudgetSetting; used: number; ring: number; clips: number; fills: number; phoneStorage: number } {
    const bytes = budgetBytes(this.#settings.phoneStorage, this.#settings.budget);
    const u = this.#usage();
    return { bytes, share: bytes / this.#settings.phoneStorage, setting: this.#settings.budget, ...u, phoneStorage: this.#settings.phoneStorage };
  }

  #usage(): { used: number; ring: number; clips: number; fills: number } {
    const ring = this.#ring ? this.#ring.info().capacity : 0;
    const clips = this.#lib.clips.filter((c) => c.file).reduce((n, c) => n + c.bytes, 0);
    const fills = this.#lib.fills.reduce((n, f) => n + f.bytes, 0);
    return { used: ring + clips + fills, ring, clips, fills };
  }

  /** Changes the budget ('40%', 0.4, '2GiB', bytes). Shrinking drops the oldest drive footage first. */
  async setBudget(value: string | number): Promise<ReturnType<PhoneApp['budget']>> {
    this.#settings.budget = parseBudget(value);
    this.#saveSettings();
    const want = ringCapacity(this.budget().bytes, this.options.clipReserve ?? DEFAULT_CLIP_RESERVE);
    if (this.#ring && this.#ring.info().capacity !== want) await this.#resizeRing(want);
    await this.#enforceBudget();
    return this.budget();
  }

  /** Keeps the phone within the budget: drops gap-fill footage (oldest first), then uploaded
   *  clips (oldest first), then shrinks the ring. A clip not yet uploaded is never dropped. */
  async #enforceBudget(): Promise<void> {
    const budget = this.budget().bytes;
    const over = () => this.#usage().used - budget;
    while (over() > 0 && this.#lib.fills.length) {
      const f = [...this.#lib.fills].sort((a, b) => a.from - b.from)[0]!;
      this.#dropFill(f);
    }
    while (over() > 0) {
      const c = this.#lib.clips.filter((x) => x.file && x.uploaded && !this.#queue.has(x.id)).sort((a, b) => a.createdAt - b.createdAt)[0];
      if (!c) break;
      this.#evictClip(c);
    }
    if (over() > 0 && this.#ring) {
      const room = budget - this.#usage().clips - this.#usage().fills;
      const seg = this.#ring.info().segmentSize;
      const want = Math.max(4 * seg + STORE_HEADER, STORE_HEADER + Math.floor((room - STORE_HEADER) / seg) * seg);
      if (want < this.#ring.info().capacity) await this.#resizeRing(want);
    }
    if (over() > 0) this.emit('storage-full', { used: this.#usage().used, budget });
    else await this.#growRing(budget);
    this.#saveLibrary();
  }

  /**
   * The ring grows back when clips or fills that shrank it are gone (deleted, evicted) and
   * the budget has room: up to its size for this budget, never into the clip reserve still
   * in use. A resize copies the ring, so a partial step waits until it is worthwhile (an
   * eighth of the ring); reaching the budgeted size is always worth it.
   */
  async #growRing(budget: number): Promise<void> {
    if (!this.#ring) return;
    const { capacity, segmentSize: seg } = this.#ring.info();
    const u = this.#usage();
    const full = ringCapacity(budget, this.options.clipReserve ?? DEFAULT_CLIP_RESERVE);
    const room = budget - u.clips - u.fills;
    const want = Math.min(full, STORE_HEADER + Math.floor((room - STORE_HEADER) / seg) * seg);
    if (want > capacity && (want === full || want - capacity >= Math.max(seg, capacity / 8))) await this.#resizeRing(want);
  }

  #dropFill(f: FillRecord): void {
    rmSync(join(this.#paths.fills, f.file), { force: true });
    this.#lib.fills = this.#lib.fills.filter((x) => x !== f);
    this.emit('evicted', { what: 'fill', id: f.file, bytes: f.bytes });
  }

  /** Loop overwriting of a clip: only the phone copy goes; the cloud keeps it. */
  #evictClip(c: ClipRecord): void {
    if (!c.uploaded) throw new Error(`internal: clip ${c.id} is not uploaded and must not be evicted`);
    rmSync(join(this.#paths.clips, c.file!), { force: true });
    this.emit('evicted', { what: 'clip', id: c.id, bytes: c.bytes });
    c.file = null;
  }

  // ---- the ring ---------------------------------------------------------------------

  async #openRing(): Promise<void> {
    const want = ringCapacity(this.budget().bytes, this.options.clipReserve ?? DEFAULT_CLIP_RESERVE);
    const path = this.#ringPath();
    if (existsSync(path)) {
      this.#ring = await SegmentStore.open(path);
    } else {
      this.#ring = await SegmentStore.create(path, { capacity: want, segmentSize: segmentSizeFor(this.budget().bytes), streams: STREAMS, protectCap: 0 });
    }
    this.#watchRing(this.#ring);
  }

  #watchRing(store: SegmentStore): void {
    store.on('overwrite', (e) => this.emit('overwrite', e));
    store.on('error', (e) => this.emit('error', e));
  }

  /**
   * A store's capacity is fixed at create: a new ring of the new size is created and the
   * old one's footage is copied in, oldest first, so a smaller ring keeps the newest drives
   * (the engine's own loop recording drops the oldest). Live frames arriving meanwhile are
   * held and written afterwards.
   */
  async #resizeRing(capacity: number): Promise<void> {
    if (this.#migrating) await this.#migrating;
    const run = async () => {
      const old = this.#ring!;
      const gen = this.#settings.ringGeneration + 1;
      const next = await SegmentStore.create(this.#ringPath(gen), { capacity, segmentSize: segmentSizeFor(this.budget().bytes), streams: STREAMS, protectCap: 0 });
      const lost: OverwriteEvent[] = [];
      const collect = (e: OverwriteEvent) => { lost.push(e); };
      next.on('overwrite', collect);
      try {
        old.copyTo(next);
        await next.flush();
      } catch (err) {
        // The old ring is the one kept: the new one, half filled, goes.
        await next.close().catch((closeErr: unknown) => this.emit('error', closeErr as Error));
        rmSync(next.path, { force: true });
        throw err;
      }
      await old.close();
      rmSync(old.path, { force: true });
      this.#settings.ringGeneration = gen;
      this.#saveSettings();
      this.#ring = next;
      this.#watchRing(next);
      // Re-emitted to the app's own listener; the collector must be gone first, or every event
      // would be appended to the list being walked, forever.
      next.off('overwrite', collect);
      for (const e of lost) next.emit('overwrite', e);
      this.emit('evicted', { what: 'ring', id: `phone-${gen - 1}.ring`, bytes: 0 });
      this.#saveLibrary();
    };
    this.#migrating = run().finally(() => { this.#migrating = null; });
    try {
      await this.#migrating;
    } finally {
      const held = this.#liveHeld;
      this.#liveHeld = [];
      this.#liveHeldBytes = 0;
      for (const chunk of held) this.#feedLive(chunk);
    }
  }

  #driveRecord(id: number): DriveRecord {
    let d = this.#lib.drives.find((x) => x.id === id);
    if (!d) {
      d = { id, device: null, seen: null };
      this.#lib.drives.push(d);
    }
    return d;
  }

  /**
   * One chunk of the device's live fMP4 into the ring (the engine parses it and stores the
   * samples as they are), then the drive's spans grow by the frames it stored.
   */
  #feedLive(chunk: Buffer): void {
    const live = this.#live;
    if (!live) return;
    if (!live.initDone) live.init.push(chunk);
    if (this.#migrating) {
      if (this.#liveHeldBytes + chunk.length > LIVE_HOLD_BYTES) {
        if (this.#liveHeldBytes <= LIVE_HOLD_BYTES) this.emit('error', new Error(`live footage arriving during the ring resize was not kept beyond ${LIVE_HOLD_BYTES} bytes: gap fill fetches it from the device`));
        this.#liveHeldBytes = LIVE_HOLD_BYTES + 1;
        return;
      }
      this.#liveHeld.push(chunk);
      this.#liveHeldBytes += chunk.length;
      return;
    }
    const ring = this.#ring;
    if (!ring) return;
    const streams = this.options.liveStreams ?? STREAMS;
    const before = new Map(streams.map((s) => [s, ring.streams.includes(s) ? ring.lastDts(s) : null]));
    try {
      if (live.ring !== ring || !live.ingest) {
        // A new ring: its reader starts from the init segment (samples it already has are skipped).
        live.ring = ring;
        live.ingest = ring.createFragmentedIngest();
        for (const c of live.init) live.ingest.push(c);
        if (!live.init.includes(chunk)) live.ingest.push(chunk);
      } else {
        live.ingest.push(chunk);
      }
    } finally {
      live.initDone ||= (live.ingest?.stats.tracks.length ?? 0) > 0;
      this.#noteStored(live.drive, ring, before);
    }
  }

  /** Counts the frames stored since `before` (each stream's last decode time then) into the drive's range. */
  #noteStored(drive: number, ring: SegmentStore, before: Map<string, number | null>): void {
    const d = this.#driveRecord(drive);
    let any = false;
    for (const [stream, prev] of before) {
      if (!ring.streams.includes(stream) || ring.lastDts(stream) === prev) continue;
      const spans = ring.spans(stream, { from: prev === null ? undefined : prev + 1 });
      const frames = spans.reduce((n, sp) => n + sp.frames, 0);
      if (frames === 0) continue;
      const range = hull([...(d.seen ? [d.seen] : []), ...spans])!;
      d.seen = range;
      any = true;
      this.emit('live', { stream, frames, until: spans[spans.length - 1]!.to });
    }
    if (any) this.#saveSoon();
  }

  // ---- device -----------------------------------------------------------------------

  get connected(): boolean { return this.#connected; }

  /**
   * Connects to the dashcam (Wi-Fi): pairs with `code` unless a token from an earlier
   * pairing still works, then streams live and collects event clips until disconnect().
   */
  async connect(url: string, code?: string): Promise<void> {
    if (this.#deviceAbort) await this.disconnect();
    const known = this.#settings.device?.url === url.replace(/\/+$/, '') ? this.#settings.device.token : null;
    const device = new DeviceClient(url, known);
    let status;
    try {
      if (!known) throw new HttpError(401, 'unauthorized', 'not paired');
      status = await device.status();
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 401)) throw err;
      if (!code) throw new Error('the device needs pairing: pass the code it shows');
      await device.pair(code);
      status = await device.status();
    }
    this.#settings.device = { url: device.url, token: device.token! };
    this.#saveSettings();
    this.#device = device;
    this.#deviceAbort = new AbortController();
    const signal = this.#deviceAbort.signal;
    this.#deviceLoops = [this.#liveLoop(device, signal), this.#eventLoop(device, signal)];
    void status;
  }

  /** Drops the Wi-Fi link to the device (the phone keeps what it has; the gap shows in drives()). */
  async disconnect(): Promise<void> {
    const abort = this.#deviceAbort;
    this.#deviceAbort = null;
    abort?.abort();
    await Promise.allSettled(this.#deviceLoops);
    this.#deviceLoops = [];
    if (this.#connected) {
      this.#connected = false;
      this.emit('disconnected', { device: this.#device?.url ?? '', reason: 'disconnect' });
    }
  }

  /** The paired device, also while not streaming (for footage and drive queries). */
  #deviceClient(): DeviceClient {
    if (this.#device) return this.#device;
    if (!this.#settings.device) throw new Error('no device is paired: connect first');
    this.#device = new DeviceClient(this.#settings.device.url, this.#settings.device.token);
    return this.#device;
  }

  async #liveLoop(device: DeviceClient, signal: AbortSignal): Promise<void> {
    const streams = this.options.liveStreams ?? STREAMS;
    while (!signal.aborted) {
      let reason = 'the live stream ended';
      try {
        const status = await device.status(signal);
        this.#connected = true;
        this.emit('connected', { device: device.url, drive: status.drive });
        this.#fillSoon(signal);
        // (the device sends the response headers with the first bytes: the init segment;
        // its prft boxes carry the capture time to the µs)
        const res = await device.live(streams, signal);
        this.#live = { drive: status.drive, init: [], initDone: false, ring: null, ingest: null };
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) this.#feedLive(Buffer.from(chunk));
      } catch (err) {
        if (signal.aborted) break;
        reason = (err as Error).message;
        // What the stream carried was refused (not a lost connection): say so.
        if (err instanceof RingclipError) this.emit('error', err);
      } finally {
        this.#live = null;
      }
      if (this.#connected) {
        this.#connected = false;
        this.emit('disconnected', { device: device.url, reason });
      }
      if (signal.aborted) break;
      await sleep(this.options.reconnectMs ?? 1000, signal);
    }
  }

  async #eventLoop(device: DeviceClient, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.syncEvents(signal);
      } catch (err) {
        if (signal.aborted) break;
        if (!(err instanceof Error && /fetch failed|ECONNREFUSED|socket/i.test(err.message))) this.emit('error', err as Error);
      }
      await sleep(this.options.eventPollMs ?? 2000, signal);
    }
    void device;
  }

  /** Fetches, saves, acknowledges and queues every complete unacknowledged event clip. */
  async syncEvents(signal?: AbortSignal): Promise<ClipRecord[]> {
    while (this.#eventBusy) await this.#eventBusy;
    let done!: () => void;
    this.#eventBusy = new Promise((r) => { done = r; });
    try {
      const device = this.#deviceClient();
      const out: ClipRecord[] = [];
      for (const e of await device.events({ unacknowledged: true, signal })) {
        if (!e.complete) continue;
        out.push(await this.#fetchEventClip(device, e, signal));
      }
      return out;
    } finally {
      this.#eventBusy = null;
      done();
    }
  }

  async #fetchEventClip(device: DeviceClient, e: DeviceEventJson, signal?: AbortSignal): Promise<ClipRecord> {
    let id = this.#lib.eventClips[e.id];
    if (!id) {
      id = newClipId();
      this.#lib.eventClips[e.id] = id;
      this.#saveLibrary();
    }
    let rec = this.#lib.clips.find((c) => c.id === id);
    if (!rec) {
      const file = `${id}.mp4`;
      const h = await device.eventClip(e.id, join(this.#paths.clips, file), {
        signal, onProgress: (done, total) => this.emit('transfer', { kind: 'download', id, done, total }),
      });
      const time = isoToMicros(e.time)!;
      const start = h.start ?? isoToMicros(e.window.from)!;
      const meta: ClipMetadata = { kind: e.kind, time: e.time, eventOffset: Math.max(0, (time - start) / 1e6) };
      if (e.trace && e.trace.samples.length) {
        const t0 = isoToMicros(e.trace.start)!;
        meta.gsensor = e.trace.samples.map((s, i) => [Math.round(((t0 + (i * 1e6) / e.trace!.hz - start) / 1e6) * 1000) / 1000, ...s]).filter((s) => s[0]! >= 0);
      }
      rec = {
        id, kind: e.kind, source: 'event', deviceEvent: e.id, from: start, to: h.end ?? isoToMicros(e.window.to)!, time, drive: e.drive,
        file, bytes: h.bytes, createdAt: Date.now(), uploaded: false, meta,
      };
      this.#lib.clips.push(rec);
      this.#saveLibrary();
      this.#queue.add(id, join(this.#paths.clips, file), meta);
      this.emit('event-clip', rec);
      this.emit('clip', rec);
    }
    // The phone has it: the device may release the footage it protected for this event.
    await device.ack(e.id, signal);
    await this.#enforceBudget();
    return rec;
  }

  /** Asks the device what it still has of each drive (for drives() and gap filling). */
  async refreshDeviceDrives(): Promise<void> {
    const r = await this.#deviceClient().drives();
    const now = Date.now();
    const seen = new Set<number>();
    for (const dd of r.drives) {
      seen.add(dd.id);
      const from = isoToMicros(dd.from), to = isoToMicros(dd.to);
      const d = this.#driveRecord(dd.id);
      d.device = from !== null && to !== null ? { from, to, checkedAt: now } : null;
    }
    for (const d of this.#lib.drives) if (!seen.has(d.id)) d.device = null;
    this.#saveLibrary();
  }

  /**
   * Fills the gaps of drives from the device's internal memory while it still has them
   * (beyond the original product): each gap becomes a gap-fill MP4 on the phone, counted
   * against the budget. Returns the spans filled.
   */
  async fillGaps(options: { drive?: number; minGapMs?: number; withinBudget?: boolean } = {}): Promise<Array<{ drive: number; from: number; to: number; bytes: number }>> {
    await this.refreshDeviceDrives();
    const device = this.#deviceClient();
    const out: Array<{ drive: number; from: number; to: number; bytes: number }> = [];
    for (const view of this.drives()) {
      if (options.drive !== undefined && view.id !== options.drive) continue;
      const streams = this.options.liveStreams ?? STREAMS;
      // Gaps common to the streams the phone streams (a gap in one stream only is filled for all).
      const gaps = merge(streams.flatMap((s) => view.recoverable[s] ?? []), 0)
        .filter((g) => g.to - g.from >= (options.minGapMs ?? 500) * 1000);
      for (const g of gaps) {
        // Not the live edge of the current drive: the live stream is filling that.
        if (this.#connected && view.to !== null && g.from >= view.to - 2e6) continue;
        const file = `fill-${view.id}-${Math.round(g.from)}.mp4`;
        const path = join(this.#paths.fills, file);
        let h;
        try {
          h = await device.footage(g.from, g.to, path, {
            streams, onProgress: (done, total) => this.emit('transfer', { kind: 'download', id: file, done, total }),
          });
        } catch (err) {
          if (err instanceof HttpError && err.status === 404) continue; // overwritten on the device meanwhile
          throw err;
        }
        const rec: FillRecord = { file, drive: view.id, from: h.start ?? g.from, to: h.end ?? g.to, streams, bytes: statSync(path).size, createdAt: Date.now() };
        this.#lib.fills.push(rec);
        const filled = { drive: view.id, from: rec.from, to: rec.to, bytes: rec.bytes };
        out.push(filled);
        this.emit('filled', filled);
        // Automatic fills stop where the budget would start evicting (they would evict each other).
        if (options.withinBudget && this.#usage().used >= this.budget().bytes * 0.9) break;
      }
    }
    this.#saveLibrary();
    await this.#enforceBudget();
    return out;
  }

  /** Automatic gap fill on or off (a setting, kept across restarts). */
  setAutoFillGaps(on: boolean): void {
    this.#settings.autoFillGaps = on;
    this.#saveSettings();
  }

  get autoFillGaps(): boolean { return this.#settings.autoFillGaps !== false; }

  /**
   * After a (re)connect: fetch what the phone missed (drops, the end of a drive, drives
   * recorded while the app was closed) from device memory, oldest first (the device loop-
   * records the oldest away first), within the budget. One run at a time; a connect during
   * a run asks for another. Failures are reported, not swallowed.
   */
  #fillSoon(signal: AbortSignal): void {
    if (!this.autoFillGaps) return;
    if (this.#filling) {
      this.#fillAgain = true;
      return;
    }
    this.#filling = (async () => {
      do {
        this.#fillAgain = false;
        // Let the live stream start first: the edge it is filling is not a gap.
        await sleep(this.options.reconnectMs ?? 1000, signal);
        if (signal.aborted || this.#closed) return;
        try {
          await this.fillGaps({ withinBudget: true });
        } catch (err) {
          if (signal.aborted) return;
          // Wi-Fi dropped during the fill: the next connect runs it again (what was fetched stays).
          if (!this.#connected) return;
          this.emit('error', new Error(`automatic gap fill: ${(err as Error).message}`, { cause: err }));
        }
      } while (this.#fillAgain && !signal.aborted);
    })().finally(() => { this.#filling = null; });
  }

  // ---- drives -----------------------------------------------------------------------

  /** Drives with their time ranges, what the phone has, and what the device still has. */
  drives(): DriveView[] {
    const streams = STREAMS;
    const ring = Object.fromEntries(streams.map((s) => [s, this.#ringSpans(s)]));
    return [...this.#lib.drives].sort((a, b) => a.id - b.id).map((d) => {
      const onPhone: Record<string, Span[]> = {};
      const fillsOf = (s: string) => this.#lib.fills.filter((f) => f.drive === d.id && f.streams.includes(s)).map((f) => ({ from: f.from, to: f.to }));
      // The drive's extent: what the phone saw of it and what the device says it has.
      const extent = hull([...(d.seen ? [d.seen] : []), ...(d.device ? [d.device] : []), ...streams.flatMap(fillsOf)]);
      for (const s of streams) onPhone[s] = merge([...(extent ? intersect(ring[s]!, [extent]) : []), ...fillsOf(s)], 1);
      const all = Object.values(onPhone).flat();
      const from = Math.min(...all.map((x) => x.from), d.device?.from ?? Infinity);
      const to = Math.max(...all.map((x) => x.to), d.device?.to ?? -Infinity);
      const whole = Number.isFinite(from) && Number.isFinite(to) ? [{ from, to }] : [];
      const missing: Record<string, Span[]> = {}, recoverable: Record<string, Span[]> = {};
      for (const s of streams) {
        missing[s] = subtract(whole, onPhone[s]!);
        recoverable[s] = d.device ? intersect(missing[s]!, [d.device]) : [];
      }
      return {
        id: d.id, from: Number.isFinite(from) ? from : null, to: Number.isFinite(to) ? to : null,
        onPhone, missing, onDevice: d.device ? { from: d.device.from, to: d.device.to } : null, recoverable,
      };
    }).filter((v) => v.from !== null);
  }

  // ---- clips ------------------------------------------------------------------------

  /**
   * A manual clip: from the phone's drives (ring or gap-fill footage), or `fromDevice`
   * from footage still in the device's memory (e.g. cabin view the phone never streamed).
   */
  async clip(range: { from: number | string | Date; to: number | string | Date; fromDevice?: boolean; streams?: string[]; title?: string }): Promise<ClipRecord> {
    const { toMicros } = await import('ringclip');
    const from = toMicros(range.from, 'from'), to = toMicros(range.to, 'to');
    if (to <= from) throw new RangeError("a clip's 'to' must be after its 'from'");
    const id = newClipId();
    const file = `${id}.mp4`;
    const path = join(this.#paths.clips, file);
    let start = from, end = to;
    const streams = range.streams ?? STREAMS;
    let source: ClipRecord['source'];
    if (range.fromDevice) {
      const h = await this.#deviceClient().footage(from, to, path, {
        streams, onProgress: (done, total) => this.emit('transfer', { kind: 'download', id, done, total }),
      });
      start = h.start ?? from;
      end = h.end ?? to;
      source = 'device';
    } else {
      if (this.#migrating) await this.#migrating;
      const cut = await this.#bestSource(from, to, streams);
      if (!cut) throw new Error(`the phone has no footage from ${microsToIso(from)} to ${microsToIso(to)}${this.#settings.device ? ': clip it fromDevice while the device still has it' : ''}`);
      const tmp = `${path}.part`;
      try {
        await cut.clip.writeMP4(tmp);
        renameSync(tmp, path);
      } finally {
        start = cut.start;
        end = cut.end;
        cut.clip.release();
        cut.close();
      }
      source = 'phone';
    }
    const meta: ClipMetadata = { kind: 'manual', time: microsToIso(start), ...(range.title ? { title: range.title } : {}) };
    const drive = this.drives().find((d) => d.from !== null && d.to !== null && from < d.to && to > d.from)?.id ?? null;
    const rec: ClipRecord = {
      id, kind: 'manual', source, deviceEvent: null, from: start, to: end, time: start, drive, file,
      bytes: statSync(path).size, createdAt: Date.now(), uploaded: false, meta,
    };
    this.#lib.clips.push(rec);
    this.#saveLibrary();
    this.#queue.add(id, path, meta);
    this.emit('clip', rec);
    await this.#enforceBudget();
    return rec;
  }

  /** The phone source that covers most of [from, to): the ring or a gap-fill file. */
  async #bestSource(from: number, to: number, streams: string[]): Promise<{ clip: Clip; start: number; end: number; close: () => void } | null> {
    const want = [{ from, to }];
    const cover = (spans: Span[]) => intersect(want, spans).reduce((n, s) => n + s.to - s.from, 0);
    const candidates: Array<{ covered: number; make: () => Promise<{ clip: Clip; start: number; end: number; close: () => void }> }> = [];
    const ringStreams = streams.filter((s) => this.#has(s, from, to));
    candidates.push({
      covered: cover(ringStreams.flatMap((s) => this.#ringSpans(s))),
      make: async () => {
        const clip = this.#ring!.clip({ from, to, streams: ringStreams, allowPartial: true });
        return { clip, start: clip.start ?? from, end: clip.end ?? to, close: () => {} };
      },
    });
    for (const f of this.#lib.fills) {
      candidates.push({
        covered: cover([{ from: f.from, to: f.to }]),
        make: async () => {
          const src = await Mp4Source.open(join(this.#paths.fills, f.file));
          // The file's prft puts its frames at their device capture times, to the µs.
          try {
            const names = streams.filter((s) => src.tracks.some((t) => t.name === s));
            const clip = src.clip({ from, to, streams: names, allowPartial: true });
            return { clip, start: clip.start ?? from, end: clip.end ?? to, close: () => src.close() };
          } catch (err) {
            src.close();
            throw err;
          }
        },
      });
    }
    candidates.sort((a, b) => b.covered - a.covered);
    const best = candidates[0];
    if (!best || best.covered <= 0) return null;
    return best.make();
  }

  /** What the ring holds of a stream, from its own index. */
  #ringSpans(stream: string): Span[] {
    const ring = this.#ring;
    if (!ring || !ring.streams.includes(stream)) return [];
    return ring.spans(stream, { maxGap: TIMELINE_MAX_GAP_MS }).map(({ from, to }) => ({ from, to }));
  }

  #has(stream: string, from: number, to: number): boolean {
    return intersect([{ from, to }], this.#ringSpans(stream)).length > 0;
  }

  /** Clips on the phone and in the cloud (the cloud list when signed in and online). */
  async clips(): Promise<ClipView[]> {
    const views = new Map<string, ClipView>();
    for (const c of this.#lib.clips) {
      views.set(c.id, {
        id: c.id, kind: c.kind, source: c.source, from: c.from, to: c.to, time: microsToIso(c.time), local: c.file !== null,
        path: c.file ? join(this.#paths.clips, c.file) : null, bytes: c.bytes, uploaded: c.uploaded, uploading: this.#queue.has(c.id), cloud: null,
      });
    }
    const cloud = this.#cloud();
    if (cloud && this.#network !== 'offline') {
      try {
        for (const cc of await cloud.list()) {
          const v = views.get(cc.id);
          if (v) { v.cloud = cc; continue; }
          if (this.#lib.pendingDeletes.includes(cc.id)) continue;
          views.set(cc.id, {
            id: cc.id, kind: cc.kind, source: 'cloud', from: null, to: null, time: cc.time, local: false, path: null,
            bytes: cc.size, uploaded: cc.state === 'ready', uploading: false, cloud: cc,
          });
        }
      } catch (err) {
        this.emit('error', err as Error);
      }
    }
    return [...views.values()].sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  }

  /** Where to play a clip: the phone's file, or the cloud's (signed) video URL. */
  async playUrl(id: string): Promise<string | null> {
    const c = this.#lib.clips.find((x) => x.id === id);
    if (c?.file) return join(this.#paths.clips, c.file);
    return (await this.#cloud()?.videoUrl(id)) ?? null;
  }

  /** Deletes a clip from the phone AND permanently from the cloud. */
  async delete(id: string): Promise<void> {
    const c = this.#lib.clips.find((x) => x.id === id);
    this.#queue.remove(id);
    if (c?.file) rmSync(join(this.#paths.clips, c.file), { force: true });
    this.#lib.clips = this.#lib.clips.filter((x) => x.id !== id);
    if (!this.#lib.pendingDeletes.includes(id)) this.#lib.pendingDeletes.push(id);
    this.#saveLibrary();
    await this.#enforceBudget();
    await this.#flushDeletes();
  }

  /** Cloud deletes are retried until the cloud confirms (offline, not signed in). */
  async #flushDeletes(): Promise<void> {
    const cloud = this.#cloud();
    if (!cloud || this.#network === 'offline') return;
    for (const id of [...this.#lib.pendingDeletes]) {
      try {
        await cloud.remove(id);
        this.#lib.pendingDeletes = this.#lib.pendingDeletes.filter((x) => x !== id);
        this.#saveLibrary();
      } catch (err) {
        this.emit('error', new Error(`cloud delete of ${id} will be retried: ${(err as Error).message}`));
      }
    }
  }

  // ---- cloud and network ------------------------------------------------------------

  #cloudClient: CloudClient | null = null;
  #cloud(): CloudClient | null {
    const s = this.#settings.cloud;
    if (!s) return null;
    if (!this.#cloudClient || this.#cloudClient.url !== s.url || this.#cloudClient.token !== s.token) this.#cloudClient = new CloudClient(s.url, s.token);
    return this.#cloudClient;
  }

  /** Signs in to the cloud with a token (checked with GET /v1/me). */
  async signIn(url: string, token: string): Promise<{ id: string; name: string }> {
    const me = await new CloudClient(url, token).me();
    this.#settings.cloud = { url: url.replace(/\/+$/, ''), token };
    this.#saveSettings();
    this.#queue.poke(true);
    await this.#flushDeletes();
    return me;
  }

  get network(): Network { return this.#network; }
  get allowCellular(): boolean { return this.#settings.allowCellular; }
  get canUpload(): boolean { return this.#network === 'wifi' || (this.#network === 'cellular' && this.#settings.allowCellular); }

  /** The phone's internet link (simulated): uploads run on Wi-Fi, or cellular if allowed. */
  setNetwork(network: Network): void {
    if (!['wifi', 'cellular', 'offline'].includes(network)) throw new RangeError(`network is wifi, cellular or offline, got ${network}`);
    this.#network = network;
    this.#queue.poke(true);
    if (network !== 'offline') void this.#flushDeletes();
  }

  setAllowCellular(allow: boolean): void {
    this.#settings.allowCellular = allow;
    this.#saveSettings();
    this.#queue.poke(true);
  }

  /** Upload queue state. */
  get uploads(): UploadQueue { return this.#queue; }

  /** Resolves when the clip (or every queued clip) has reached the cloud. */
  uploaded(id?: string, timeoutMs?: number): Promise<void> { return this.#queue.drained(id, timeoutMs); }

  // ---- lifecycle --------------------------------------------------------------------

  get closed(): boolean { return this.#closed; }

  /** Closes the app: the live stream and uploads stop (uploads resume at the next open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.disconnect();
    if (this.#filling) await this.#filling;
    await this.#queue.stop();
    if (this.#migrating) await this.#migrating.catch(() => {});
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    this.#saveLibrary();
    await this.#ring?.close();
    this.#ring = null;
    this.#closed = true;
  }

  /** Uninstalls the app: every local video and all app state are deleted. Cloud clips stay. */
  async uninstall(): Promise<void> {
    await this.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** @internal for tests and the CLI */
  get ring(): SegmentStore | null { return this.#ring; }
}

/** The smallest span holding all of them (null for none). */
function hull(spans: Span[]): Span | null {
  if (spans.length === 0) return null;
  return { from: Math.min(...spans.map((x) => x.from)), to: Math.max(...spans.map((x) => x.to)) };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}
