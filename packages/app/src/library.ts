/**
 * The app's own state on the phone: settings.json (budget, pairing, sign-in), library.json
 * (clips, gap fills, the drives it has seen) and the folders for clip and fill files. Both
 * JSON files are written atomically (persist.ts). What the ring holds is not here: it is
 * read from the ring's own index.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseSize } from 'ringclip';
import { DEFAULT_SHARE, type BudgetSetting } from './budget.js';
import type { ClipMetadata } from './cloud-client.js';
import { readJson, writeJsonAtomic } from './persist.js';
import { hull, type Span } from './timeline.js';

export interface Settings {
  version: 1;
  phoneStorage: number;
  budget: BudgetSetting;
  allowCellular: boolean;
  device: { url: string; token: string } | null;
  cloud: { url: string; token: string } | null;
  ringGeneration: number;
  /** gap fill after each (re)connect (absent in settings written before it existed: on) */
  autoFillGaps?: boolean;
  /** stream live as soon as the link is up (absent: on); off: the Stream button starts it */
  autoStream?: boolean;
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

export interface FillRecord {
  file: string;
  drive: number;
  from: number;
  to: number;
  streams: string[];
  bytes: number;
  createdAt: number;
}

export interface DriveRecord {
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

export interface Library {
  version: 1;
  clips: ClipRecord[];
  fills: FillRecord[];
  drives: DriveRecord[];
  /** device event id -> clip id (chosen before the download, so retries reuse it) */
  eventClips: Record<string, string>;
  /** cloud deletes not yet confirmed (offline at the time) */
  pendingDeletes: string[];
}

export class AppState {
  readonly paths: { settings: string; library: string; queue: string; clips: string; fills: string; tmp: string };
  settings!: Settings;
  lib!: Library;
  #saveTimer: NodeJS.Timeout | null = null;
  #open = false;

  constructor(readonly dataDir: string) {
    const d = dataDir;
    this.paths = {
      settings: join(d, 'settings.json'),
      library: join(d, 'library.json'),
      queue: join(d, 'queue.json'),
      clips: join(d, 'clips'),
      fills: join(d, 'fills'),
      tmp: join(d, 'tmp'),
    };
  }

  #defaultSettings(install: { phoneStorage: number | string; autoFillGaps: boolean; autoStream: boolean }): Settings {
    return {
      version: 1,
      phoneStorage: parseSize(install.phoneStorage, 'phoneStorage'),
      budget: { share: DEFAULT_SHARE },
      allowCellular: false,
      device: null,
      cloud: null,
      ringGeneration: 1,
      autoFillGaps: install.autoFillGaps,
      autoStream: install.autoStream,
    };
  }

  /** Reads the state (installing the app on first open) and drops what a crash left half done. */
  load(install: { phoneStorage: number | string; autoFillGaps: boolean; autoStream: boolean }): void {
    const p = this.paths;
    for (const dir of [this.dataDir, p.clips, p.fills, p.tmp]) mkdirSync(dir, { recursive: true });
    rmSync(p.tmp, { recursive: true, force: true });
    mkdirSync(p.tmp);
    // Fields a settings file lacks (written by an older app, or by hand) take their defaults;
    // the optional ones stay absent (absent means on), as the app reads them.
    const stored = readJson<Partial<Settings> | null>(p.settings, null);
    const defaults = this.#defaultSettings(install);
    if (stored) {
      delete defaults.autoFillGaps;
      delete defaults.autoStream;
    }
    this.settings = { ...defaults, ...stored };
    this.saveSettings();
    this.lib = readJson<Library>(p.library, {
      version: 1,
      clips: [],
      fills: [],
      drives: [],
      eventClips: {},
      pendingDeletes: [],
    });
    // Downloads that never completed (.part) are not clips.
    for (const dir of [p.clips, p.fills])
      for (const f of readdirSync(dir)) if (f.endsWith('.part')) rmSync(join(dir, f), { force: true });
    for (const c of this.lib.clips) if (c.file && !existsSync(join(p.clips, c.file))) c.file = null;
    this.lib.fills = this.lib.fills.filter((f) => existsSync(join(p.fills, f.file)));
    for (const d of this.lib.drives) {
      if (d.seen === undefined) d.seen = d.ring ? hull(Object.values(d.ring).flat()) : null;
      delete d.ring;
    }
    this.#open = true;
  }

  ringPath(gen = this.settings.ringGeneration): string {
    return join(this.dataDir, `phone-${gen}.ring`);
  }
  clipPath(file: string): string {
    return join(this.paths.clips, file);
  }
  fillPath(file: string): string {
    return join(this.paths.fills, file);
  }

  saveSettings(): void {
    writeJsonAtomic(this.paths.settings, this.settings);
  }
  saveLibrary(): void {
    writeJsonAtomic(this.paths.library, this.lib);
  }
  /** Drive ranges from live writes are saved at most once a second. */
  saveSoon(): void {
    if (this.#saveTimer) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = null;
      if (this.#open) this.saveLibrary();
    }, 1000);
    this.#saveTimer.unref();
  }

  /** Saves the library one last time; later saveSoon() timers do nothing. */
  close(): void {
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    this.saveLibrary();
    this.#open = false;
  }

  driveRecord(id: number): DriveRecord {
    let d = this.lib.drives.find((x) => x.id === id);
    if (!d) {
      d = { id, device: null, seen: null };
      this.lib.drives.push(d);
    }
    return d;
  }
}
