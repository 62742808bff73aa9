/**
 * The dashcam: two cameras recording into internal memory from power-on, a G-sensor whose
 * events protect their footage until the phone acknowledges them, and the Wi-Fi API.
 * Time is virtual: `run()` drives a scenario at any multiple of real time, and every
 * timestamp (footage, events, traces) reads as if it ran in real time.
 */
import { EventEmitter } from 'node:events';
import {
  ProtectionLimitError,
  RingFullError,
  toMicros,
  type OverwriteEvent,
  type RecoveryReport,
  type SegmentStore,
  type TimeInput,
} from 'ringclip';
import { GpsReceiver } from './gps.js';
import { CABIN_AUDIO_STREAM, loadAacLoop, Microphone } from './microphone.js';
import { Route } from './route.js';
import { SETTINGS_DEFAULTS, SettingsFile, applySettings, type DeviceSettings } from './settings.js';
import { TELEMETRY_STREAM, TelemetryWriter, accelerationPacket, storeTelemetry } from './telemetry.js';
import { createCamera, type Camera, type CameraOptions, type Picture } from './camera.js';
import { Pacer, VirtualClock } from './clock.js';
import { EventDetector, type Detection, type DetectionOptions, type EventKind } from './detector.js';
import { EventLog, type DeviceEvent } from './events.js';
import { GSENSOR_HZ, GSENSOR_PERIOD_US, type GSample } from './gsensor.js';
import { openMemory, type MemoryOptions } from './memory.js';
import { Pairing } from './pairing.js';
import { DriveModel, scenarioDuration, seconds, validateScenario, type Scenario } from './scenario.js';
import { WifiApi, type ServerOptions } from './server.js';

export interface DashcamOptions {
  /** where internal memory (memory.ring), events.json and pairing.json live */
  dataDir: string;
  /** internal memory size and layout (used when the store is created) */
  memory?: MemoryOptions;
  /** the cameras (default: road 1280x720 at 30 fps and cabin 640x360 at 15 fps, GOP 1 s) */
  cameras?: CameraOptions[];
  detection?: DetectionOptions;
  /**
   * Factory settings (what a device without settings.json starts with; the app changes them
   * with PATCH /settings): event clip length, cabin audio, GPS rate. See DeviceSettings.
   */
  settings?: Partial<DeviceSettings>;
  /** factory event clip window: the same as settings.eventBeforeSeconds / eventAfterSeconds (default 20 s + 20 s) */
  clipWindow?: { before?: number | string; after?: number | string };
  /** the manual clip button keeps the last N seconds (default 20) */
  manualClipSeconds?: number;
  /** the cabin microphone's ADTS asset (default assets/cabin-audio.aac) */
  cabinAudioAsset?: string;
  /** make footage durable every N seconds of device time (default 1) */
  flushEvery?: number | string;
  /** device time at the first power-on (default: now) */
  startTime?: TimeInput;
  /** parking mode (ignition off): see ParkingOptions */
  parking?: ParkingOptions;
  /** the pairing code the device shows (default: random, new at every power-on) */
  pairingCode?: string;
}

/**
 * Parking mode: while the car is parked the cameras record a keyframe timelapse into the same
 * ring (one key frame per camera every `intervalSeconds`: each decodable alone, a few percent
 * of driving's bitrate), and the G-sensor's parking threshold is armed. A bump produces a
 * `parking-bump` event whose clip holds the timelapse before it and full-rate footage after
 * it (the cameras switch to full rate until the clip window ends).
 */
export interface ParkingOptions {
  /** seconds between timelapse pictures (default 1) */
  intervalSeconds?: number;
  /** a bump: acceleration (gravity removed) of at least this many g (default 0.3) */
  threshold?: number;
  /** the parking clip's length, 10 to 30 s (default 20) */
  clipSeconds?: number;
  /** of which before the bump (default 5, as BlackVue does) */
  beforeSeconds?: number;
}

