/**
 * Loads the native addon: prebuilds/<platform>-<arch>/ first, then build/Release (via
 * node-gyp-build), and explains a failed load in words a user can act on.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BindingLoadError, errorClassesByCode } from './errors.js';
import type { ClipTrack } from './clip.js';
import type { CopyResult, PrepareStats, RecoveryReport, StoreInfo } from './types.js';

export interface NativeBinding {
  NativeStore: NativeStoreClass;
  NativeMp4Source: { open(path: string): NativeMp4Source };
  setErrorClasses(classes: Record<string, unknown>): void;
  detach(buffer: ArrayBuffer): void;
  unreleasedNativeBytes(): number;
  /** h264/annexb_units.h: each access unit's place in the bytes and in both orders */
  parseAnnexB(bytes: Uint8Array): {
    offsets: Float64Array;
    sizes: Float64Array;
    idr: Uint8Array;
    presentation: Float64Array;
    reorderDepth: number;
    fps: number;
    rejected: number;
    skipped: number;
  };
  parseAdts(bytes: Uint8Array): {
    config: Buffer;
    sampleRate: number;
    channels: number;
    frameSamples: number;
    frames: Array<[number, number]>;
  };
  /** the per-segment lines of a media (iframes false) or I-frame playlist, from NativeClip.hls()'s table */
  hlsSegmentLines(table: Float64Array, iframes: boolean, name: string, suffix: string): string;
  formatVersion: number;
  mp4WriterVersion: number;
  crc32cHardware: boolean;
}

export interface NativeStoreClass {
  create(
    path: string,
    options: {
      capacity: number;
      segmentSize: number;
      streams: string[];
      kinds: number[];
      protectCap: number;
      flushPolicy: number;
      flushIntervalMs: number;
      prepareAhead: number;
    },
  ): NativeStore;
  /** prepareAhead: 0 auto, 1 discard, 2 off (lib/segment-store.ts PrepareAhead). */
  open(path: string, writable: boolean, verifyFull: boolean, prepareAhead: number): NativeStore;
}

export interface NativeStore {
  write(stream: number, data: Uint8Array, pts: number, dts: number, capture: number): number;
  /** flags as write() */
  writeAudio(stream: number, frame: Uint8Array, config: Uint8Array, pts: number, capture: number): number;
  /** flags as write(); format: the sample entry's four-character code as a number */
  writeMetadata(
    stream: number,
    sample: Uint8Array,
    format: number,
    entry: Uint8Array,
    pts: number,
    capture: number,
  ): number;
  takeEvents(): Array<{ stream: string; from: number; to: number; frames: number }>;
  copyTo(destination: NativeStore, from: number, to: number): CopyResult;
  info(): Omit<StoreInfo, 'path' | 'formatVersion'>;
  recovery(): RecoveryReport;
  protect(from: number, to: number): number;
  releaseProtection(id: number): void;
  protections(): Array<{ id: number; from: number; to: number; coveredFrom: number; bytes: number }>;
  flush(): Promise<void>;
  close(): void;
  verify(): { records: number; bytes: number; badRecords: number; problems: string[] };
  listFrames(stream: number, from: number, to: number): Float64Array;
  listFramesAfter(stream: number, afterDts: number, max: number): Float64Array;
  /** [from, to, frames] triples */
  spans(stream: number, from: number, to: number, maxGap: number): Float64Array;
  streamConfig(
    stream: number,
    config: number,
  ): { sps: Buffer[]; pps: Buffer[]; width: number; height: number; codec: string } | null;
  lastDts(stream: number): number | null;
  pinIfLive(segment: number, seq: number): boolean;
  unpin(segment: number): void;
  segmentBuffer(segment: number): ArrayBuffer;
  /** a copy of one indexed frame's payload; on a read-only store, OverrunError when the writer reclaimed its segment */
  readFrame(stream: number, segment: number, payloadOffset: number, size: number): Buffer;
  createIngest(stream: number, fps: number, start: number): NativeIngest;
  createSampleWriter(stream: number): NativeSampleWriter;
  createFragmentedIngest(
    tracks: Array<[string, number]>,
    origin: number | null,
    skipStored: boolean,
  ): NativeFragmentedIngest;
  createLiveFragmenter(streams: number[], cursors: number[], skipOverwritten: boolean): NativeLiveFragmenter;
  /** timelapseEvery > 0: a key-frame timelapse (one IDR per timelapseEvery µs, each shown timelapseFrame µs) */
  clip(request: {
    from: number;
    to: number;
    streams: number[];
    exact: boolean;
    allowPartial: boolean;
    timelapseEvery: number;
    timelapseFrame: number;
  }): NativeClip;
  headerWrites(): number;
  prepareStats(): PrepareStats;
  header(): {
    streams: string[];
    kinds: Array<'video' | 'audio' | 'metadata'>;
    capacity: number;
    segmentSize: number;
    createdUs: number;
    flushPolicy: number;
    flushIntervalMs: number;
    writable: boolean;
  };
}

