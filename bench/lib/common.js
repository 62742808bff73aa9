// Shared helpers for the benchmark suites: fixtures, store recording, benchmark.js wrappers,
// ffmpeg, and the row format every suite returns.
import Benchmark from 'benchmark';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nalUnits, splitAccessUnits } from '../../test/helpers/annexb.js';

const require = createRequire(import.meta.url);

export const FIXTURES_DIR = new URL('../../test/fixtures/', import.meta.url).pathname;
export const ROAD = 'road_1080p30_high_gop30.h264';
export const CABIN = 'cabin_720p30_main_gop30.h264';
/** 2026-01-01T00:00:00Z in µs since the epoch. */
export const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;

const cache = new Map();
export function fixture(name) {
  if (!cache.has(name)) cache.set(name, readFileSync(join(FIXTURES_DIR, name)));
  return cache.get(name);
}

export { splitAccessUnits, nalUnits };

const unitCache = new Map();
export function units(name) {
  if (!unitCache.has(name)) unitCache.set(name, splitAccessUnits(fixture(name)));
  return unitCache.get(name);
}

/**
 * Writes `seconds` of road + cabin (both 30 fps, looped, timestamps continuing) with
 * write(), interleaved by time as cameras deliver them. Returns the number of writes.
 */
export function recordDual(
  store,
  seconds,
  start = T0,
  sources = [
    { stream: 'road', file: ROAD },
    { stream: 'cabin', file: CABIN },
  ],
) {
  const feeds = sources.map((s) => ({ stream: s.stream, units: units(s.file), next: 0 }));
  const total = Math.round(seconds * 30);
  let writes = 0;
  for (let k = 0; k < total; k++) {
    const pts = start + Math.round((k * 1e6) / 30);
    for (const f of feeds) {
      store.write(f.stream, f.units[f.next % f.units.length], { pts });
      f.next++;
      writes++;
    }
  }
  return writes;
}

/** AVCDecoderConfigurationRecord (avcC payload) from the first SPS and PPS of a fixture. */
export function avcC(name) {
  const nals = nalUnits(fixture(name));
  const sps = nals.find((n) => (n[0] & 0x1f) === 7);
  const pps = nals.find((n) => (n[0] & 0x1f) === 8);
  const head = Buffer.from([1, sps[1], sps[2], sps[3], 0xff, 0xe1, sps.length >> 8, sps.length & 0xff]);
  const mid = Buffer.from([1, pps.length >> 8, pps.length & 0xff]);
  const parts = [head, sps, mid, pps];
  // High profiles carry chroma format / bit depth fields (4:2:0, 8 bit).
  if ([100, 110, 122, 144].includes(sps[1])) parts.push(Buffer.from([0xfd, 0xf8, 0xf8, 0x00]));
  return Buffer.concat(parts);
}