export interface RunOptions {
  /** multiple of real time (default 20; Infinity: as fast as possible) */
  speed?: number;
  /** how much of the scenario to drive (default: its duration) */
  duration?: number | string;
  signal?: AbortSignal;
}

export interface RunSummary {
  scenario: string;
  /** device time, µs */
  from: number;
  to: number;
  realMs: number;
  speed: number;
  /** per camera */
  frames: Record<string, number>;
  bytes: Record<string, number>;
  /** the cabin microphone: AAC frames stored and their bytes */
  audio: { frames: number; bytes: number };
  /** the telemetry stream: camm samples stored (G-sensor and GPS) and their bytes */
  telemetry: { samples: number; gps: number; bytes: number };
  events: DeviceEvent[];
  dropped: number;
  overwrittenFrames: number;
}

export interface DashcamEvents {
  event: [DeviceEvent];
  /** a trigger inside an event's window extended it (its `to` and `triggers` changed) */
  'event-extended': [DeviceEvent];
  'event-complete': [DeviceEvent];
  overwrite: [OverwriteEvent];
  power: [{ on: boolean; drive?: number; abrupt?: boolean; recovery?: RecoveryReport | null }];
  error: [Error];
}

const PARKED: Scenario = { name: 'parked', steps: [], roadNoise: 0 };
/** Events the G-sensor detects while driving: a new trigger inside one's window extends it. */
const DETECTED = new Set<DeviceEvent['kind']>(['hard-brake', 'collision', 'hard-acceleration', 'sharp-turn']);
/** The longest clip window an event may have before its trigger (settings allow 120 s). */
const MAX_EVENT_SECONDS = 120;
/** A trace holds at most the longest detected window (120 s + 120 s); a longer manual clip's stops there. */
const MAX_TRACE_SAMPLES = 2 * MAX_EVENT_SECONDS * GSENSOR_HZ;

export class Dashcam extends EventEmitter<DashcamEvents> {
  readonly options: DashcamOptions;
  readonly cameras: Camera[];
  #store: SegmentStore | null = null;
  #log: EventLog | null = null;
  #pairing: Pairing | null = null;
  #clock: VirtualClock | null = null;
  #detector: EventDetector;
  #model: DriveModel = new DriveModel(PARKED);
  #history: GSample[] = [];
  #tracing: DeviceEvent[] = [];
  /** events whose clip window is still being recorded */
  #open: DeviceEvent[] = [];
  #loop: Promise<unknown> | null = null;
  #stop = false;
  #api: WifiApi | null = null;
  #drive = 0;
  #durableUntil: number | null = null;
  #lastFlush = 0;
  #flushing: Promise<void> | null = null;
  #dropped = 0;
  #overwritten = 0;
  #recovery: RecoveryReport | null = null;
  #factory: DeviceSettings;
  #settings: SettingsFile | null = null;
  #route: Route | null = null;
  #gps: GpsReceiver | null = null;
  #telemetry: TelemetryWriter | null = null;
  #microphone: Microphone;
  /** the microphone is recording (cabin audio on, cameras at full rate) */
  #listening = false;
  /** AAC frames and bytes stored since the Dashcam was made */
  #audio = { frames: 0, bytes: 0 };
  #flushEvery: number;
  #parking: Required<ParkingOptions>;
  #parked = false;
  /** parked and recording at full rate after a bump, until this device time */
  #fullRateUntil: number | null = null;

