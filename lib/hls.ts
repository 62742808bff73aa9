/**
 * HLS from the index: one camera of a clip as a media playlist of fMP4 segments (one per
 * GOP, byte ranges into one virtual fragmented MP4), an I-frame playlist (byte ranges of the
 * stored key frames) and, for several cameras, a master playlist. Nothing is stored: the
 * playlists are text made from the segment table the engine computes, and the fMP4 is a
 * VirtualMP4 served by range like every other export. Layout: docs/MP4.md, "HLS".
 */
import { binding, type NativeClip, type NativeHlsPlan } from './binding.js';
import { VirtualMP4 } from './clip.js';
import { InvalidArgumentError } from './errors.js';

/** One segment of a rendition: a fragment (moof + mdat) of its fMP4. */
export interface HlsSegment {
  /** byte offset of the fragment in the rendition's file */
  offset: number;
  /** bytes of the fragment */
  size: number;
  /** end of the key frame's bytes (the I-frame playlist's range is offset .. keyFrameEnd) */
  keyFrameEnd: number;
  /** decode time of the GOP's key frame, µs from the rendition's time 0 */
  start: number;
  /** µs to the next GOP */
  duration: number;
}

/**
 * How the playlists name the rendition's parts: `<name>-init.mp4` (EXT-X-MAP) and
 * `<name>-<n>.m4s` (segment n, from 0), relative to the playlist, each with `query`.
 */
export interface HlsPlaylistOptions {
  /** the camera's name in URIs, e.g. 'road' → road-init.mp4, road-0.m4s … */
  name: string;
  /** appended to every URI as `?query` (a signed URL's parameters, an access token): relative URIs drop the playlist's own */
  query?: string;
}

const FIELDS = 5;
const NAME = /^[\w.]{1,64}$/;

