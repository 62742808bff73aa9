/**
 * PhoneApp: the phone residency. While open and connected to the dashcam it streams the
 * drive (road + cabin) from GET /live into its own ring (a SegmentStore sized to the
 * budget), fetches event clips, makes manual clips, uploads clips to the cloud and applies
 * the deletion rules users are told (docs/app.md).
 *
 * This class is the app's face only: each concern lives in its own part (app-context.ts
 * lists them), and the methods here hand over to them.
 */
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import type { SegmentStore } from 'ringclip';
import type { AppContext, Network, PhoneAppEvents, PhoneAppOptions } from './app-context.js';
import { ClipShelf, type ClipRange, type ClipView } from './clip-shelf.js';
import { CloudLink } from './cloud-link.js';
import type { DeviceSettingsJson } from './device-client.js';
import { DeviceLink, type FilledSpan, type StreamState } from './device-link.js';
import { driveViews, type DriveView } from './drives.js';
import { EmergencyLive, type EmergencySettings } from './emergency.js';
import type { LiveLink } from './live-client.js';
import { AppState, type ClipRecord } from './library.js';
import { PhoneRing } from './phone-ring.js';
import { StorageBudget, type BudgetView, type HoursThatFit } from './storage-budget.js';
import type { UploadQueue } from './upload-queue.js';

