/**
 * Issue 21: decode-exact on every stream a real encoder makes and every MP4 a real muxer
 * writes. First one test per property (each failed before the fix), then the corpus:
 * every fixture × {keyframe, exact, fragmented} × {store clip, MP4 cut}, each checked
 * against ffmpeg's decode of the source (framemd5) and structurally.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Mp4Source, SegmentStore, type Clip } from '../lib/index.js';
import { readMp4Structure, sampleNalTypes } from './helpers/mp4-structure.js';
import { T0 } from './helpers/store.js';
import {
  FIXTURES,
  decodeErrors,
  ffmpegPath,
  ffprobe,
  ffprobePath,
  fixturesDir,
  run,
  splitAccessUnits,
  tempDir,
} from './helpers/tools.js';

const tmp = tempDir('ringclip-corpus-');
afterAll(() => tmp.cleanup());
const corpus = (name: string) => join(fixturesDir, 'corpus', name);
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** MD5 of every decoded frame of the k-th video track, in presentation order. */
function hashes(file: string, videoTrack = 0): string[] {
  const r = run(ffmpegPath, ['-v', 'error', '-i', file, '-map', `0:v:${videoTrack}`, '-f', 'framemd5', '-']);
  if (r.status !== 0) throw new Error(`ffmpeg framemd5 failed on ${file}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}
/** Presentation times (s) of the decoded frames of the k-th video track, as ffmpeg shows them. */
function frameTimes(file: string, videoTrack = 0): number[] {
  const r = run(ffprobePath, [
    '-v',
    'error',
    '-select_streams',
    `v:${videoTrack}`,
    '-show_entries',
    'frame=best_effort_timestamp_time',
    '-of',
    'csv=p=0',
    file,
  ]);
  if (r.status !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  // A frame with side data prints a second section: "0.000000," then an empty line.
  return r.stdout
    .split('\n')
    .map((l) => l.trim().replace(/,+$/, ''))
    .filter(Boolean)
    .map(Number);
}
const cache = new Map<string, string[]>();
function sourceHashes(file: string, videoTrack = 0): string[] {
  const key = `${file}#${videoTrack}`;
  if (!cache.has(key)) cache.set(key, hashes(file, videoTrack));
  return cache.get(key)!;
}

/** Where a clip's decoded frames sit in the source's: the index of the first, and whether the rest follow it without a gap. */
function placement(got: string[], want: string[]): { first: number; contiguous: boolean } {
  const first = got.length ? want.indexOf(got[0]!) : -1;
  const contiguous = first >= 0 && got.every((h, k) => want[first + k] === h);
  return { first, contiguous };
}

async function storeOf(file: string, fps: number, name = 'v'): Promise<SegmentStore> {
  const store = await SegmentStore.create(join(tmp.dir, `${name}-${Math.random().toString(36).slice(2)}.ring`), {
    capacity: '32MiB',
    segmentSize: '2MiB',
    streams: [name],
  });
  await pipeline(Readable.from([readFileSync(file)]), store.createWriteStream(name, { fps, start: T0 }));
  return store;
}
async function write(clip: Clip, name: string, fragmented = false): Promise<string> {
  const out = join(tmp.dir, name);
  await clip.writeMP4(out, { fragmented });
  return out;
}

describe('issue 21: the properties, one by one', () => {
  it('1. several PPS in use at once: one configuration, clips of any range whole and decode-exact', async () => {
    const file = corpus('multipps_240p30_cavlc.h264');
    const store = await storeOf(file, 30);
    const want = sourceHashes(file);
    expect(want).toHaveLength(120);
    const all = store.clip({ from: T0, to: T0 + 4e6 });
    expect(all.partial).toBe(false);
    expect(all.tracks[0]!.note ?? '').toBe('');
    const out = await write(all, 'multipps-all.mp4');
    expect(hashes(out)).toEqual(want);
    // Both PPS in one sample entry.
    const s = readMp4Structure(out);
    expect(s.tracks[0]!.sampleEntries).toEqual(['avc1']);
    all.release();
    // A later range is retained and clipped (it was refused as "no retained footage").
    const later = store.clip({ from: T0 + 2e6, to: T0 + 3e6, align: 'exact' });
    expect(hashes(await write(later, 'multipps-later.mp4'))).toEqual(want.slice(60, 90));
    later.release();
    // write() of whole access units (the first carries both PPS) keeps one configuration too.
    const written = await SegmentStore.create(join(tmp.dir, 'multipps-write.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['v'],
    });
    const timing = [...store.frames({ stream: 'v' })].map((f) => ({ pts: f.pts, dts: f.dts }));
    const units = splitAccessUnits(readFileSync(file));
    expect(units).toHaveLength(timing.length);
    units.forEach((unit, k) => written.write('v', unit, timing[k]!));
    const byWrite = written.clip({ from: T0 + 1e6, to: T0 + 4e6 });
    expect(byWrite.partial).toBe(false);
    expect(hashes(await write(byWrite, 'multipps-write.mp4'))).toEqual(want.slice(30, 120));
    byWrite.release();
    await written.close();
    await store.close();
  });

  it('2. a PPS redefined before every picture: one clip spans the changes with several sample descriptions', async () => {
    const file = corpus('ppsredef_240p30_bframes.h264');
    const store = await storeOf(file, 30);
    const want = sourceHashes(file);
    expect(want).toHaveLength(60);
    const clip = store.clip({ from: T0, to: T0 + 2e6 });
    expect(clip.partial).toBe(false);
    expect(clip.tracks[0]!.samples).toBe(60);
    const out = await write(clip, 'ppsredef.mp4');
    expect(hashes(out)).toEqual(want);
    const s = readMp4Structure(out);
    // Three PPS contents cycle: three stsd entries, reused, stsc switching with them.
    expect(s.tracks[0]!.sampleEntries).toEqual(['avc1', 'avc1', 'avc1']);
    expect(new Set(s.tracks[0]!.samples.map((x) => x.description))).toEqual(new Set([1, 2, 3]));
    const frag = await write(clip, 'ppsredef-frag.mp4', true);
    expect(hashes(frag)).toEqual(want);
    expect(readMp4Structure(frag).tracks[0]!.samples.map((x) => x.description)).toEqual(
      s.tracks[0]!.samples.map((x) => x.description),
    );
    clip.release();
    // The fragmented file streamed into another store (the phone's hop) switches sample
    // entries with it: the same pictures come back out.
    const phone = await SegmentStore.create(join(tmp.dir, 'ppsredef-phone.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['v'],
    });
    const ingest = phone.createFragmentedIngest();
    ingest.push(readFileSync(frag));
    ingest.finish();
    expect(ingest.stats.tracks[0]).toMatchObject({ stream: 'v', stored: 60, dropped: 0 });
    const back = phone.clip({ from: T0, to: T0 + 3e6 });
    expect(hashes(await write(back, 'ppsredef-phone.mp4'))).toEqual(want);
    back.release();
    await phone.close();
    // write() of whole access units (each one carrying its PPS) makes the same clip.
    const written = await SegmentStore.create(join(tmp.dir, 'ppsredef-write.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['v'],
    });
    // Times as the ingest derived them (decode order; B-frames present later).
    const timing = [...store.frames({ stream: 'v' })].map((f) => ({ pts: f.pts, dts: f.dts }));
    const units = splitAccessUnits(readFileSync(file));
    expect(units).toHaveLength(timing.length);
    units.forEach((unit, k) => written.write('v', unit, timing[k]!));
    const byWrite = written.clip({ from: T0, to: T0 + 2e6 });
    expect(byWrite.partial).toBe(false);
    const writeOut = await write(byWrite, 'ppsredef-write.mp4');
    expect(readMp4Structure(writeOut).tracks[0]!.sampleEntries).toHaveLength(3);
    expect(hashes(writeOut)).toEqual(want);
    byWrite.release();
    await written.close();
    // The cloud cuts the device's clip: both files read back with their entries.
    for (const [input, name] of [
      [out, 'prog'],
      [frag, 'frag'],
    ] as const) {
      const source = await Mp4Source.open(input);
      const cut = source.clip({ from: { offset: 0.5 }, to: { offset: 1.5 }, align: 'exact' });
      expect(hashes(await write(cut, `ppsredef-recut-${name}.mp4`))).toEqual(want.slice(15, 45));
      cut.release();
      source.close();
    }
    await store.close();
  });

  it('3. B-frames (temporal direct, pyramid): every frame presented in the range is in the clip, fragmented too', async () => {
    const file = corpus('bpyramid_temporal_240p30.h264');
    const store = await storeOf(file, 30);
    const want = sourceHashes(file);
    // +1 s .. +3 s: frames 30..89. A fragmented file has no edit list a player applies: it
    // shows everything from the key frame on, and must not skip a frame at the end.
    for (const [from, to] of [
      [1, 3],
      [1.5, 2.9],
      [0.4, 4.1],
    ] as const) {
      const fromFrame = Math.round(from * 30),
        toFrame = Math.round(to * 30);
      const clip = store.clip({ from: T0 + from * 1e6, to: T0 + to * 1e6 });
      const frag = hashes(await write(clip, 'bpyr-frag.mp4', true));
      const p = placement(frag, want);
      expect(p.contiguous, `fragmented ${from}..${to} s`).toBe(true);
      expect(p.first).toBeLessThanOrEqual(fromFrame);
      expect(p.first + frag.length).toBeGreaterThanOrEqual(toFrame);
      const prog = hashes(await write(clip, 'bpyr.mp4'));
      expect(prog).toEqual(want.slice(p.first, toFrame));
      clip.release();
      const exact = store.clip({ from: T0 + from * 1e6, to: T0 + to * 1e6, align: 'exact' });
      expect(hashes(await write(exact, 'bpyr-exact.mp4'))).toEqual(want.slice(fromFrame, toFrame));
      exact.release();
    }
    await store.close();
  });

  it('4. MP4 with negative composition offsets (ctts v1) and no edit list: contiguous cuts in every mode', async () => {
    const file = corpus('ctts_negative_noedit.mp4');
    const bytes = readFileSync(file);
    const ctts = bytes.indexOf('ctts');
    expect(bytes[ctts + 4]).toBe(1); // version 1: signed offsets
    expect(bytes.indexOf('elst')).toBe(-1);
    const want = sourceHashes(file);
    const times = frameTimes(file).map((t, _, all) => t - all[0]!);
    const source = await Mp4Source.open(file);
    for (const [from, to] of [
      [1, 3],
      [1.2, 2.6],
      [0.3, 4.2],
    ] as const) {
      const fromFrame = times.findIndex((t) => t >= from - 1e-4),
        toFrame = times.findIndex((t) => t >= to - 1e-4);
      for (const mode of ['keyframe', 'exact', 'fragmented'] as const) {
        const clip = source.clip({
          from: { offset: from },
          to: { offset: to },
          align: mode === 'exact' ? 'exact' : 'keyframe',
        });
        const got = hashes(await write(clip, `ctts-${mode}.mp4`, mode === 'fragmented'));
        const p = placement(got, want);
        expect(p.contiguous, `${mode} ${from}..${to} s`).toBe(true);
        if (mode === 'exact') expect(got).toEqual(want.slice(fromFrame, toFrame));
        else expect(p.first + got.length).toBeGreaterThanOrEqual(toFrame);
        if (mode === 'keyframe') expect(got).toEqual(want.slice(p.first, toFrame));
        clip.release();
      }
    }
    source.close();
  });

  it('5. MP4 whose edit list starts inside the media: +N is on the timeline the edit list makes', async () => {
    const file = corpus('editlist_inside.mp4');
    const want = sourceHashes(file); // what the file presents: 111 of its 150 frames
    expect(want).toHaveLength(111);
    const source = await Mp4Source.open(file);
    expect(source.start).toBe(0);
    expect(source.tracks[0]!.first).toBe(0);
    for (const mode of ['keyframe', 'exact', 'fragmented'] as const) {
      const clip = source.clip({
        from: { offset: 1 },
        to: { offset: 3 },
        align: mode === 'exact' ? 'exact' : 'keyframe',
      });
      const got = hashes(await write(clip, `edit-${mode}.mp4`, mode === 'fragmented'));
      const p = placement(got, want);
      // Never a frame the source does not show (the GOP before the edit's start).
      expect(p.contiguous, mode).toBe(true);
      if (mode === 'exact') expect(got).toEqual(want.slice(30, 90));
      if (mode === 'keyframe') expect(got).toEqual(want.slice(p.first, 90));
      clip.release();
    }
    source.close();
  });

  it('6. the display matrix, pasp and colr of the source are kept', async () => {
    const file = corpus('rotated_pasp_colr.mp4');
    const source = await Mp4Source.open(file);
    const clip = source.clip({ from: { offset: 1 }, to: { offset: 2 } });
    for (const fragmented of [false, true]) {
      const out = await write(clip, `rotated-${fragmented}.mp4`, fragmented);
      const [src, cut] = [ffprobe(file).streams[0]!, ffprobe(out).streams[0]!] as Array<Record<string, unknown>>;
      for (const key of [
        'sample_aspect_ratio',
        'display_aspect_ratio',
        'color_primaries',
        'color_transfer',
        'color_space',
      ])
        expect(cut![key], key).toBe(src![key]);
      expect(cut!['sample_aspect_ratio']).toBe('4:3');
      expect(cut!['color_primaries']).toBe('bt709');
      expect(readMp4Structure(out).tracks[0]!.matrix).toEqual(readMp4Structure(file).tracks[0]!.matrix);
      expect(readMp4Structure(out).tracks[0]!.matrix[0]).toBe(0); // rotated 90°: a = 0
      const side = run(ffprobePath, ['-v', 'error', '-show_streams', out]).stdout;
      expect(side).toMatch(/rotation=-?90/);
    }
    clip.release();
    source.close();
  });

  it('7. audio is carried: the AAC track of an ffmpeg file is cut with the video, the CLI too', async () => {
    const file = corpus('aac_junk_names.mp4');
    const source = await Mp4Source.open(file);
    expect(source.dropped).toEqual([]);
    expect(source.tracks.map((t) => [t.kind, t.codec])).toEqual([
      ['video', 'avc1.64000d'],
      ['video', 'avc1.64000d'],
      ['audio', 'mp4a.40.2'],
    ]);
    const clip = source.clip({ from: { offset: 0.5 }, to: { offset: 2 } });
    expect(clip.dropped).toEqual([]);
    expect(clip.tracks.map((t) => t.kind)).toEqual(['video', 'video', 'audio']);
    clip.release();
    source.close();
    const out = join(tmp.dir, 'aac-cli.mp4');
    const r = spawnSync(process.execPath, [cli, 'cut', file, '--from', '+0.5', '--to', '+2', '-o', out], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(ffprobe(out).streams.map((st) => st.codec_name)).toEqual(['h264', 'h264', 'aac']);
    expect(decodeErrors(out)).toBe('');
  });

  it('8. junk handler names: tracks are named from what they are, uniquely', async () => {
    const file = corpus('aac_junk_names.mp4');
    const source = await Mp4Source.open(file);
    expect(source.tracks.map((t) => t.name)).toEqual(['video', 'video-2', 'audio']);
    const clip = source.clip({ from: { offset: 0.5 }, to: { offset: 2 }, align: 'exact' });
    const out = await write(clip, 'names.mp4');
    expect(ffprobe(out).streams.map((s) => s.tags?.handler_name)).toEqual(['video', 'video-2', 'audio']);
    const times = frameTimes(file);
    const fromFrame = times.findIndex((t) => t - times[0]! >= 0.5),
      toFrame = times.findIndex((t) => t - times[0]! >= 2);
    for (const k of [0, 1]) expect(hashes(out, k)).toEqual(sourceHashes(file, k).slice(fromFrame, toFrame));
    clip.release();
    source.close();
  });
});

// ---- the corpus -------------------------------------------------------------------------

interface CorpusEntry {
  name: string;
  file: string; // raw H.264 or MP4
  fps: number; // of the raw stream (store ingest)
  from: number;
  to: number; // seconds from the start
  randomAccessNonIdr?: boolean; // open GOP: recovery-point I pictures are sync samples too
}
const CORPUS: CorpusEntry[] = [
  { name: 'multipps', file: corpus('multipps_240p30_cavlc.h264'), fps: 30, from: 1.2, to: 2.6 },
  { name: 'ppsredef', file: corpus('ppsredef_240p30_bframes.h264'), fps: 30, from: 0.5, to: 1.9 },
  { name: 'bpyramid', file: corpus('bpyramid_temporal_240p30.h264'), fps: 30, from: 1.2, to: 2.6 },
  { name: 'ctts-v1', file: corpus('ctts_negative_noedit.mp4'), fps: 30, from: 1.2, to: 2.6 },
  { name: 'editlist', file: corpus('editlist_inside.mp4'), fps: 30, from: 1.2, to: 2.6 },
  { name: 'rotated', file: corpus('rotated_pasp_colr.mp4'), fps: 30, from: 1.2, to: 2.6 },
  { name: 'aac+2video', file: corpus('aac_junk_names.mp4'), fps: 30, from: 1.2, to: 2.6 },
  { name: 'road', file: join(fixturesDir, FIXTURES.road), fps: 30, from: 1.5, to: 3.5 },
  { name: 'cabin', file: join(fixturesDir, FIXTURES.cabin), fps: 30, from: 1.5, to: 3.5 },
  { name: 'bframes', file: join(fixturesDir, FIXTURES.bframes), fps: 30, from: 1.5, to: 3.5 },
  { name: 'slices', file: join(fixturesDir, FIXTURES.slices), fps: 25, from: 1.5, to: 3.5 },
  { name: 'opengop', file: join(fixturesDir, FIXTURES.opengop), fps: 30, from: 2.5, to: 4.5, randomAccessNonIdr: true },
];
const MODES = ['keyframe', 'exact', 'fragmented'] as const;
type Mode = (typeof MODES)[number];
const table = new Map<string, string>();

/** Checks a written clip against the source's decode and its structure; returns the table cell. */
function checkClip(
  out: string,
  want: string[],
  fromFrame: number,
  toFrame: number,
  mode: Mode,
  entry: CorpusEntry,
  videoTrack = 0,
): string {
  const s = readMp4Structure(out);
  // ftyp first, the moov before any media (other boxes, e.g. a prft, may sit between).
  expect(s.top[0]).toBe('ftyp');
  const media = s.top.findIndex((t) => t === 'mdat' || t === 'moof');
  expect(s.top.indexOf('moov')).toBeGreaterThan(0);
  expect(s.top.indexOf('moov')).toBeLessThan(media);
  expect(s.fragmented).toBe(mode === 'fragmented');
  for (const t of s.tracks) {
    expect(t.enabled, 'track enabled').toBe(true);
    if (t.handler !== 'vide') continue; // audio: checked by decoding
    for (const sample of t.samples) {
      const types = sampleNalTypes(s, sample); // throws on Annex B framing
      expect(types.includes(7) || types.includes(8), 'SPS/PPS are in the sample entry, not the samples').toBe(false);
      const idr = types.includes(5);
      if (idr) expect(sample.sync, 'an IDR is a sync sample').toBe(true);
      if (sample.sync && !entry.randomAccessNonIdr) expect(idr, 'stss lists IDR pictures only').toBe(true);
    }
    expect(t.samples[0]?.sync, 'the first sample is a sync sample').toBe(true);
  }
  const got = hashes(out, videoTrack);
  const p = placement(got, want);
  expect(p.contiguous, 'the clip decodes to a contiguous run of the source').toBe(true);
  if (mode === 'exact') expect(got).toEqual(want.slice(fromFrame, toFrame));
  if (mode === 'keyframe') expect(got).toEqual(want.slice(p.first, toFrame));
  if (mode === 'fragmented') {
    expect(p.first).toBeLessThanOrEqual(fromFrame);
    expect(p.first + got.length).toBeGreaterThanOrEqual(toFrame);
  }
  return `ok ${p.first}-${p.first + got.length - 1}`;
}

describe.each(CORPUS)('corpus: $name', (entry) => {
  const isMp4 = entry.file.endsWith('.mp4');
  // The raw stream the store records: the fixture, or the MP4's first video track as Annex B.
  const raw = () => {
    if (!isMp4) return entry.file;
    const out = join(tmp.dir, `${entry.name}.h264`);
    const r = run(ffmpegPath, [
      '-v',
      'error',
      '-y',
      '-i',
      entry.file,
      '-map',
      '0:v:0',
      '-c',
      'copy',
      '-bsf:v',
      'h264_mp4toannexb',
      '-f',
      'h264',
      out,
    ]);
    if (r.status !== 0) throw new Error(r.stderr);
    return out;
  };

  it.each(MODES)('store clip, %s', async (mode) => {
    const file = raw();
    const store = await storeOf(file, entry.fps);
    const want = sourceHashes(file);
    const fromFrame = Math.round(entry.from * entry.fps),
      toFrame = Math.round(entry.to * entry.fps);
    const clip = store.clip({
      from: T0 + entry.from * 1e6,
      to: T0 + entry.to * 1e6,
      align: mode === 'exact' ? 'exact' : 'keyframe',
    });
    expect(clip.partial).toBe(false);
    const out = await write(clip, `${entry.name}-store-${mode}.mp4`, mode === 'fragmented');
    table.set(`${entry.name}|store|${mode}`, checkClip(out, want, fromFrame, toFrame, mode, entry));
    clip.release();
    await store.close();
  });

  it.each(MODES)('MP4 cut, %s', async (mode) => {
    let input = entry.file;
    if (!isMp4) {
      // A raw stream's MP4: the device's whole-stream clip, cut again as the cloud does.
      const store = await storeOf(entry.file, entry.fps);
      const whole = store.clip({ from: T0, to: T0 + 3600e6 });
      input = await write(whole, `${entry.name}-whole.mp4`);
      whole.release();
      await store.close();
    }
    const source = await Mp4Source.open(input);
    const want = sourceHashes(input);
    const times = frameTimes(input);
    const rel = times.map((t) => t - times[0]!);
    const fromFrame = rel.findIndex((t) => t >= entry.from - 1e-4);
    const toFrame = rel.findIndex((t) => t >= entry.to - 1e-4);
    const clip = source.clip({
      from: { offset: entry.from },
      to: { offset: entry.to },
      align: mode === 'exact' ? 'exact' : 'keyframe',
    });
    const out = await write(clip, `${entry.name}-cut-${mode}.mp4`, mode === 'fragmented');
    let cell = checkClip(out, want, fromFrame, toFrame, mode, entry);
    if (source.tracks.length > 1) {
      const wantSecond = sourceHashes(input, 1);
      cell += ` +${checkClip(out, wantSecond, fromFrame, toFrame, mode, entry, 1)}`;
    }
    table.set(`${entry.name}|mp4|${mode}`, cell);
    clip.release();
    source.close();
  });
});

afterAll(() => {
  const lines = [
    '| stream | store keyframe | store exact | store fragmented | MP4 keyframe | MP4 exact | MP4 fragmented |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const e of CORPUS) {
    const cells = [
      ...(['store', 'mp4'] as const).flatMap((k) => MODES.map((m) => table.get(`${e.name}|${k}|${m}`) ?? 'FAILED')),
    ];
    lines.push(`| ${e.name} | ${cells.join(' | ')} |`);
  }
  const text = lines.join('\n');
  console.log(`corpus table (frames: source indexes presented by each clip)\n${text}`);
  if (process.env.RINGCLIP_CORPUS_TABLE) writeFileSync(process.env.RINGCLIP_CORPUS_TABLE, `${text}\n`);
});
