/**
 * The Wi-Fi link to the dashcam: pairing, the live stream into the ring, event clips
 * (fetch, save, acknowledge, queue for upload), the device's drive list and gap fill from
 * its memory (after every (re)connect, unless turned off).
 */
import { statSync } from 'node:fs';
import { RingclipError } from 'ringclip';
import { COMPANION_STREAMS, sleep, STREAMS, type AppContext } from './app-context.js';
import { newClipId } from './cloud-client.js';
import { DeviceClient, isoToMicros, type DeviceEventJson, type DeviceStatus } from './device-client.js';
import { HttpError } from './http.js';
import type { ClipRecord, FillRecord } from './library.js';
import { driveViews } from './drives.js';
import { eventClipMetadata } from './event-meta.js';
import { merge } from './timeline.js';

export interface FilledSpan {
  drive: number;
  from: number;
  to: number;
  bytes: number;
}

/**
 * The live stream to the phone, as the Stream button shows it: off (no link), connecting,
 * streaming, paused (by the user, or auto-stream is off) or reconnecting (the stream
 * dropped; the link retries). `why` says it in words.
 */
export interface StreamState {
  state: 'off' | 'connecting' | 'streaming' | 'paused' | 'reconnecting';
  why: string;
}

export class DeviceLink {
  #ctx: AppContext;
  #client: DeviceClient | null = null;
  #abort: AbortController | null = null;
  #loops: Promise<void>[] = [];
  #connected = false;
  #eventBusy: Promise<void> | null = null;
  #filling: Promise<void> | null = null;
  #fillAgain = false;
  // The live stream runs under its own abort, inside the link's: pausing it keeps the link
  // (events and control go on).
  #streamAbort: AbortController | null = null;
  #streaming: Promise<void> | null = null;
  #streamState: StreamState = { state: 'off', why: 'not connected to the device' };
  // The device's streams, as its last status listed them (null: not asked yet, or a device
  // that does not list them: cameras only).
  #deviceStreams: NonNullable<DeviceStatus['streams']> | null = null;
  // The streams of the live stream running now (to restart it when the device's change).
  #liveNow: string[] | null = null;
  #liveRestart: AbortController | null = null;

