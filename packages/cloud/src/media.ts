/**
 * What the service asks of the ringclip engine: validate and describe an MP4, cut a trim,
 * and build per-track virtual MP4s for browsers.
 */
import { InvalidDataError, Mp4Source, RingclipError, type HlsRendition } from 'ringclip';
import { HttpError } from './errors.js';
import type { TrackInfo, TrimSpec } from './meta.js';
import { ViewMap } from './view-map.js';
import { PromiseLru } from './promise-lru.js';

export interface Inspection {
  tracks: TrackInfo[];
  duration: number;
  origin: number;
  /** a camm telemetry track */
  telemetry: boolean;
  /** an audio track the clips carry */
  audio: boolean;
}

/** Road is the track named 'road' (ringclip clips), else the first; cabin is 'cabin', else the second. */
function roles(names: string[]): Array<'road' | 'cabin' | null> {
  const out: Array<'road' | 'cabin' | null> = names.map((n) =>
    n === 'road' ? 'road' : n === 'cabin' ? 'cabin' : null,
  );
  for (const role of ['road', 'cabin'] as const) {
    if (out.includes(role)) continue;
    const i = out.findIndex((r) => r === null);
    if (i >= 0) out[i] = role;
  }
  return out;
}

/** Opens an MP4 with the engine; anything that is not an MP4 with H.264 video is a 422. */
export async function inspect(path: string): Promise<Inspection> {
  let src: Mp4Source;
  try {
    src = await Mp4Source.open(path);
  } catch (e) {
    if (e instanceof InvalidDataError || (e instanceof RingclipError && e.code === 'ERR_INVALID_DATA')) {
      const why = e.message.replace(/^'[^']*':\s*/, '');
      throw new HttpError(422, 'invalid_video', `the upload is not a usable MP4 with H.264 video: ${why}`);
    }
    throw e;
  }
  // Road and cabin are video tracks: an MP4's audio or telemetry (camm) track is neither.
  const video = src.tracks.filter((t) => t.kind === 'video');
  if (video.length === 0) throw new HttpError(422, 'invalid_video', 'the upload has no H.264 video track');
  const r = roles(video.map((t) => t.name));
  // Mp4Source's timeline is what the file presents (its edit list applied; the capture time
  // from its prft): its start is the first frame a player shows.
  const start = src.start;
  const full = src.clip({ from: { offset: 0 }, to: { offset: 7 * 86400 }, allowPartial: true });
  const end = full.end ?? start;
  const perTrack = full.tracks;
  full.release();
  const tracks: TrackInfo[] = [];
  video.forEach((t, i) => {
    const role = r[i];
    if (!role) return;
    const tEnd = perTrack.find((p) => p.name === t.name)?.end ?? end;
    const first = Math.max(t.first, start);
    tracks.push({
      name: t.name,
      role,
      width: t.width,
      height: t.height,
      samples: t.samples,
      offset: (first - start) / 1e6,
      duration: (tEnd - first) / 1e6,
    });
  });
  if (tracks.length === 0) throw new HttpError(422, 'invalid_video', 'the upload has no H.264 video track');
  return {
    tracks,
    duration: (end - start) / 1e6,
    origin: src.origin,
    telemetry: src.tracks.some((t) => t.kind === 'metadata' && t.codec === 'camm'),
    audio: src.tracks.some((t) => t.kind === 'audio'),
  };
}

