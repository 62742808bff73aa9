/**
 * The emergency live link from the phone: after a collision (seen in the device's event
 * list) the app asks the cloud for a live link, which the cloud sends to the emergency
 * contacts, and relays the dashcam's live fMP4 (road, and cabin when the driver allows it)
 * to it until the link expires or is revoked. Settings and the collisions already handled
 * are kept in emergency.json, so a restart does not publish the same collision twice.
 * A dashcam that publishes by itself (its own connectivity) marks the event, and the phone
 * then leaves it to the dashcam.
 */
import { join } from 'node:path';
import { sleep, type AppContext } from './app-context.js';
import type { DeviceEventJson } from './device-client.js';
import { createLiveLink, publishLive, revokeLiveLink, type EmergencyContact, type LiveLink } from './live-client.js';
import { readJson, writeJsonAtomic } from './persist.js';

export interface EmergencySettings {
  /** who gets the link (at most 10) */
  contacts: EmergencyContact[];
  /** publish the cabin camera too (off by default: the driver decides) */
  shareCabin: boolean;
  /** link lifetime, seconds (default 3600) */
  expiresIn: number;
  /** publish automatically after a collision (default on; only with at least one contact) */
  auto: boolean;
}

interface EmergencyFile {
  version: 1;
  settings: EmergencySettings;
  handled: string[];
}

const HANDLED_KEPT = 200;

export class EmergencyLive {
  #ctx: AppContext;
  #path: string;
  #file: EmergencyFile;
  #running = new Map<string, { link: LiveLink; abort: AbortController; done: Promise<void> }>();

  constructor(ctx: AppContext) {
    this.#ctx = ctx;
    this.#path = join(ctx.options.dataDir, 'emergency.json');
    this.#file = readJson<EmergencyFile>(this.#path, {
      version: 1,
      settings: { contacts: [], shareCabin: false, expiresIn: 3600, auto: true },
      handled: [],
    });
  }

  get settings(): EmergencySettings {
    return structuredClone(this.#file.settings);
  }

  set(settings: Partial<EmergencySettings>): EmergencySettings {
    const next = { ...this.#file.settings, ...settings };
    if (!Array.isArray(next.contacts) || next.contacts.length > 10)
      throw new RangeError('at most 10 emergency contacts');
    for (const c of next.contacts)
      if (!c || typeof c.name !== 'string' || !c.name) throw new TypeError('every emergency contact needs a name');
    if (!(next.expiresIn >= 1 && next.expiresIn <= 86_400))
      throw new RangeError('expiresIn is seconds from 1 to 86400');
    this.#file.settings = next;
    this.#save();
    return this.settings;
  }

  /** The links this app publishes now. */
  get links(): LiveLink[] {
    return [...this.#running.values()].map((r) => r.link);
  }

  /** Called with every event list the app reads: a new collision starts a link. */
  onDeviceEvents(events: DeviceEventJson[]): void {
    for (const e of events) {
      if (e.kind !== 'collision' || this.#file.handled.includes(e.id)) continue;
      this.#file.handled.push(e.id);
      if (this.#file.handled.length > HANDLED_KEPT) this.#file.handled.shift();
      this.#save();
      // No contacts: nobody to send a link to (startLiveLink() still makes one on demand).
      if (!this.#file.settings.auto || this.#file.settings.contacts.length === 0 || e.liveFromDevice) continue;
      this.start({ kind: e.kind, time: e.time }).catch((err: unknown) =>
        this.#ctx.emit('error', new Error(`emergency live link for ${e.id} failed: ${(err as Error).message}`)),
      );
    }
  }

  /** Publishes a live link now (the app's emergency button, or after a collision). */
  async start(event?: { kind: string; time: string }): Promise<LiveLink> {
    const cloud = this.#ctx.cloud.client();
    if (!cloud) throw new Error('sign in to the cloud first: the live link goes through it');
    const s = this.#file.settings;
    const streams = s.shareCabin ? ['road', 'cabin'] : ['road'];
    const link = await createLiveLink(cloud, {
      streams,
      expiresIn: s.expiresIn,
      contacts: s.contacts,
      ...(event ? { event } : {}),
    });
    const abort = new AbortController();
    const done = this.#relay(link, abort.signal).finally(() => {
      this.#running.delete(link.id);
      this.#ctx.emit('live-link-ended', { id: link.id });
    });
    this.#running.set(link.id, { link, abort, done });
    this.#ctx.emit('live-link', link);
    return link;
  }

  /** Ends a link for every viewer at once. */
  async revoke(id: string): Promise<void> {
    const cloud = this.#ctx.cloud.client();
    if (!cloud) throw new Error('not signed in to the cloud');
    await revokeLiveLink(cloud, id);
    const r = this.#running.get(id);
    r?.abort.abort();
    await r?.done;
  }

  async close(): Promise<void> {
    for (const r of this.#running.values()) r.abort.abort();
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /** Device /live → cloud, again after every drop (Wi-Fi to the device, the phone's network), until the link ends. */
  async #relay(link: LiveLink, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.#ctx.closed) {
      const cloud = this.#ctx.cloud.client();
      try {
        // Not linked to the dashcam (or signed out) right now: wait; the link stays valid.
        if (!cloud || !this.#ctx.device.connected) {
          await sleep(this.#ctx.options.reconnectMs ?? 1000, signal);
          continue;
        }
        const res = await this.#ctx.device.client().live(link.streams, signal);
        if (!res.body) throw new Error('the dashcam sent no live body');
        if ((await publishLive(cloud, link.id, res.body, signal)) === 'ended') return;
      } catch (err) {
        if (signal.aborted) return;
        this.#ctx.emit('error', new Error(`live link ${link.id}: ${(err as Error).message}; trying again`));
      }
      await sleep(this.#ctx.options.reconnectMs ?? 1000, signal);
    }
  }

  #save(): void {
    writeJsonAtomic(this.#path, this.#file);
  }
}