  constructor(ctx: AppContext) {
    this.#ctx = ctx;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Connects to the dashcam (Wi-Fi): pairs with `code` unless a token from an earlier
   * pairing still works, then streams live and collects event clips until disconnect().
   */
  async connect(url: string, code?: string): Promise<void> {
    const { state } = this.#ctx;
    if (this.#abort) await this.disconnect();
    const known = state.settings.device?.url === url.replace(/\/+$/, '') ? state.settings.device.token : null;
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
    state.settings.device = { url: device.url, token: device.token! };
    state.saveSettings();
    this.#client = device;
    this.#abort = new AbortController();
    this.#loops = [this.#eventLoop(this.#abort.signal)];
    if (this.autoStream) {
      this.stream();
    } else {
      // The link is up for control and events; video waits for the Stream button.
      this.#connected = true;
      this.#ctx.emit('connected', { device: device.url, drive: status.drive });
      this.#setStreamState('paused', 'auto-stream is off: press Stream to watch and record the drive');
    }
  }

  /** Auto-stream at connect (a setting, on by default); off: streaming waits for stream(). */
  get autoStream(): boolean {
    return this.#ctx.state.settings.autoStream !== false;
  }
  setAutoStream(on: boolean): void {
    this.#ctx.state.settings.autoStream = on;
    this.#ctx.state.saveSettings();
  }

  get streamState(): StreamState {
    return { ...this.#streamState };
  }

  #setStreamState(state: StreamState['state'], why: string): void {
    if (this.#streamState.state === state && this.#streamState.why === why) return;
    this.#streamState = { state, why };
    this.#ctx.emit('stream-state', { state, why });
  }

  /** The Stream button: streams the drive live into the phone (needs the link). */
  stream(): void {
    const link = this.#abort;
    if (!link || !this.#client) throw new Error('connect to the device first: streaming needs the Wi-Fi link');
    if (this.#streamAbort) return;
    const abort = new AbortController();
    link.signal.addEventListener('abort', () => abort.abort(), { once: true });
    this.#streamAbort = abort;
    this.#setStreamState('connecting', 'starting the live stream');
    this.#streaming = this.#liveLoop(this.#client, abort.signal).finally(() => {
      this.#streaming = null;
    });
  }

  /** Pauses the live stream; the link stays (events and clips go on). Resolves when it stopped. */
  async pause(why = 'paused by the user'): Promise<void> {
    const abort = this.#streamAbort;
    if (!abort) return;
    this.#streamAbort = null;
    abort.abort();
    await this.#streaming;
    this.#setStreamState('paused', why);
  }

  /** Drops the Wi-Fi link to the device (the phone keeps what it has; the gap shows in drives()). */
  async disconnect(): Promise<void> {
    const abort = this.#abort;
    this.#abort = null;
    abort?.abort();
    this.#streamAbort = null;
    await Promise.allSettled([...this.#loops, this.#streaming]);
    this.#loops = [];
    this.#setStreamState('off', 'disconnected from the device');
    if (this.#connected) {
      this.#connected = false;
      this.#ctx.emit('disconnected', { device: this.#client?.url ?? '', reason: 'disconnect' });
    }
  }

  /** Disconnects and waits for a gap fill in progress. */
  async close(): Promise<void> {
    await this.disconnect();
    if (this.#filling) await this.#filling;
  }

  /** The paired device, also while not streaming (for footage and drive queries). */
  client(): DeviceClient {
    if (this.#client) return this.#client;
    const paired = this.#ctx.state.settings.device;
    if (!paired) throw new Error('no device is paired: connect first');
    this.#client = new DeviceClient(paired.url, paired.token);
    return this.#client;
  }

  get paired(): boolean {
    return this.#ctx.state.settings.device !== null;
  }

  /**
   * The cameras asked for plus the companion streams (cabin audio, telemetry) that both the
   * device and the phone's ring have; with `recordingOnly`, while the device records, only
   * those it writes now (a live stream waits for each of its streams: a muted microphone
   * would hold it back). A device between drives is taken to record them all when it starts.
   */
  withCompanions(cameras: readonly string[], recordingOnly = false): string[] {
    const ring = this.#ctx.ring.store;
    const listed = this.#deviceStreams ?? [];
    const recording = recordingOnly && listed.some((x) => x.recording);
    const extra = COMPANION_STREAMS.map((c) => c.name).filter((name) => {
      const d = listed.find((x) => x.name === name);
      return d !== undefined && (!recording || d.recording) && (ring === null || ring.streams.includes(name));
    });
    return [...cameras, ...extra];
  }

  /** withCompanions(), asking the device for its streams first if it was not asked yet. */
  async footageStreams(cameras: readonly string[], signal?: AbortSignal): Promise<string[]> {
    if (this.#deviceStreams === null) this.#noteStatus(await this.client().status(signal));
    return this.withCompanions(cameras);
  }

  #noteStatus(status: DeviceStatus): void {
    this.#deviceStreams = status.streams ?? null;
    // The device started or stopped writing a stream the live stream has or lacks (cabin audio
    // switched, a parking timelapse began or ended): the stream restarts with the new set.
    const live = this.#liveNow;
    if (live && this.#liveRestart) {
      const want = this.withCompanions(this.#ctx.options.liveStreams ?? STREAMS, true);
      if (want.join(',') !== live.join(',')) this.#liveRestart.abort();
    }
  }

  async #liveLoop(device: DeviceClient, signal: AbortSignal): Promise<void> {
    const { options, ring, emit } = this.#ctx;
    const streams = options.liveStreams ?? STREAMS;
    while (!signal.aborted) {
      let reason = 'the live stream ended';
      try {
        const status = await device.status(signal);
        this.#noteStatus(status);
        if (!this.#connected) emit('connected', { device: device.url, drive: status.drive });
        this.#connected = true;
        this.#fillSoon(signal);
        const live = this.withCompanions(streams, true);
        const restart = new AbortController();
        this.#liveNow = live;
        this.#liveRestart = restart;
        // (the device sends the response headers with the first bytes: the init segment;
        // its prft boxes carry the capture time to the µs)
        const res = await device.live(live, AbortSignal.any([signal, restart.signal]));
        this.#setStreamState('streaming', `streaming drive ${status.drive} live (${live.join(' + ')})`);
        ring.startLive(status.drive);
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) ring.feedLive(Buffer.from(chunk));
      } catch (err) {
        if (signal.aborted) break;
        if (this.#liveRestart?.signal.aborted) {
          // Not a lost link: the device's streams changed; the next stream has the new set at once.
          continue;
        }
        reason = (err as Error).message;
        // What the stream carried was refused (not a lost connection): say so.
        if (err instanceof RingclipError) emit('error', err);
      } finally {
        ring.endLive();
        this.#liveNow = null;
        this.#liveRestart = null;
      }
      if (this.#connected) {
        this.#connected = false;
        emit('disconnected', { device: device.url, reason });
      }
      if (signal.aborted) break;
      this.#setStreamState('reconnecting', reason);
      await sleep(options.reconnectMs ?? 1000, signal);
    }
  }

  async #eventLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.syncEvents(signal);
        // While streaming: has the device started or stopped writing a stream (see #noteStatus)?
        if (this.#liveNow) this.#noteStatus(await this.client().status(signal));
      } catch (err) {
        if (signal.aborted) break;
        // A lost link is the live loop's to report; anything else is an error.
        if (!(err instanceof Error && /fetch failed|ECONNREFUSED|socket/i.test(err.message)))
          this.#ctx.emit('error', err as Error);
      }
      await sleep(this.#ctx.options.eventPollMs ?? 2000, signal);
    }
  }

  /** Fetches, saves, acknowledges and queues every complete unacknowledged event clip. */
  async syncEvents(signal?: AbortSignal): Promise<ClipRecord[]> {
    while (this.#eventBusy) await this.#eventBusy;
    let done!: () => void;
    this.#eventBusy = new Promise((r) => {
      done = r;
    });
    try {
      const device = this.client();
      const out: ClipRecord[] = [];
      const events = await device.events({ unacknowledged: true, signal });
      this.#ctx.emergency.onDeviceEvents(events);
      for (const e of events) {
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
    const { state, emit, clips, budget } = this.#ctx;
    let id = state.lib.eventClips[e.id];
    if (!id) {
      // A dashcam that uploads by itself names the cloud clip: the same id makes the phone's
      // upload of it a no-op (or the rest of the same bytes), never a second clip.
      id = e.cloudClip ?? newClipId();
      state.lib.eventClips[e.id] = id;
      state.saveLibrary();
    }
    let rec = state.lib.clips.find((c) => c.id === id);
    if (!rec) {
      const file = `${id}.mp4`;
      const h = await device.eventClip(e.id, state.clipPath(file), {
        signal,
        onProgress: (done, total) => emit('transfer', { kind: 'download', id, done, total }),
      });
      const time = isoToMicros(e.time)!;
      const start = h.start ?? isoToMicros(e.window.from)!;
      const meta = eventClipMetadata(e, start);
      rec = {
        id,
        kind: e.kind,
        source: 'event',
        deviceEvent: e.id,
        from: start,
        to: h.end ?? isoToMicros(e.window.to)!,
        time,
        drive: e.drive,
        file,
        bytes: h.bytes,
        createdAt: Date.now(),
        uploaded: false,
        meta,
      };
      clips.add(rec);
      emit('event-clip', rec);
      emit('clip', rec);
    }
    // The phone has it: the device may release the footage it protected for this event.
    await device.ack(e.id, signal);
    await budget.enforce();
    return rec;
  }

  /** Asks the device what it still has of each drive (for drives() and gap filling). */
  async refreshDrives(): Promise<void> {
    const { state } = this.#ctx;
    const r = await this.client().drives();
    const now = Date.now();
    const seen = new Set<number>();
    for (const dd of r.drives) {
      seen.add(dd.id);
      const from = isoToMicros(dd.from),
        to = isoToMicros(dd.to);
      const d = state.driveRecord(dd.id);
      d.device = from !== null && to !== null ? { from, to, checkedAt: now } : null;
    }
    for (const d of state.lib.drives) if (!seen.has(d.id)) d.device = null;
    state.saveLibrary();
  }

  /**
   * Fills the gaps of drives from the device's internal memory while it still has them
   * (beyond the original product): each gap becomes a gap-fill MP4 on the phone, counted
   * against the budget. Returns the spans filled.
   */
  async fillGaps(options: { drive?: number; minGapMs?: number; withinBudget?: boolean } = {}): Promise<FilledSpan[]> {
    const { state, emit, budget } = this.#ctx;
    await this.refreshDrives();
    const device = this.client();
    const out: FilledSpan[] = [];
    const cameras = this.#ctx.options.liveStreams ?? STREAMS;
    // The gaps are the cameras'; their fill carries the audio and telemetry of the same span.
    const streams = await this.footageStreams(cameras);
    const todo: Array<{ view: ReturnType<typeof driveViews>[number]; g: { from: number; to: number } }> = [];
    for (const view of driveViews(this.#ctx)) {
      if (options.drive !== undefined && view.id !== options.drive) continue;
      // Gaps common to the streams the phone streams (a gap in one stream only is filled for all).
      const gaps = merge(
        cameras.flatMap((s) => view.recoverable[s] ?? []),
        0,
      ).filter((g) => g.to - g.from >= (options.minGapMs ?? 500) * 1000);
      for (const g of gaps) {
        // Not the live edge of the current drive: the live stream is filling that.
        if (this.#connected && view.to !== null && g.from >= view.to - 2e6) continue;
        todo.push({ view, g });
      }
    }
    // Within the budget, newest first: the budget evicts the oldest fills first, so an old
    // gap fetched first could only push out the newer ones (or itself) and stop the run before
    // them, at every reconnect. Asked explicitly, oldest first (the device loop-records the
    // oldest away first).
    todo.sort((a, b) => (options.withinBudget ? b.g.from - a.g.from : a.g.from - b.g.from));
    for (const { view, g } of todo) {
      const file = `fill-${view.id}-${Math.round(g.from)}.mp4`;
      const path = state.fillPath(file);
      let h;
      try {
        h = await device.footage(g.from, g.to, path, {
          streams,
          onProgress: (done, total) => emit('transfer', { kind: 'download', id: file, done, total }),
        });
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) continue; // overwritten on the device meanwhile
        throw err;
      }
      const rec: FillRecord = {
        file,
        drive: view.id,
        from: h.start ?? g.from,
        to: h.end ?? g.to,
        streams,
        bytes: statSync(path).size,
        createdAt: Date.now(),
      };
      state.lib.fills.push(rec);
      const filled = { drive: view.id, from: rec.from, to: rec.to, bytes: rec.bytes };
      out.push(filled);
      emit('filled', filled);
      // Automatic fills stop where the budget would start evicting (they would evict each other).
      if (options.withinBudget && budget.usage().used >= budget.bytes * 0.9) break;
    }
    state.saveLibrary();
    await budget.enforce();
    return out;
  }

  /** Automatic gap fill on or off (a setting, kept across restarts). */
  setAutoFillGaps(on: boolean): void {
    this.#ctx.state.settings.autoFillGaps = on;
    this.#ctx.state.saveSettings();
  }

  get autoFillGaps(): boolean {
    return this.#ctx.state.settings.autoFillGaps !== false;
  }

  /**
   * After a (re)connect: fetch what the phone missed (drops, the end of a drive, drives
   * recorded while the app was closed) from device memory, newest first, within the budget. One run at a time; a connect during
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
        await sleep(this.#ctx.options.reconnectMs ?? 1000, signal);
        if (signal.aborted || this.#ctx.closed) return;
        try {
          await this.fillGaps({ withinBudget: true });
        } catch (err) {
          if (signal.aborted) return;
          // Wi-Fi dropped during the fill: the next connect runs it again (what was fetched stays).
          if (!this.#connected) return;
          this.#ctx.emit('error', new Error(`automatic gap fill: ${(err as Error).message}`, { cause: err }));
        }
      } while (this.#fillAgain && !signal.aborted);
    })().finally(() => {
      this.#filling = null;
    });
  }
}
