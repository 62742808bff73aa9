/**
 * The user's clips on the phone: manual clips (cut from the ring or a gap-fill file, or
 * fetched from device memory), the list beside the cloud's, playback, and deletion (from
 * the phone and permanently from the cloud, retried until the cloud confirms).
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { Mp4Source, toMicros, type Clip } from 'ringclip';
import { COMPANION_STREAMS, STREAMS, type AppContext } from './app-context.js';
import { newClipId, type CloudClip, type ClipMetadata } from './cloud-client.js';
import { microsToIso } from './device-client.js';
import { driveViews } from './drives.js';
import type { ClipRecord } from './library.js';
import { intersect, type Span } from './timeline.js';

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

export interface ClipRange {
  from: number | string | Date;
  to: number | string | Date;
  fromDevice?: boolean;
  streams?: string[];
  title?: string;
}

interface Cut {
  clip: Clip;
  start: number;
  end: number;
  close: () => void;
}

export class ClipShelf {
  #ctx: AppContext;

  constructor(ctx: AppContext) {
    this.#ctx = ctx;
  }

  /** A clip the phone now has: recorded, queued for upload. */
  add(rec: ClipRecord): void {
    const { state, cloud } = this.#ctx;
    state.lib.clips.push(rec);
    state.saveLibrary();
    cloud.queue.add(rec.id, state.clipPath(rec.file!), rec.meta);
  }

  /**
   * A manual clip: from the phone's drives (ring or gap-fill footage), or `fromDevice`
   * from footage still in the device's memory (e.g. cabin view the phone never streamed).
   */
  async clip(range: ClipRange): Promise<ClipRecord> {
    const { state, ring, device, budget, emit } = this.#ctx;
    const from = toMicros(range.from, 'from'),
      to = toMicros(range.to, 'to');
    if (to <= from) throw new RangeError("a clip's 'to' must be after its 'from'");
    const id = newClipId();
    const file = `${id}.mp4`;
    const path = state.clipPath(file);
    let start = from,
      end = to;
    const streams = range.streams ?? STREAMS;
    let source: ClipRecord['source'];
    if (range.fromDevice) {
      const h = await device.client().footage(from, to, path, {
        streams: await device.footageStreams(streams),
        onProgress: (done, total) => emit('transfer', { kind: 'download', id, done, total }),
      });
      start = h.start ?? from;
      end = h.end ?? to;
      source = 'device';
    } else {
      await ring.idle();
      const cut = await this.#bestSource(from, to, streams);
      if (!cut)
        throw new Error(
          `the phone has no footage from ${microsToIso(from)} to ${microsToIso(to)}${device.paired ? ': clip it fromDevice while the device still has it' : ''}`,
        );
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
    const meta: ClipMetadata = {
      kind: 'manual',
      time: microsToIso(start),
      ...(range.title ? { title: range.title } : {}),
    };
    const drive =
      driveViews(this.#ctx).find((d) => d.from !== null && d.to !== null && from < d.to && to > d.from)?.id ?? null;
    const rec: ClipRecord = {
      id,
      kind: 'manual',
      source,
      deviceEvent: null,
      from: start,
      to: end,
      time: start,
      drive,
      file,
      bytes: statSync(path).size,
      createdAt: Date.now(),
      uploaded: false,
      meta,
    };
    this.add(rec);
    emit('clip', rec);
    await budget.enforce();
    return rec;
  }

  /**
   * The phone source that covers most of [from, to): the ring or a gap-fill file. (A range
   * across both comes from the larger part: the engine does not yet join sources.)
   */
  async #bestSource(from: number, to: number, streams: string[]): Promise<Cut | null> {
    const { state, ring } = this.#ctx;
    const want = [{ from, to }];
    const cover = (spans: Span[]) => intersect(want, spans).reduce((n, s) => n + s.to - s.from, 0);
    const candidates: Array<{ covered: number; make: () => Promise<Cut> }> = [];
    // The cameras asked for, with the audio and telemetry the ring holds (a muted cabin: the
    // clip lists the audio stream as empty, it is not partial).
    const ringCameras = streams.filter((s) => ring.has(s, from, to));
    const ringStreams = [
      ...ringCameras,
      ...COMPANION_STREAMS.map((c) => c.name).filter((s) => ring.store?.streams.includes(s)),
    ];
    candidates.push({
      covered: cover(ringCameras.flatMap((s) => ring.spans(s))),
      make: async () => {
        const clip = ring.store!.clip({ from, to, streams: ringStreams, allowPartial: true });
        return { clip, start: clip.start ?? from, end: clip.end ?? to, close: () => {} };
      },
    });
    for (const f of state.lib.fills) {
      candidates.push({
        covered: cover([{ from: f.from, to: f.to }]),
        make: async () => {
          const src = await Mp4Source.open(state.fillPath(f.file));
          // The file's prft puts its frames at their device capture times, to the µs.
          try {
            const names = [...streams, ...COMPANION_STREAMS.map((c) => c.name)].filter((s) =>
              src.tracks.some((t) => t.name === s),
            );
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

  /** Clips on the phone and in the cloud (the cloud list when signed in and online). */
  async list(): Promise<ClipView[]> {
    const { state, cloud, emit } = this.#ctx;
    const views = new Map<string, ClipView>();
    for (const c of state.lib.clips) {
      views.set(c.id, {
        id: c.id,
        kind: c.kind,
        source: c.source,
        from: c.from,
        to: c.to,
        time: microsToIso(c.time),
        local: c.file !== null,
        path: c.file ? state.clipPath(c.file) : null,
        bytes: c.bytes,
        uploaded: c.uploaded,
        uploading: cloud.queue.has(c.id),
        cloud: null,
      });
    }
    const client = cloud.client();
    if (client && cloud.network !== 'offline') {
      try {
        for (const cc of await client.list()) {
          const v = views.get(cc.id);
          if (v) {
            v.cloud = cc;
            continue;
          }
          if (state.lib.pendingDeletes.includes(cc.id)) continue;
          views.set(cc.id, {
            id: cc.id,
            kind: cc.kind,
            source: 'cloud',
            from: null,
            to: null,
            time: cc.time,
            local: false,
            path: null,
            bytes: cc.size,
            uploaded: cc.state === 'ready',
            uploading: false,
            cloud: cc,
          });
        }
      } catch (err) {
        // The phone's own clips are listed anyway; the cloud's absence is reported.
        emit('error', err as Error);
      }
    }
    return [...views.values()].sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  }

  /** Where to play a clip: the phone's file, or the cloud's (signed) video URL. */
  async playUrl(id: string): Promise<string | null> {
    const { state, cloud } = this.#ctx;
    const c = state.lib.clips.find((x) => x.id === id);
    if (c?.file) return state.clipPath(c.file);
    return (await cloud.client()?.videoUrl(id)) ?? null;
  }

  /**
   * Saves a clip to `out`: both cameras as stored, or one camera with the clip's audio and
   * telemetry (a file every player takes: Media3 plays only the first of two video tracks).
   * From the phone's copy when it has one (cut by the engine, nothing re-encoded), else the
   * cloud's download.
   */
  async download(
    id: string,
    track: 'both' | 'road' | 'cabin',
    out: string,
  ): Promise<{ bytes: number; from: 'phone' | 'cloud' }> {
    if (track !== 'both' && track !== 'road' && track !== 'cabin')
      throw new Error(`--track is road, cabin or both, got '${String(track)}'`);
    const { state, cloud } = this.#ctx;
    const c = state.lib.clips.find((x) => x.id === id);
    if (c?.file) {
      const src = await Mp4Source.open(state.clipPath(c.file));
      try {
        const names = src.tracks.map((t) => t.name);
        if (track !== 'both' && !names.includes(track))
          throw new Error(`clip ${id} has no ${track} camera: it has ${names.join(', ')}`);
        const streams =
          track === 'both'
            ? names
            : src.tracks.filter((t) => t.name === track || t.kind !== 'video').map((t) => t.name);
        const clip = src.clip({ from: { offset: 0 }, to: { offset: 7 * 86400 }, streams, allowPartial: true });
        try {
          return { bytes: (await clip.writeMP4(out)).bytes, from: 'phone' };
        } finally {
          clip.release();
        }
      } finally {
        src.close();
      }
    }
    const client = cloud.client();
    if (!client) throw new Error(`clip ${id} is not on the phone, and the app is not signed in to the cloud`);
    return { bytes: await client.download(id, track, out), from: 'cloud' };
  }

  /** Deletes a clip from the phone AND permanently from the cloud. */
  async delete(id: string): Promise<void> {
    const { state, cloud, budget } = this.#ctx;
    const c = state.lib.clips.find((x) => x.id === id);
    cloud.queue.remove(id);
    if (c?.file) rmSync(state.clipPath(c.file), { force: true });
    state.lib.clips = state.lib.clips.filter((x) => x.id !== id);
    if (!state.lib.pendingDeletes.includes(id)) state.lib.pendingDeletes.push(id);
    state.saveLibrary();
    await budget.enforce();
    await cloud.flushDeletes();
  }
}
