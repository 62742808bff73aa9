/**
 * The settings a user changes from the app (GET/PATCH /settings): the event clip's length,
 * cabin audio on or off, the GPS rate. Kept in settings.json next to internal memory, so they
 * survive power cycles as on the product; the Dashcam's constructor options are the factory
 * defaults a fresh device starts with.
 */
import { join } from 'node:path';
import { validateGpsHz } from './gps.js';
import { readJson, writeJsonAtomic } from './persist.js';

export interface DeviceSettings {
  /** seconds of an event clip before the event (0 to 120; default 20) */
  eventBeforeSeconds: number;
  /** seconds of an event clip after the event (1 to 120; default 20); a new trigger inside the window extends it */
  eventAfterSeconds: number;
  /** the cabin microphone records (default true) */
  cabinAudio: boolean;
  /** GPS fixes per second, 1 to 10 (default 10) */
  gpsHz: number;
}

export const SETTINGS_DEFAULTS: DeviceSettings = {
  eventBeforeSeconds: 20,
  eventAfterSeconds: 20,
  cabinAudio: true,
  gpsHz: 10,
};

const SETTINGS_FILE = 'settings.json';

/** A checked copy of `patch` applied to `base`; RangeError naming the first bad field. */
export function applySettings(base: DeviceSettings, patch: unknown): DeviceSettings {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
    throw new RangeError('settings are a JSON object, e.g. { "cabinAudio": false }');
  const next = { ...base };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    switch (key) {
      case 'eventBeforeSeconds':
        next.eventBeforeSeconds = seconds(value, key, 0);
        break;
      case 'eventAfterSeconds':
        next.eventAfterSeconds = seconds(value, key, 1);
        break;
      case 'cabinAudio':
        if (typeof value !== 'boolean')
          throw new RangeError(`cabinAudio is true or false, got ${JSON.stringify(value)}`);
        next.cabinAudio = value;
        break;
      case 'gpsHz':
        next.gpsHz = validateGpsHz(value);
        break;
      default:
        throw new RangeError(`unknown setting '${key}': the settings are ${Object.keys(SETTINGS_DEFAULTS).join(', ')}`);
    }
  }
  return next;
}

function seconds(value: unknown, key: string, min: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= min && value <= 120))
    throw new RangeError(`${key} is seconds from ${min} to 120, got ${JSON.stringify(value)}`);
  return value;
}

export class SettingsFile {
  readonly path: string;
  #settings: DeviceSettings;

  /** Reads settings.json in `dir`, or starts from `defaults`. */
  constructor(dir: string, defaults: DeviceSettings) {
    this.path = join(dir, SETTINGS_FILE);
    // A file from an older build may lack newer settings: they take the defaults.
    this.#settings = applySettings(defaults, readJson<Partial<DeviceSettings>>(this.path, {}));
  }

  get current(): DeviceSettings {
    return { ...this.#settings };
  }

  /** Applies a change (all or nothing) and saves it. */
  update(patch: unknown): DeviceSettings {
    this.#settings = applySettings(this.#settings, patch);
    writeJsonAtomic(this.path, this.#settings);
    return this.current;
  }
}