export function codecString(name) {
  const sps = nalUnits(fixture(name)).find((n) => (n[0] & 0x1f) === 7);
  return `avc1.${[sps[1], sps[2], sps[3]].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function ffmpegPath() {
  const path = require('@ffmpeg-installer/ffmpeg').path;
  if ((statSync(path).mode & 0o111) === 0) chmodSync(path, 0o755);
  return path;
}

export function tempDir(prefix = 'ringclip-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Benchmark.js settings: short in --ci mode. `slow` is for operations of 10 ms and more. */
function settings(ctx, slow) {
  if (ctx.ci) return slow ? { minSamples: 5, maxTime: 1, initCount: 1 } : { minSamples: 5, maxTime: 0.5 };
  return slow ? { minSamples: 8, maxTime: 3, initCount: 1 } : { minSamples: 20, maxTime: 2 };
}

/**
 * Measures `fn` (sync, or async when `async: true`) with benchmark.js; resolves with the time of
 * one call in seconds (`mean`: the median of the samples; `average`: benchmark.js's mean), its
 * relative margin of error (%), and the sample count.
 */
export async function measure(
  ctx,
  name,
  fn,
  { async = false, slow = false, override = {}, warmup = slow ? 3 : 0 } = {},
) {
  // Untimed calls first, so JIT compilation of JS baselines (and first-touch page faults)
  // do not land in the few samples a --ci run takes.
  for (let i = 0; i < warmup; i++) await fn();
  return new Promise((resolve, reject) => {
    const options = { ...settings(ctx, slow), ...override };
    const bench = async
      ? new Benchmark(name, {
          ...options,
          defer: true,
          fn(deferred) {
            fn().then(
              () => deferred.resolve(),
              (e) => {
                bench.error = e;
                deferred.resolve();
              },
            );
          },
        })
      : new Benchmark(name, fn, options);
    bench.on('complete', () => {
      if (bench.error) return reject(bench.error);
      const s = bench.stats;
      // The median of benchmark.js's samples (each the mean of one timed cycle): on a shared
      // 2-core machine a few cycles are hit by other work, and the median ignores them.
      const sorted = [...s.sample].sort((a, b) => a - b);
      const median =
        sorted.length % 2
          ? sorted[sorted.length >> 1]
          : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      if (ctx.verbose)
        console.error(
          `    ${name}: median ${(median * 1e3).toFixed(3)} ms, mean ${(s.mean * 1e3).toFixed(3)} ms ±${s.rme.toFixed(1)}% (${s.sample.length} samples)`,
        );
      resolve({ mean: median, average: s.mean, rme: s.rme, samples: s.sample.length });
    });
    bench.run({ async: async });
  });
}

/**
 * A result row. `ratio` is always oriented so that the meaning is in `better`:
 *  better 'higher': ratio = ringclip speed / baseline speed (same work), > 1 means ringclip is faster;
 *  better 'lower':  ratio = ringclip cost / baseline cost (memory), < 1 means ringclip uses less.
 * `target` = { text, ok } when the design states a goal for this row.
 */
export function row(r) {
  return { better: 'higher', ...r };
}

export const MB = 1e6;
export const fmt = (n, digits = 3) => {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1000) return n.toFixed(0);
  return Number(n.toPrecision(digits)).toString();
};

/** Reads RssAnon / RssFile / VmHWM (kB) from /proc/self/status. */
export function procStatus() {
  const text = readFileSync('/proc/self/status', 'utf8');
  const get = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text) || [])[1] || NaN) * 1024;
  return {
    rssAnon: get('RssAnon'),
    rssFile: get('RssFile'),
    rssShmem: get('RssShmem'),
    hwm: get('VmHWM'),
    rss: get('VmRSS'),
  };
}

/** Bytes this process has caused to be read from storage (/proc/self/io read_bytes). */
export function storageReadBytes() {
  return Number(/^read_bytes:\s+(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'))[1]);
}

/** Page faults (minor + major) taken so far by the JS thread (/proc/self/task/<pid>/stat). */
export function jsThreadFaults() {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[7]) + Number(fields[9]); // minflt, majflt (fields 10 and 12 of stat)
}

/**
 * Drops a file's pages from the page cache (posix_fadvise DONTNEED through GNU dd), as a
 * device that just booted has them: nothing of it in memory. Dirty or mapped pages stay:
 * call it on a closed, synced file.
 */
export function dropFromCache(path) {
  const r = spawnSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`cannot drop ${path} from the page cache: ${r.stderr}`);
}

/** The median of a list of numbers. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * The CPU's last-level cache in bytes (Linux sysfs: the highest cache level of cpu0), or 0
 * when the kernel does not say. Copy floors must not fit in it: a 64 MiB floor swung from 13
 * to 26 GB/s between two runs on a machine whose cache held most of it.
 */
function lastLevelCacheBytes() {
  const dir = '/sys/devices/system/cpu/cpu0/cache';
  let best = { level: 0, bytes: 0 };
  if (!existsSync(dir)) return 0; // no sysfs cache description (not Linux): the caller's minimum applies
  for (const e of readdirSync(dir).filter((name) => /^index\d+$/.test(name))) {
    const level = Number(readFileSync(`${dir}/${e}/level`, 'utf8'));
    const m = /^(\d+)([KMG]?)/.exec(readFileSync(`${dir}/${e}/size`, 'utf8').trim());
    if (!m) continue;
    const bytes = Number(m[1]) * { '': 1, K: 1024, M: 1 << 20, G: 1 << 30 }[m[2]];
    if (level > best.level || (level === best.level && bytes > best.bytes)) best = { level, bytes };
  }
  return best.bytes;
}

/** Bytes a copy floor's destination spans: twice the last-level cache, at least `minimum`. */
function copyFloorBytes(minimum = 64 << 20) {
  return Math.max(minimum, Math.ceil((2 * lastLevelCacheBytes()) / (1 << 20)) << 20);
}

/**
 * A copy floor's destination: a ring spanning copyFloorBytes(), written on from one copy to
 * the next as a store writes its ring, so that the floor measures writing memory no cache
 * holds (a fresh Buffer.concat each time reuses what the allocator just freed: cache-hot,
 * and it swung ~3x between runs). copy(bytes) appends one buffer; text names the ring.
 */
export function floorRing() {
  const size = copyFloorBytes();
  const ring = Buffer.alloc(size, 1);
  let at = 0;
  return {
    size,
    text: `a ${size >> 20} MiB ring`,
    copy(bytes) {
      if (at + bytes.length > size) at = 0;
      at += bytes.copy(ring, at);
    },
  };
}