export type { Network, PhoneAppEvents, PhoneAppOptions } from './app-context.js';
export type { ClipView } from './clip-shelf.js';
export type { DriveView } from './drives.js';
export type { StreamState, FilledSpan } from './device-link.js';
export type { ClipRecord } from './library.js';
export type { BudgetView, HoursThatFit } from './storage-budget.js';
export type { EmergencySettings } from './emergency.js';
export type { EmergencyContact, LiveLink } from './live-client.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class PhoneApp extends EventEmitter<PhoneAppEvents> {
  readonly dataDir: string;
  readonly options: PhoneAppOptions;
  readonly #app: AppContext;
  #closed = true;

  private constructor(options: PhoneAppOptions) {
    super();
    this.options = options;
    this.dataDir = options.dataDir;
    const parts = { options, state: new AppState(options.dataDir) } as Mutable<AppContext>;
    parts.emit = (event, ...args) => {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    };
    Object.defineProperty(parts, 'closed', { get: () => this.#closed });
    parts.ring = new PhoneRing(parts);
    parts.budget = new StorageBudget(parts);
    parts.device = new DeviceLink(parts);
    parts.clips = new ClipShelf(parts);
    parts.cloud = new CloudLink(parts);
    parts.emergency = new EmergencyLive(parts);
    this.#app = parts;
  }

  /** Opens the app (installing it on first open): state, the ring, the upload queue. */
  static async open(options: PhoneAppOptions): Promise<PhoneApp> {
    const app = new PhoneApp(options);
    const { state, ring, budget, cloud } = app.#app;
    state.load({
      phoneStorage: options.phoneStorage ?? '1GiB',
      autoFillGaps: options.autoFillGaps ?? true,
      autoStream: options.autoStream ?? true,
    });
    await ring.open(budget.ringCapacity(), budget.bytes);
    app.#closed = false;
    cloud.start();
    await budget.enforce();
    return app;
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- storage budget (storage-budget.ts) -------------------------------------------

  get phoneStorage(): number {
    return this.#app.state.settings.phoneStorage;
  }
  /** The app's budget in bytes (default 50 % of the phone's storage) and what uses it. */
  budget(): BudgetView {
    return this.#app.budget.view();
  }
  /** Hours of driving that fit in the ring and in the budget, at the bitrate measured in the ring. */
  hoursThatFit(): HoursThatFit {
    return this.#app.budget.hoursThatFit();
  }
  /** Changes the budget ('40%', 0.4, '2GiB', bytes). Shrinking drops the oldest drive footage first. */
  setBudget(value: string | number): Promise<BudgetView> {
    return this.#app.budget.set(value);
  }

  // ---- device (device-link.ts) ------------------------------------------------------

  get connected(): boolean {
    return this.#app.device.connected;
  }
  /** Connects to the dashcam: pairs with `code` unless an earlier pairing still works, then streams live and collects event clips. */
  connect(url: string, code?: string): Promise<void> {
    return this.#app.device.connect(url, code);
  }
  /** Drops the Wi-Fi link to the device (the phone keeps what it has; the gap shows in drives()). */
  disconnect(): Promise<void> {
    return this.#app.device.disconnect();
  }
  /** The Stream button: streams the drive live into the phone (needs the link). */
  stream(): void {
    this.#app.device.stream();
  }
  /** Pauses the live stream; the link stays (events and clips go on). */
  pauseStream(why?: string): Promise<void> {
    return this.#app.device.pause(why);
  }
  /** The live stream's state and why (off, connecting, streaming, paused, reconnecting). */
  get streamState(): StreamState {
    return this.#app.device.streamState;
  }
  /** Auto-stream when the link comes up (a setting, kept across restarts). */
  setAutoStream(on: boolean): void {
    this.#app.device.setAutoStream(on);
  }
  get autoStream(): boolean {
    return this.#app.device.autoStream;
  }
  /** Fetches, saves, acknowledges and queues every complete unacknowledged event clip. */
  syncEvents(signal?: AbortSignal): Promise<ClipRecord[]> {
    return this.#app.device.syncEvents(signal);
  }
  /** Asks the device what it still has of each drive (for drives() and gap filling). */
  refreshDeviceDrives(): Promise<void> {
    return this.#app.device.refreshDrives();
  }
  /** Fills the gaps of drives from device memory while it still has them (gap-fill files, within the budget). */
  fillGaps(options: { drive?: number; minGapMs?: number; withinBudget?: boolean } = {}): Promise<FilledSpan[]> {
    return this.#app.device.fillGaps(options);
  }
  /** Automatic gap fill after each (re)connect, on or off (a setting, kept across restarts). */
  setAutoFillGaps(on: boolean): void {
    this.#app.device.setAutoFillGaps(on);
  }
  get autoFillGaps(): boolean {
    return this.#app.device.autoFillGaps;
  }
  /** The paired device's settings: event clip length before/after, cabin audio, GPS rate. */
  deviceSettings(): Promise<DeviceSettingsJson> {
    return this.#app.device.client().settings();
  }
  /** Changes the paired device's settings (kept on the device); returns them all. */
  setDeviceSettings(patch: Partial<DeviceSettingsJson>): Promise<DeviceSettingsJson> {
    return this.#app.device.client().updateSettings(patch);
  }

  // ---- drives and clips (drives.ts, clip-shelf.ts) ----------------------------------

  /** Drives with their time ranges, what the phone has, and what the device still has. */
  drives(): DriveView[] {
    return driveViews(this.#app);
  }
  /** A manual clip: from the phone (ring or gap-fill footage), or `fromDevice` from device memory. */
  clip(range: ClipRange): Promise<ClipRecord> {
    return this.#app.clips.clip(range);
  }
  /** Clips on the phone and in the cloud (the cloud list when signed in and online). */
  clips(): Promise<ClipView[]> {
    return this.#app.clips.list();
  }
  /** Where to play a clip: the phone's file, or the cloud's (signed) video URL. */
  playUrl(id: string): Promise<string | null> {
    return this.#app.clips.playUrl(id);
  }
  /** Saves a clip (both cameras, or one with the audio) to `out`, from the phone or the cloud. */
  download(
    id: string,
    track: 'both' | 'road' | 'cabin',
    out: string,
  ): Promise<{ bytes: number; from: 'phone' | 'cloud' }> {
    return this.#app.clips.download(id, track, out);
  }
  /** Deletes a clip from the phone AND permanently from the cloud. */
  delete(id: string): Promise<void> {
    return this.#app.clips.delete(id);
  }

  // ---- cloud and network (cloud-link.ts) --------------------------------------------

  /** Signs in to the cloud with a token (checked with GET /v1/me). */
  signIn(url: string, token: string): Promise<{ id: string; name: string }> {
    return this.#app.cloud.signIn(url, token);
  }
  get network(): Network {
    return this.#app.cloud.network;
  }
  get allowCellular(): boolean {
    return this.#app.cloud.allowCellular;
  }
  get canUpload(): boolean {
    return this.#app.cloud.canUpload;
  }
  /** The phone's internet link (simulated): uploads run on Wi-Fi, or cellular if allowed. */
  setNetwork(network: Network): void {
    this.#app.cloud.setNetwork(network);
  }
  setAllowCellular(allow: boolean): void {
    this.#app.cloud.setAllowCellular(allow);
  }
  /** Upload queue state. */
  get uploads(): UploadQueue {
    return this.#app.cloud.queue;
  }
  /** Resolves when the clip (or every queued clip) has reached the cloud. */
  uploaded(id?: string, timeoutMs?: number): Promise<void> {
    return this.#app.cloud.queue.drained(id, timeoutMs);
  }

  // ---- emergency live link (emergency.ts) -------------------------------------------

  /** Contacts (up to 10), cabin sharing, link lifetime, automatic publishing after a collision. */
  get emergencySettings(): EmergencySettings {
    return this.#app.emergency.settings;
  }
  setEmergency(settings: Partial<EmergencySettings>): EmergencySettings {
    return this.#app.emergency.set(settings);
  }
  /** Publishes a live link now (it is also published by itself after a collision). */
  startLiveLink(event?: { kind: string; time: string }): Promise<LiveLink> {
    return this.#app.emergency.start(event);
  }
  /** The live links the app relays now. */
  get liveLinks(): LiveLink[] {
    return this.#app.emergency.links;
  }
  /** Ends a live link for every viewer. */
  revokeLiveLink(id: string): Promise<void> {
    return this.#app.emergency.revoke(id);
  }

  // ---- lifecycle --------------------------------------------------------------------

  /** Closes the app: the live stream and uploads stop (uploads resume at the next open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    const { device, cloud, state, ring, emergency } = this.#app;
    await emergency.close();
    await device.close();
    await cloud.stop();
    this.#closed = true;
    state.close();
    await ring.close();
  }

  /** Uninstalls the app: every local video and all app state are deleted. Cloud clips stay. */
  async uninstall(): Promise<void> {
    await this.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** @internal the ring's store, for tests and the CLI */
  get ring(): SegmentStore | null {
    return this.#app.ring.store;
  }
}