/** Cuts a trim from a local copy of its source into `out`; returns where it starts (s from the source start). */
export async function cutTrim(
  sourcePath: string,
  tracks: TrackInfo[],
  spec: TrimSpec,
  out: string,
): Promise<{ offset: number; duration: number }> {
  const src = await Mp4Source.open(sourcePath);
  const start = src.start;
  const streams = spec.tracks.map((role) => {
    const t = tracks.find((x) => x.role === role);
    if (!t) throw new HttpError(422, 'no_such_track', `the clip has no ${role} track`);
    return t.name;
  });
  // The audio and telemetry (camm) of the cut range go with it: the engine cuts them at the
  // same times as the video.
  for (const t of src.tracks) if (t.kind !== 'video' && !streams.includes(t.name)) streams.push(t.name);
  const clip = src.clip({
    from: { offset: spec.from },
    to: { offset: spec.to },
    streams,
    align: spec.exact ? 'exact' : 'keyframe',
  });
  try {
    await clip.writeMP4(out);
    const from = clip.start ?? start;
    return { offset: (from - start) / 1e6, duration: ((clip.end ?? from) - from) / 1e6 };
  } finally {
    clip.release();
  }
}

/** VirtualCache.get()'s name for "the clip's audio track, alone". */
export const AUDIO = Symbol('audio');

/** A bounded LRU of per-track virtual MP4s (as their views), keyed by the stored file's identity. */
export class VirtualCache {
  #lru: PromiseLru<ViewMap>;
  constructor(max = 64) {
    this.#lru = new PromiseLru(max);
  }

  /**
   * trackName: one track as its own MP4; null: the stored file itself, as it is; AUDIO: the
   * file's first audio track alone (404 when it has none). `withAudio`: the camera's track with
   * the file's audio and metadata tracks (a per-camera download), else the camera alone.
   */
  get(key: string, path: string, trackName: string | null | typeof AUDIO, withAudio = false): Promise<ViewMap> {
    return this.#lru.get(key, async () => {
      const src = await Mp4Source.open(path);
      // The stored file as it is: the source stays open to send from (closed when collected).
      if (trackName === null) return new ViewMap(src.views(), (fd, s, e) => src.sendTo(fd, s, e));
      try {
        let stream = trackName;
        if (stream === AUDIO) {
          const audio = src.tracks.find((t) => t.kind === 'audio');
          if (!audio) throw new HttpError(404, 'no_such_track', 'this clip has no audio track');
          stream = audio.name;
        }
        const streams = withAudio
          ? src.tracks.filter((t) => t.name === stream || t.kind !== 'video').map((t) => t.name)
          : [stream];
        const clip = src.clip({ from: { offset: 0 }, to: { offset: 7 * 86400 }, streams, allowPartial: true });
        const v = clip.toVirtualMP4();
        clip.release();
        // The file object stays to send from; its views hold the mapping for the fallback.
        return new ViewMap(v.views(0), (fd, s, e) => v.sendTo(fd, s, e));
      } finally {
        src.close(); // the views hold the mapping for as long as they live
      }
    });
  }
  /** forget every entry of a clip (delete) */
  drop(prefix: string): void {
    this.#lru.drop(prefix);
  }
}

/** A bounded LRU of per-camera HLS renditions of stored clips, keyed like VirtualCache. */
export class HlsCache {
  // An evicted rendition's pins and mapping go when requests still serving it are done with
  // it (garbage collection), not under them.
  #lru: PromiseLru<HlsRendition>;
  constructor(max = 32) {
    this.#lru = new PromiseLru(max);
  }

  /** The camera `trackName` of the file at `path` with its audio, as an HLS rendition. */
  get(key: string, path: string, trackName: string): Promise<HlsRendition> {
    return this.#lru.get(key, async () => {
      const src = await Mp4Source.open(path);
      try {
        const streams = src.tracks.filter((t) => t.name === trackName || t.kind === 'audio').map((t) => t.name);
        const clip = src.clip({ from: { offset: 0 }, to: { offset: 7 * 86400 }, streams, allowPartial: true });
        try {
          return clip.toHls();
        } finally {
          clip.release();
        }
      } finally {
        src.close(); // the rendition holds the mapping for as long as it lives
      }
    });
  }
  /** forget every entry of a clip (delete) */
  drop(prefix: string): void {
    this.#lru.drop(prefix);
  }
}