  constructor(options: DashcamOptions) {
    super();
    if (!options || typeof options.dataDir !== 'string' || !options.dataDir)
      throw new TypeError('Dashcam needs { dataDir }');
    this.options = options;
    const cams = options.cameras ?? [{ name: 'road' }, { name: 'cabin' }];
    if (cams.length === 0 || new Set(cams.map((c) => c.name)).size !== cams.length)
      throw new RangeError('cameras must have distinct names');
    this.cameras = cams.map((c) => createCamera(c));
    this.#detector = new EventDetector(options.detection);
    this.#factory = applySettings(SETTINGS_DEFAULTS, {
      ...(options.clipWindow?.before !== undefined
        ? { eventBeforeSeconds: seconds(options.clipWindow.before, 'clipWindow.before') }
        : {}),
      ...(options.clipWindow?.after !== undefined
        ? { eventAfterSeconds: seconds(options.clipWindow.after, 'clipWindow.after') }
        : {}),
      ...options.settings,
    });
    this.#microphone = new Microphone(loadAacLoop(options.cabinAudioAsset));
    this.#flushEvery = seconds(options.flushEvery, 'flushEvery', 1) * 1e6;
    const p = options.parking ?? {};
    this.#parking = {
      intervalSeconds: p.intervalSeconds ?? 1,
      threshold: p.threshold ?? 0.3,
      clipSeconds: p.clipSeconds ?? 20,
      beforeSeconds: p.beforeSeconds ?? 5,
    };
    const k = this.#parking;
    if (!(k.intervalSeconds > 0 && k.intervalSeconds <= 60))
      throw new RangeError(`parking.intervalSeconds is from 0 to 60, got ${k.intervalSeconds}`);
    if (!(k.threshold > 0)) throw new RangeError(`parking.threshold is above 0 g, got ${k.threshold}`);
    if (!(k.clipSeconds >= 10 && k.clipSeconds <= 30))
      throw new RangeError(`parking.clipSeconds is from 10 to 30, got ${k.clipSeconds}`);
    if (!(k.beforeSeconds >= 0 && k.beforeSeconds < k.clipSeconds))
      throw new RangeError(`parking.beforeSeconds is from 0 to clipSeconds, got ${k.beforeSeconds}`);
  }

  /** The user's settings (GET /settings). */
  get settings(): DeviceSettings {
    if (!this.#settings) throw new Error('the dashcam is powered off');
    return this.#settings.current;
  }

  /** Changes settings (PATCH /settings): all or nothing, saved, in effect from the next sample. RangeError for a bad value. */
  updateSettings(patch: unknown): DeviceSettings {
    if (!this.#settings) throw new Error('the dashcam is powered off');
    const next = this.#settings.update(patch);
    this.#gps!.hz = next.gpsHz;
    return next;
  }

  /** In parking mode (keyframe timelapse, parking threshold armed). */
  get parked(): boolean {
    return this.#parked;
  }

  get powered(): boolean {
    return this.#store !== null;
  }
  /** Internal memory (while powered). */
  get store(): SegmentStore {
    this.#requirePower();
    return this.#store!;
  }
  #requirePower(): void {
    if (!this.#store) throw new Error('the dashcam is powered off');
  }
  get clock(): VirtualClock {
    if (!this.#clock) throw new Error('the dashcam is powered off');
    return this.#clock;
  }
  /** Device time, µs since the epoch. */
  now(): number {
    return this.clock.now();
  }
  get drive(): number {
    return this.#drive;
  }
  get pairingCode(): string {
    if (!this.#pairing) throw new Error('the dashcam is powered off');
    return this.#pairing.code;
  }
  /** @internal */ get pairing(): Pairing {
    return this.#pairing!;
  }
  get events(): DeviceEvent[] {
    return this.#log?.list() ?? [];
  }
  event(id: string): DeviceEvent | undefined {
    return this.#log?.get(id);
  }
  /** Device time up to which footage is durable (flushed). */
  get durableUntil(): number | null {
    return this.#durableUntil;
  }
  get recovery(): RecoveryReport | null {
    return this.#recovery;
  }
  get recording(): boolean {
    return this.#loop !== null;
  }

  /** Powers on: opens (recovers) or creates internal memory and starts a new drive. */
  async powerOn(options: { at?: TimeInput } = {}): Promise<void> {
    if (this.#store) return;
    const streams = [
      ...this.cameras.map((c) => c.name),
      { name: CABIN_AUDIO_STREAM, kind: 'audio' as const },
      { name: TELEMETRY_STREAM, kind: 'metadata' as const },
    ];
    const { store, recovery } = await openMemory(this.options.dataDir, streams, this.options.memory);
    this.#store = store;
    this.#recovery = recovery;
    store.on('overwrite', (e) => {
      this.#overwritten += e.frames;
      this.emit('overwrite', e);
    });
    store.on('error', (e) => this.emit('error', e));
    const info = store.info();
    this.#drive = info.currentDrive;
    // Footage times only move forward: a new drive starts after the last stored frame.
    const last = Math.max(0, ...info.streams.map((s) => s.last ?? 0));
    const wanted =
      options.at !== undefined
        ? toMicros(options.at, 'at')
        : recovery === null && this.options.startTime !== undefined
          ? toMicros(this.options.startTime, 'startTime')
          : Date.now() * 1000;
    const start = Math.max(wanted, last ? last + 1e6 : 0);
    this.#clock = new VirtualClock(start);
    this.#lastFlush = start;
    this.#durableUntil = null;
    this.#history = [];
    this.#tracing = [];
    this.#open = [];
    this.#detector = new EventDetector(this.options.detection);
    this.#model = new DriveModel(PARKED);
    this.#parked = false;
    this.#fullRateUntil = null;
    for (const cam of this.cameras) cam.setTimelapse(null, start);
    this.#settings = new SettingsFile(this.options.dataDir, this.#factory);
    this.#route = new Route(undefined, start);
    this.#gps = new GpsReceiver(this.#settings.current.gpsHz);
    this.#telemetry = storeTelemetry(store);
    this.#listening = false;
    this.#log = new EventLog(this.options.dataDir);
    this.#log.reconcile(store, this.#drive);
    this.#pairing = new Pairing(this.options.dataDir, this.options.pairingCode);
    this.emit('power', { on: true, drive: this.#drive, recovery });
  }

  /**
   * Powers off. Graceful: stops recording, makes everything durable, saves the event list,
   * closes internal memory. Abrupt (`{ abrupt: true }`, a power cut): recording stops where
   * it is, nothing more is flushed or saved, the Wi-Fi API drops its connections. (In one
   * process the engine's handle must still be closed to release the store's lock, and
   * closing syncs the mapping; a real power cut — or kill -9 of a `ringclip-device`
   * process — can lose footage after the last flush.)
   */
  async powerOff(options: { abrupt?: boolean } = {}): Promise<void> {
    const store = this.#store;
    if (!store) return;
    const abrupt = options.abrupt === true;
    await this.#halt();
    await this.stopServer({ abrupt });
    // A picture held for B-frames is stored on a graceful power-off, lost in a power cut; either
    // way the next drive starts without it.
    for (const cam of this.cameras) {
      const held = cam.flush();
      if (!abrupt) this.#write(store, cam, held);
    }
    if (!abrupt) {
      await store.flush();
      this.#durableUntil = this.#clock!.now();
      this.#log!.save();
    }
    this.#store = null;
    await store.close();
    this.#log = null;
    this.#clock = null;
    this.#settings = null;
    this.emit('power', { on: false, abrupt });
  }

  /** Drives a scenario: resolves when its duration has passed in device time. */
  async run(scenario: Scenario, options: RunOptions = {}): Promise<RunSummary> {
    this.#requirePower();
    validateScenario(scenario);
    await this.#halt();
    const speed = options.speed ?? 20;
    const durationUs =
      (options.duration !== undefined ? seconds(options.duration, 'duration') : scenarioDuration(scenario)) * 1e6;
    const from = this.now();
    const eventsBefore = new Set(this.events.map((e) => e.id));
    const frames0 = this.cameras.map((c) => c.stats.pictures),
      bytes0 = this.cameras.map((c) => c.stats.bytes);
    const dropped0 = this.#dropped,
      over0 = this.#overwritten;
    const audio0 = { ...this.#audio },
      telemetry0 = { ...this.#telemetry!.stats };
    const t0 = performance.now();
    this.#model = new DriveModel(scenario, { speedKmh: 0, distanceM: this.#model.state.distanceM });
    // A scenario that says where it starts drives the same route every time; one that does
    // not goes on from where the car is.
    if (scenario.route) this.#route = new Route(scenario.route, from);
    this.#setParked(scenario.parked === true);
    const to = await this.#start(from + durationUs, speed, options.signal);
    this.#model = new DriveModel(PARKED, { distanceM: this.#model.state.distanceM });
    return {
      scenario: scenario.name,
      from,
      to,
      realMs: Math.round(performance.now() - t0),
      speed,
      frames: Object.fromEntries(this.cameras.map((c, i) => [c.name, c.stats.pictures - frames0[i]])),
      bytes: Object.fromEntries(this.cameras.map((c, i) => [c.name, c.stats.bytes - bytes0[i]])),
      audio: { frames: this.#audio.frames - audio0.frames, bytes: this.#audio.bytes - audio0.bytes },
      telemetry: ((t) => ({
        samples: t.samples - telemetry0.samples,
        gps: t.gps - telemetry0.gps,
        bytes: t.bytes - telemetry0.bytes,
      }))(this.#telemetry!.stats),
      events: this.events.filter((e) => !eventsBefore.has(e.id)),
      dropped: this.#dropped - dropped0 + this.#telemetry!.stats.dropped - telemetry0.dropped,
      overwrittenFrames: this.#overwritten - over0,
    };
  }

  /**
   * The car is parked: parking mode (keyframe timelapse, parking threshold armed) at 1x real
   * time (or `speed`) until run(), powerOff() or stopRecording().
   */
  park(speed = 1): void {
    this.#requirePower();
    void this.#halt()
      .then(() => {
        this.#model = new DriveModel(PARKED, { distanceM: this.#model.state.distanceM });
        this.#setParked(true);
        return this.#start(Infinity, speed);
      })
      .then(
        () => undefined,
        (e: unknown) => this.emit('error', e as Error),
      );
  }

  #setParked(parked: boolean): void {
    if (parked === this.#parked && this.#fullRateUntil === null) return;
    this.#parked = parked;
    this.#fullRateUntil = null;
    const now = this.now();
    for (const cam of this.cameras) cam.setTimelapse(parked ? this.#parking.intervalSeconds * 1e6 : null, now);
  }

  /** Parked: a bump starts a parking event and full-rate recording until its clip ends. */
  #watchParked(g: GSample): void {
    const t = g.t;
    if (this.#fullRateUntil !== null) {
      if (t < this.#fullRateUntil) return;
      this.#fullRateUntil = null;
      for (const cam of this.cameras) cam.setTimelapse(this.#parking.intervalSeconds * 1e6, t);
    }
    const magnitude = Math.hypot(g.x, g.y, g.z - 1);
    if (magnitude < this.#parking.threshold) return;
    const before = this.#parking.beforeSeconds * 1e6,
      after = (this.#parking.clipSeconds - this.#parking.beforeSeconds) * 1e6;
    this.#newEvent('parking-bump', t, t, Math.round(magnitude * 1000) / 1000, t - before, t + after);
    this.#fullRateUntil = t + after;
    for (const cam of this.cameras) cam.setTimelapse(null, t);
  }

  /** Stops advancing time (the device holds its state; footage stays as recorded). */
  async stopRecording(): Promise<void> {
    await this.#halt();
  }

  async #halt(): Promise<void> {
    if (!this.#loop) return;
    this.#stop = true;
    try {
      await this.#loop;
    } finally {
      this.#stop = false;
    }
    if (this.#flushing) await this.#flushing;
  }

  /** Records until endUs (device time) or a stop; resolves with the device time reached. */
  #start(endUs: number, speed: number, signal?: AbortSignal): Promise<number> {
    const p = this.#record(endUs, speed, signal).finally(() => {
      if (this.#loop === p) this.#loop = null;
    });
    this.#loop = p;
    return p;
  }

  async #record(endUs: number, speed: number, signal?: AbortSignal): Promise<number> {
    const clock = this.clock,
      store = this.store;
    const pacer = new Pacer(speed, clock.now());
    while (clock.now() < endUs && !this.#stop && !signal?.aborted) {
      const t = clock.now() + GSENSOR_PERIOD_US;
      const g: GSample = { t, ...this.#model.step() };
      const before = this.#route!.point;
      const here = this.#route!.advance(t, this.#model.state.speedKmh, this.#model.lateralG);
      this.#remember(g);
      for (const d of this.#detector.push(g)) this.#onDetection(d);
      if (this.#parked) this.#watchParked(g);
      for (const cam of this.cameras) {
        while (cam.nextPts < t) this.#write(store, cam, cam.capture(this.#model.state));
      }
      this.#listen(store, t);
      this.#telemetry!.push([{ t, packet: accelerationPacket(g) }], this.#gps!.fixes(before, here));
      clock.advanceTo(t);
      this.#tick(t);
      if (t - this.#lastFlush >= this.#flushEvery) {
        // Flushes run off the JS thread while recording goes on; one at a time.
        if (this.#flushing) await this.#flushing;
        this.#lastFlush = t;
        const p: Promise<void> = store
          .flush()
          .then(() => {
            if (this.#store === store) this.#durableUntil = t;
          })
          .catch((err: unknown) => {
            this.emit('error', err as Error);
          })
          .finally(() => {
            if (this.#flushing === p) this.#flushing = null;
          });
        this.#flushing = p;
      }
      await pacer.wait(t);
    }
    if (this.#flushing) await this.#flushing;
    return clock.now();
  }

  /** Keeps the G-sensor samples an event clip may need from before its trigger. */
  #remember(g: GSample): void {
    this.#history.push(g);
    // Trimmed in batches: the oldest samples go once the history is twice what it needs.
    const keep = MAX_EVENT_SECONDS * GSENSOR_HZ + 10;
    if (this.#history.length > 2 * keep) this.#history.splice(0, this.#history.length - keep);
  }

  /** Stores a camera's pictures (decode order). */
  #write(store: SegmentStore, cam: Camera, pictures: Picture[]): void {
    let lost = false;
    for (const pic of pictures) {
      // After a lost picture, the pictures that may refer to it go too, up to a key frame.
      if (lost && !pic.idr) {
        this.#dropped++;
        continue;
      }
      try {
        store.write(pic.stream, pic.data, { pts: pic.pts, dts: pic.dts });
        lost = false;
      } catch (err) {
        if (!(err instanceof RingFullError)) throw err;
        // Everything is protected: this picture is lost, and the next must not refer to it.
        this.#dropped++;
        lost = true;
        cam.requestKeyframe();
      }
    }
  }

  /**
   * The cabin microphone, up to device time t: on while cabin audio is on and the cameras
   * record at full rate (a parking timelapse has no sound). It picks up on its whole-second
   * grid whenever it starts again.
   */
  #listen(store: SegmentStore, t: number): void {
    const on = this.#settings!.current.cabinAudio && !this.cameras.some((c) => c.timelapse);
    if (on && !this.#listening) this.#microphone.start(this.clock.now());
    this.#listening = on;
    if (!on) return;
    const { config } = this.#microphone.loop;
    while (this.#microphone.nextPts < t) {
      const frame = this.#microphone.capture();
      this.#stored(() => {
        // (a frame the store does not keep is in its droppedFrames)
        if (store.writeAudio(CABIN_AUDIO_STREAM, frame.data, { pts: frame.pts, config }) === 0) return;
        this.#audio.frames++;
        this.#audio.bytes += frame.data.length;
      });
    }
  }

  /** Audio: when everything is protected the frame is lost and counted, as a picture is. */
  #stored(write: () => unknown): void {
    try {
      write();
    } catch (err) {
      if (!(err instanceof RingFullError)) throw err;
      this.#dropped++;
    }
  }

  /** Traces and clip windows finishing at device time t. */
  #tick(t: number): void {
    if (this.#tracing.length) {
      const g = this.#history[this.#history.length - 1]!;
      // An event's trace covers its whole clip window, which a later trigger may extend.
      this.#tracing = this.#tracing.filter((e) => {
        const next = g.t > e.trace.start + e.trace.samples.length * GSENSOR_PERIOD_US - 1;
        if (next && g.t <= e.to && e.trace.samples.length < MAX_TRACE_SAMPLES) e.trace.samples.push(sample(g));
        return t < e.to;
      });
    }
    if (this.#open.length && this.#open.some((e) => t >= e.to)) {
      const done = this.#open.filter((e) => t >= e.to);
      this.#open = this.#open.filter((e) => t < e.to);
      for (const e of done) e.complete = true;
      this.#log!.save();
      for (const e of done) this.emit('event-complete', e);
    }
  }

  #onDetection(d: Detection): void {
    const { eventBeforeSeconds, eventAfterSeconds } = this.#settings!.current;
    // A trigger inside a detected event's window extends that event rather than making another.
    const open = this.#open.find((e) => DETECTED.has(e.kind) && d.time <= e.to);
    if (open) this.#extend(open, d, d.time + eventAfterSeconds * 1e6);
    else
      this.#newEvent(
        d.kind,
        d.time,
        d.detectedAt,
        d.peak,
        d.time - eventBeforeSeconds * 1e6,
        d.time + eventAfterSeconds * 1e6,
      );
  }

  #extend(e: DeviceEvent, d: Detection, to: number): void {
    const log = this.#log!;
    e.triggers = [...(e.triggers ?? []), { kind: d.kind, time: d.time, detectedAt: d.detectedAt, peakG: d.peak }];
    if (to > e.to) {
      try {
        // The longer window is protected before the shorter one is let go: no moment unprotected.
        log.replaceProtection(e, this.store.protect({ from: e.from, to }));
      } catch (err) {
        if (!(err instanceof ProtectionLimitError)) throw err;
        e.note = `the extension to ${new Date(to / 1000).toISOString()} is not protected: ${err.message}`;
      }
      e.to = to;
    }
    log.save();
    this.emit('event-extended', e);
  }

  #newEvent(
    kind: DeviceEvent['kind'],
    time: number,
    detectedAt: number,
    peakG: number | null,
    from: number,
    to: number,
  ): DeviceEvent {
    const log = this.#log!;
    // The history reaches back MAX_EVENT_SECONDS: a manual clip of older footage has the trace of its recent part.
    const past = this.#history.filter(
      (g) => g.t >= Math.max(from, this.now() - MAX_EVENT_SECONDS * 1e6) && g.t <= Math.min(to, this.now()),
    );
    const e = log.add({
      kind,
      time,
      detectedAt,
      peakG,
      from,
      to,
      drive: this.#drive,
      trace: { hz: GSENSOR_HZ, start: past[0]?.t ?? time, samples: past.map(sample) },
    });
    if (DETECTED.has(kind)) e.triggers = [{ kind: kind as EventKind, time, detectedAt, peakG: peakG! }];
    // Where it happened: the route's position now, a few ms after the incident began (at the
    // speeds driven, within a metre or two of it); the clip's GPS track has every fix.
    const at = this.#route?.point;
    e.location = at ? { latitude: at.latitude, longitude: at.longitude } : null;
    try {
      log.attachProtection(e, this.store.protect({ from, to }));
    } catch (err) {
      if (!(err instanceof ProtectionLimitError)) throw err;
      e.note = `footage not protected: ${err.message}`;
    }
    if (to <= this.now()) e.complete = true;
    else this.#open.push(e);
    this.#tracing.push(e);
    log.save();
    this.emit('event', e);
    return e;
  }

  /** The clip button: keeps the last `secondsBack` seconds (default manualClipSeconds, 20). */
  manualClip(secondsBack = this.options.manualClipSeconds ?? 20): DeviceEvent {
    if (!(typeof secondsBack === 'number' && secondsBack > 0 && secondsBack <= 600))
      throw new RangeError(`a manual clip is up to 10 min long, got ${secondsBack} s`);
    const now = this.now();
    return this.#newEvent('manual', now, now, null, now - secondsBack * 1e6, now);
  }

  /** A manual clip of any range of footage (past, or reaching into the next minutes). */
  clipRange(from: TimeInput, to: TimeInput): DeviceEvent {
    const f = toMicros(from, 'from'),
      t = toMicros(to, 'to');
    if (!(t > f && t - f <= 600e6)) throw new RangeError('a manual clip ends after it starts and is up to 10 min long');
    const now = this.now();
    return this.#newEvent('manual', f, now, null, f, t);
  }

  /** @internal +Connectivity (connectivity.ts) notes what it does with an event, and it is saved. */
  annotateEvent(id: string, fields: Pick<DeviceEvent, 'cloudClip' | 'liveFromDevice'>): void {
    const e = this.#log?.get(id);
    if (!e) return;
    Object.assign(e, fields);
    this.#log!.save();
  }

  /** The phone (or the cloud, for a device that uploads by itself) has the event's clip: releases its footage. Returns the event, or undefined. */
  acknowledge(id: string): DeviceEvent | undefined {
    const e = this.#log?.get(id);
    if (e) this.#log!.acknowledge(e, this.now());
    return e;
  }

  /** Starts the Wi-Fi API (HTTP on 127.0.0.1; port 0 picks a free port). */
  async startServer(options: ServerOptions = {}): Promise<{ port: number; url: string }> {
    this.#requirePower();
    if (this.#api) return this.#api.address();
    const api = new WifiApi(this, options);
    const addr = await api.listen();
    this.#api = api;
    return addr;
  }

  async stopServer(options: { abrupt?: boolean } = {}): Promise<void> {
    const api = this.#api;
    this.#api = null;
    if (api) await api.close(options.abrupt === true);
  }

  /** What /status reports. */
  status() {
    const info = this.store.info();
    const oldest = Math.min(...info.streams.map((s) => s.first ?? Infinity));
    const newest = Math.max(...info.streams.map((s) => s.last ?? -Infinity));
    const events = this.events;
    return {
      powered: true,
      recording: this.recording,
      parked: this.#parked,
      time: this.now(),
      drive: this.#drive,
      storage: {
        capacity: info.capacity,
        used: info.used,
        protected: info.protectedBytes,
        protectCap: info.protectCapBytes,
        protections: info.protections,
        overwrittenFrames: info.overwrittenFrames,
        droppedFrames: info.droppedFrames + this.#dropped + this.#telemetry!.stats.dropped,
        // Hours of driving the memory holds at the rate recorded so far (null before footage).
        hoursThatFit: ((r) => (r.fullSeconds === null ? null : r.fullSeconds / 3600))(this.store.retention()),
      },
      oldestFootage: Number.isFinite(oldest) ? oldest : null,
      newestFootage: Number.isFinite(newest) ? newest : null,
      durableUntil: this.#durableUntil,
      cameras: this.cameras.map((c) => {
        const rec = info.streams.find((x) => x.name === c.name);
        return {
          name: c.name,
          width: rec?.width || c.width,
          height: rec?.height || c.height,
          fps: c.fps,
          codec: rec?.codec ?? null,
        };
      }),
      events: { total: events.length, unacknowledged: events.filter((e) => !e.acknowledged).length },
      // Every stream of internal memory and whether it is written now: a live viewer asks only
      // for those (a live stream starts when each of its streams reaches a random access point,
      // so a muted microphone would hold it back forever).
      streams: info.streams.map((s) => ({ name: s.name, kind: s.kind, recording: this.#writing(s.name) })),
    };
  }

  #writing(stream: string): boolean {
    if (!this.recording) return false;
    return stream === CABIN_AUDIO_STREAM ? this.#listening : true;
  }
}

function sample(g: GSample): [number, number, number] {
  return [Math.round(g.x * 1000) / 1000, Math.round(g.y * 1000) / 1000, Math.round(g.z * 1000) / 1000];
}