/** `?query` for URIs without one ('' for none), checked. */
function querySuffix(query: string | undefined): string {
  if (query === undefined || query === '') return '';
  if (typeof query !== 'string' || /[\s"#]/.test(query))
    throw new InvalidArgumentError(
      `an HLS query is a string without spaces, quotes or '#', got ${JSON.stringify(query)}`,
    );
  return `?${query.replace(/^\?/, '')}`;
}

function withQuery(uri: string, query: string | undefined): string {
  if (typeof uri !== 'string' || uri === '' || /[\s"]/.test(uri))
    throw new InvalidArgumentError(
      `an HLS URI is a non-empty string without spaces or quotes, got ${JSON.stringify(uri)}`,
    );
  const suffix = querySuffix(query);
  if (suffix === '') return uri;
  return uri.includes('?') ? `${uri}&${suffix.slice(1)}` : `${uri}${suffix}`;
}

/** One camera of a clip (its video and the clip's audio) as an HLS rendition. */
export class HlsRendition {
  /** bytes of the rendition's fMP4 (`file.size`, known without building it) */
  readonly size: number;
  /** bytes of the init segment (ftyp, prft, moov) at the start of the file: EXT-X-MAP */
  readonly initSize: number;
  /** RFC 6381 codecs, for CODECS: 'avc1.64001f,mp4a.40.2' */
  readonly codecs: string;
  readonly width: number;
  readonly height: number;
  /** capture time (µs since the epoch) of the rendition's time 0; 0 when unknown */
  readonly origin: number;
  /** a recording still growing: an EVENT playlist without ENDLIST, its last GOP not listed yet */
  readonly live: boolean;
  /** tracks of the clip left out (timed metadata), each with why */
  readonly dropped: readonly string[];
  readonly #table: Float64Array;
  readonly #plan: NativeHlsPlan;
  #file: VirtualMP4 | undefined;

  /** @internal */
  constructor(native: NativeClip, live: boolean) {
    const h = native.hls(live);
    this.#plan = h.plan;
    this.size = h.size;
    this.initSize = h.initSize;
    this.codecs = h.codecs;
    this.width = h.width;
    this.height = h.height;
    this.origin = h.origin;
    this.live = live;
    this.dropped = Object.freeze([...h.dropped]);
    this.#table = h.segments;
  }

  /**
   * The virtual fragmented MP4 every segment is a byte range of. Built on first use: the
   * playlists come from the segment table alone, so a playlist request lays out no file.
   */
  get file(): VirtualMP4 {
    this.#file ??= new VirtualMP4(this.#plan.file(), 'video/mp4');
    return this.#file;
  }

  get segmentCount(): number {
    return this.#table.length / FIELDS;
  }

  /** The segments (one per GOP), in order. */
  get segments(): HlsSegment[] {
    const t = this.#table;
    const out: HlsSegment[] = [];
    for (let i = 0; i < t.length; i += FIELDS)
      out.push({ offset: t[i]!, size: t[i + 1]!, keyFrameEnd: t[i + 2]!, start: t[i + 3]!, duration: t[i + 4]! });
    return out;
  }

  /** Bits per second: the largest segment's rate (BANDWIDTH) and the whole file's (AVERAGE-BANDWIDTH). */
  get bandwidth(): { peak: number; average: number } {
    const t = this.#table;
    let peak = 0,
      bytes = 0,
      us = 0;
    for (let i = 0; i < t.length; i += FIELDS) {
      const size = t[i + 1]!,
        duration = t[i + 4]!;
      if (duration > 0) peak = Math.max(peak, (size * 8e6) / duration);
      bytes += size;
      us += duration;
    }
    return { peak: Math.ceil(peak), average: us > 0 ? Math.ceil((bytes * 8e6) / us) : 0 };
  }

  #targetDuration(): number {
    const t = this.#table;
    let max = 1e6;
    for (let i = 4; i < t.length; i += FIELDS) max = Math.max(max, t[i]!);
    // EXTINF rounded to the nearest second must not exceed it (RFC 8216 4.3.3.1).
    return Math.max(1, Math.round(max / 1e6 + 0.4999));
  }

  #header(lines: string[], options: HlsPlaylistOptions, iframes: boolean): void {
    if (!options || typeof options.name !== 'string' || !NAME.test(options.name))
      throw new InvalidArgumentError(
        `an HLS name is 1-64 letters, digits, '_' or '.', got ${JSON.stringify(options?.name)}`,
      );
    lines.push(
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      `#EXT-X-TARGETDURATION:${this.#targetDuration()}`,
      '#EXT-X-MEDIA-SEQUENCE:0',
    );
    lines.push(`#EXT-X-PLAYLIST-TYPE:${this.live ? 'EVENT' : 'VOD'}`, '#EXT-X-INDEPENDENT-SEGMENTS');
    if (iframes) lines.push('#EXT-X-I-FRAMES-ONLY');
    lines.push(`#EXT-X-MAP:URI="${withQuery(`${options.name}-init.mp4`, options.query)}"`);
    if (this.origin > 0 && this.#table.length > 0)
      lines.push(
        `#EXT-X-PROGRAM-DATE-TIME:${new Date(Math.floor((this.origin + this.#table[3]!) / 1000)).toISOString()}`,
      );
  }

  /** The media playlist: one segment per GOP (EXTINF, `<name>-<n>.m4s`); ENDLIST unless live. */
  mediaPlaylist(options: HlsPlaylistOptions): string {
    return this.#playlist(options, false);
  }

  /** The I-frame playlist (EXT-X-I-FRAMES-ONLY): of each segment, its moof through its key frame's bytes (EXT-X-BYTERANGE). */
  iframePlaylist(options: HlsPlaylistOptions): string {
    return this.#playlist(options, true);
  }

  #playlist(options: HlsPlaylistOptions, iframes: boolean): string {
    const lines: string[] = [];
    this.#header(lines, options, iframes);
    // The name and query were checked by #header; the segment lines (3,600 segments for an
    // hour) are written by the core from the table (mp4/hls_playlist.h).
    const body = binding.hlsSegmentLines(this.#table, iframes, options.name, querySuffix(options.query));
    return `${lines.join('\n')}\n${body}${this.live ? '' : '#EXT-X-ENDLIST\n'}`;
  }

  /**
   * The bytes of the file a playlist URI names: `<name>-init.mp4` (the init segment),
   * `<name>-<n>.m4s` (segment n) or `<name>.mp4` (the whole fMP4), as [start, end) of
   * `file`; null for any other name (a segment not listed, another camera).
   */
  part(uri: string, name: string): { start: number; end: number } | null {
    if (typeof uri !== 'string' || typeof name !== 'string')
      throw new InvalidArgumentError('part(uri, name) takes two strings');
    if (uri === `${name}.mp4`) return { start: 0, end: this.size };
    if (uri === `${name}-init.mp4`) return { start: 0, end: this.initSize };
    const n = this.#segmentNumber(uri, name);
    if (n === null) return null;
    const i = n * FIELDS;
    return { start: this.#table[i]!, end: this.#table[i]! + this.#table[i + 1]! };
  }

  /** n of `<name>-<n>.m4s` when the playlist lists it; null otherwise. */
  #segmentNumber(uri: string, name: string): number | null {
    const m = /^(.+)-(0|[1-9]\d{0,8})\.m4s$/.exec(uri);
    if (!m || m[1] !== name) return null;
    const n = Number(m[2]);
    return n < this.segmentCount ? n : null;
  }

  /**
   * The file a playlist URI names, built alone (`part()` names its bytes in `file`): the
   * init segment or one segment's fragment lays out that part only, not the whole
   * rendition, so a server that makes a rendition per request serves a segment of an hour
   * for the cost of one GOP. The same bytes as `file` holds there; its own size and ETag.
   * `<name>.mp4` is `file` itself; null for any other name.
   */
  partFile(uri: string, name: string): VirtualMP4 | null {
    if (typeof uri !== 'string' || typeof name !== 'string')
      throw new InvalidArgumentError('partFile(uri, name) takes two strings');
    if (uri === `${name}.mp4`) return this.file;
    const n = uri === `${name}-init.mp4` ? -1 : this.#segmentNumber(uri, name);
    return n === null ? null : new VirtualMP4(this.#plan.part(n), 'video/mp4');
  }

  /** Bits per second of the I-frame playlist's ranges (its BANDWIDTH in a master playlist). */
  get iframeBandwidth(): number {
    const t = this.#table;
    let peak = 0;
    for (let i = 0; i < t.length; i += FIELDS)
      if (t[i + 4]! > 0) peak = Math.max(peak, ((t[i + 2]! - t[i]!) * 8e6) / t[i + 4]!);
    return Math.ceil(peak);
  }

  /** Lets go of the footage the file points into (pins) now rather than at collection. */
  release(): void {
    this.#file?.release();
    this.#plan.release();
  }
  [Symbol.dispose](): void {
    this.release();
  }
}

/** A camera of a master playlist: its name, its rendition, and the URIs of its two playlists. */
export interface HlsCamera {
  name: string;
  rendition: HlsRendition;
  /** media playlist URI, relative to the master (e.g. 'road.m3u8') */
  playlist: string;
  /** I-frame playlist URI (e.g. 'road.iframes.m3u8') */
  iframes: string;
}

/**
 * The master playlist of several cameras: camera angles (EXT-X-MEDIA TYPE=VIDEO, the first
 * camera the default), never variants, so a player never switches camera for bandwidth;
 * plus one EXT-X-I-FRAME-STREAM-INF per camera for trick play.
 */
export function masterPlaylist(cameras: HlsCamera[], options: { query?: string } = {}): string {
  if (!Array.isArray(cameras) || cameras.length === 0)
    throw new InvalidArgumentError('masterPlaylist() needs at least one camera');
  const names = new Set<string>();
  for (const c of cameras) {
    if (!c || typeof c.name !== 'string' || !/^[\w.-]{1,64}$/.test(c.name))
      throw new InvalidArgumentError(
        `a camera name is 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(c?.name)}`,
      );
    if (names.has(c.name)) throw new InvalidArgumentError(`camera '${c.name}' is listed twice`);
    names.add(c.name);
    if (!(c.rendition instanceof HlsRendition))
      throw new InvalidArgumentError(`camera '${c.name}' needs an HlsRendition (clip.toHls())`);
  }
  const q = options.query;
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const group = 'cameras';
  cameras.forEach((c, i) => {
    const uri = i === 0 ? '' : `,URI="${withQuery(c.playlist, q)}"`;
    lines.push(
      `#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="${group}",NAME="${c.name}",DEFAULT=${i === 0 ? 'YES' : 'NO'},AUTOSELECT=YES${uri}`,
    );
  });
  const first = cameras[0]!;
  const peak = Math.max(...cameras.map((c) => c.rendition.bandwidth.peak));
  const average = Math.max(...cameras.map((c) => c.rendition.bandwidth.average));
  const codecs = [...new Set(cameras.flatMap((c) => c.rendition.codecs.split(',')))].join(',');
  const r = first.rendition;
  lines.push(
    `#EXT-X-STREAM-INF:BANDWIDTH=${Math.max(1, peak)},AVERAGE-BANDWIDTH=${Math.max(1, average)},CODECS="${codecs}",RESOLUTION=${r.width}x${r.height},VIDEO="${group}"`,
  );
  lines.push(withQuery(first.playlist, q));
  for (const c of cameras) {
    const video = c.rendition.codecs.split(',')[0];
    lines.push(
      `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=${Math.max(1, c.rendition.iframeBandwidth)},CODECS="${video}",RESOLUTION=${c.rendition.width}x${c.rendition.height},URI="${withQuery(c.iframes, q)}"`,
    );
  }
  return `${lines.join('\n')}\n`;
}