export interface NativeMp4Source {
  /** the file's own bytes [start, end) as one view of its mapping (none when empty) */
  views(start: number, end: number): Uint8Array[];
  /** the file's own bytes [start, end) to a non-blocking socket by sendfile: the bytes it took */
  sendTo(socket: number, start: number, end: number): number;
  info(): {
    origin: number;
    size: number;
    tracks: Array<{
      name: string;
      kind: 'video' | 'audio' | 'metadata';
      codec?: string;
      sampleRate: number;
      channels: number;
      width: number;
      height: number;
      samples: number;
      syncSamples: number;
      first: number;
      last: number;
    }>;
    dropped: string[];
  };
  clip(request: {
    from: number;
    to: number;
    tracks: number[];
    exact: boolean;
    allowPartial: boolean;
    timelapseEvery: number;
    timelapseFrame: number;
  }): NativeClip;
  samples(track: number, from: number, to: number): { pts: Float64Array; data: Buffer[] };
  close(): void;
}

export interface NativeLiveFragmenter {
  /** flush: 0 whole GOPs only, 1 also the GOPs in progress (continued later), 2 final */
  poll(
    maxFrames: number,
    flush: number,
  ): { bytes: Buffer | null; more: boolean; origin: number | null; skipped: number; held: number };
}

export interface NativeIngest {
  feed(data: Uint8Array): void;
  finish(): void;
  stats(): { stored: number; dropped: number; rejected: number; fps: number };
}

export interface NativeSampleWriter {
  /** flags as NativeStore.write() */
  write(sample: Uint8Array, pts: number, dts: number, capture: number, avcC: Uint8Array): number;
}

export interface FragmentedIngestTrackStats {
  /** the track's name in the stream (its handler name) */
  name: string;
  /** the store stream it goes to, or null: ignored (no stream of that name) */
  stream: string | null;
  stored: number;
  /** already stored (a resumed stream starts again at a key frame the store has) */
  skipped: number;
  /** not stored: before the stream's first random access point */
  dropped: number;
  /** decode times (µs) of the first and last samples seen */
  first: number | null;
  last: number | null;
}

export interface NativeFragmentedIngest {
  push(data: Uint8Array): void;
  finish(): void;
  stats(): {
    fragments: number;
    skippedTracks: number;
    exactTime: boolean;
    tracks: Array<Omit<FragmentedIngestTrackStats, 'stream'> & { stream: number }>;
  };
}

export interface NativeClip {
  info(): { tracks: ClipTrack[]; start?: number; end?: number; partial?: boolean };
  build(kind: 'mp4' | 'fmp4' | 'h264', options?: { track?: number; forceCo64?: boolean }): NativeVirtualFile;
  /** segments: 5 numbers per segment (offset, size, key frame end, start µs, duration µs) */
  hls(openEnd: boolean): {
    /** builds the rendition's fMP4 on demand; holds the clip's footage until released */
    plan: NativeHlsPlan;
    /** bytes of that fMP4 */
    size: number;
    initSize: number;
    segments: Float64Array;
    codecs: string;
    width: number;
    height: number;
    origin: number;
    dropped: string[];
  };
  release(): void;
}

export interface NativeHlsPlan {
  /** the rendition's virtual fMP4, built now (a playlist alone never needs it) */
  file(): NativeVirtualFile;
  /** segment n's fragment alone as its own file (n < 0: the init segment) */
  part(n: number): NativeVirtualFile;
  release(): void;
}

export interface NativeVirtualFile {
  readonly size: number;
  readonly etag: string;
  read(start: number, end: number): Buffer;
  /** views of [start, end): zero-copy for MP4 sources, one checked copy for ring stores */
  views(start: number, end: number): Uint8Array[];
  /** [start, end) to a non-blocking socket by sendfile (MP4 sources only): the bytes it took */
  sendTo(socket: number, start: number, end: number): number;
  writeTo(target: string | number): Promise<number>;
  /** drops this object's hold on the clip's footage (a write in flight keeps its own) */
  release(): void;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function load(): NativeBinding {
  const require = createRequire(import.meta.url);
  try {
    // RINGCLIP_BINDING names a specific build (the ASan+UBSan one for `npm run test:asan`).
    const override = process.env.RINGCLIP_BINDING;
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    const binding = override ? (require(override) as NativeBinding) : nodeGypBuild(packageRoot);
    binding.setErrorClasses(errorClassesByCode);
    return binding;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new BindingLoadError(
      `ringclip's native addon could not be loaded for ${process.platform}-${process.arch} ` +
        `(Node ${process.versions.node}, Node-API ${process.versions.napi}): ${reason}. ` +
        `No prebuilt binary matched and no local build was found in ${join(packageRoot, 'build', 'Release')}. ` +
        `To build it from source you need cmake (3.20+) and a C++20 compiler (g++ 11+ or clang 14+): ` +
        `install them, then run "npm rebuild ringclip".`,
    );
  }
}

export const binding: NativeBinding = load();
