/** The CLI's commands. Each returns an exit status; errors are thrown and reported by main. */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { SegmentStore, type FlushOption } from '../segment-store.js';
import { InvalidArgumentError, InvalidDataError } from '../errors.js';
import { formatBytes, MAX_TIME_US, microsToIso, MIN_TIME_US, parseSize, toMicros } from '../units.js';
import type { StoreInfo } from '../types.js';
import { withFileProgress } from './progress.js';
import { describeNoFrames } from './sniff.js';
import { UsageError } from './usage.js';

export type Flags = Record<string, string | boolean | string[] | undefined>;

function str(flags: Flags, name: string, required = false): string | undefined {
  const v = flags[name];
  if (Array.isArray(v)) return v[v.length - 1];
  if (typeof v === 'string') return v;
  if (required) throw new UsageError(`${name.length === 1 ? '-' : '--'}${name} is required`);
  return undefined;
}

function list(flags: Flags, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

function protectCap(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v))
    throw new UsageError(`--protect-cap is a share of the capacity from 0 to 0.9, got '${text}'`);
  return v;
}

export async function create(store: string, flags: Flags): Promise<number> {
  const streams = list(flags, 'stream');
  if (streams.length === 0) throw new UsageError('create needs at least one --stream NAME');
  const flushText = str(flags, 'flush') ?? 'none';
  const flush: FlushOption = flushText === 'none' || flushText === 'keyframe' ? flushText : { everyMs: flushText };
  const capacityText = str(flags, 'capacity', true)!;
  const segmentText = str(flags, 'segment-size') ?? '8MiB';
  const capacity = parseSize(capacityText, '--capacity');
  const segmentSize = parseSize(segmentText, '--segment-size');
  const s = await SegmentStore.create(store, {
    capacity,
    segmentSize,
    streams,
    protectCap: protectCap(str(flags, 'protect-cap')),
    flush,
  });
  const info = s.info();
  await s.close();
  for (const line of [
    describeSize('--capacity', capacityText, capacity),
    describeSize('--segment-size', segmentText, segmentSize),
  ]) {
    if (line) process.stdout.write(`${line}\n`);
  }
  process.stdout.write(
    `created ${store}: ${formatBytes(info.capacity)} in ${info.segments} segments of ${formatBytes(info.segmentSize)}, streams ${streams.join(', ')}\n`,
  );
  return 0;
}

export async function ingest(storePath: string, flags: Flags): Promise<number> {
  const sources = list(flags, 'stream').map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--stream takes NAME=FILE.h264, got '${spec}'`);
    return { stream: spec.slice(0, eq), file: spec.slice(eq + 1) };
  });
  if (sources.length === 0) throw new UsageError('ingest needs at least one --stream NAME=FILE.h264');
  const fpsText = str(flags, 'fps');
  const fps = fpsText === undefined ? undefined : Number(fpsText);
  if (fps !== undefined && !(fps > 0 && fps <= 1000))
    throw new UsageError(`--fps must be a number from 0 to 1000, got '${fpsText}'`);
  const startText = str(flags, 'start');
  const start = startText === undefined ? Date.now() * 1000 : parseCliTime(startText, null, '--start', false);
  const store = await SegmentStore.open(storePath);
  try {
    // Interleave by time as cameras would deliver them: always feed the stream that is
    // furthest behind on the shared clock.
    const feeds = sources.map((s) => ({
      ...s,
      writer: store.createWriteStream(s.stream, { fps, start }),
      chunks: createReadStream(s.file, { highWaterMark: 256 * 1024 })[Symbol.asyncIterator]() as AsyncIterator<Buffer>,
      done: false,
    }));
    const clock = (f: (typeof feeds)[number]) => f.writer.stats.stored / (f.writer.stats.fps || 1);
    // A cast, not an annotation: TypeScript would narrow it to null, unaware of the callback.
    let failure = null as Error | null;
    for (const f of feeds)
      f.writer.on('error', (e) => {
        failure ??= e;
      });
    for (;;) {
      if (failure) throw failure;
      const open = feeds.filter((f) => !f.done);
      if (open.length === 0) break;
      const f = open.reduce((a, b) => (clock(a) <= clock(b) ? a : b));
      let next: IteratorResult<Buffer>;
      try {
        next = await f.chunks.next();
      } catch (e) {
        throw new InvalidArgumentError(`cannot read '${f.file}': ${(e as Error).message}`);
      }
      if (next.done) {
        f.done = true;
        f.writer.end();
        if (!f.writer.writableFinished && !failure) await once(f.writer, 'finish');
      } else if (!f.writer.write(next.value)) {
        await once(f.writer, 'drain');
      }
    }
    await store.flush();
    const empty: string[] = [];
    for (const f of feeds) {
      const st = f.writer.stats;
      if (st.stored === 0) {
        empty.push(await describeNoFrames(f.file, f.stream));
        continue;
      }
      process.stdout.write(
        `${f.stream}: stored ${st.stored} frames at ${st.fps} fps from ${f.file}` +
          (st.dropped ? `, dropped ${st.dropped} before the first key frame` : '') +
          (st.rejected ? `, rejected ${st.rejected} unparseable units` : '') +
          '\n',
      );
    }
    if (empty.length > 0) throw new InvalidDataError(empty.join('\nringclip: '));
  } finally {
    await store.close();
  }
  return 0;
}

function describeInfo(info: StoreInfo): string {
  const t = (us: number | null) => (us === null ? '-' : microsToIso(us));
  const lines = [
    `store     ${info.path} (format ${info.formatVersion})`,
    `capacity  ${formatBytes(info.capacity)}, ${info.segments} segments of ${formatBytes(info.segmentSize)}; used ${formatBytes(info.used)} in ${info.liveSegments} segments`,
    `protected ${formatBytes(info.protectedBytes)} of a ${formatBytes(info.protectCapBytes)} cap (${info.protections} protections)`,
    `lost      ${info.overwrittenFrames} frames overwritten by loop recording, ${info.droppedFrames} dropped`,
    'streams',
  ];
  for (const s of info.streams) {
    lines.push(
      `  ${s.name.padEnd(8)} ${s.codec ?? '(empty)'} ${s.width}x${s.height}  ${s.frames} frames, ${s.keyframes} key frames, ${formatBytes(s.bytes)}  ${t(s.first)} .. ${t(s.last)}`,
    );
  }
  lines.push('drives');
  for (const d of info.drives)
    lines.push(`  #${d.id}  ${t(d.first)} .. ${t(d.last)}  ${d.frames} frames  (${d.streams.join(', ')})`);
  return lines.join('\n') + '\n';
}

export async function info(storePath: string, flags: Flags): Promise<number> {
  const store = await SegmentStore.open(storePath, { readOnly: true });
  try {
    const i = store.info();
    process.stdout.write(
      flags.json ? JSON.stringify({ ...i, recovery: store.recovery }, null, 2) + '\n' : describeInfo(i),
    );
  } finally {
    await store.close();
  }
  return 0;
}

export async function verify(storePath: string, flags: Flags): Promise<number> {
  const store = await SegmentStore.open(storePath, { readOnly: true });
  try {
    const v = store.verify();
    const r = store.recovery;
    if (flags.json) process.stdout.write(JSON.stringify({ ...v, recovery: r }, null, 2) + '\n');
    else {
      process.stdout.write(
        `${v.records} records, ${formatBytes(v.bytes)} checked: ${v.ok ? 'clean' : `${v.badRecords} bad records`}\n`,
      );
      for (const p of v.problems) process.stdout.write(`  ${p}\n`);
      if (r.tornTailRecords)
        process.stdout.write(
          `  (a torn write of ${r.tornTailBytes} bytes after the last durable record was cut, as after a power loss)\n`,
        );
    }
    return v.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

const ISO_FORM = 'an ISO-8601 time with a zone (2026-11-26T17:46:05Z, 2026-11-26T18:46:05.250+01:00)';
const TIME_FORMS = `${ISO_FORM} or +SECONDS from the first retained frame (+12.5)`;

/**
 * ISO-8601, or +SECONDS from `origin` when `relative` (--from, --to; not --start). Errors
 * name every form the option takes and show times as ISO.
 */
export function parseCliTime(text: string, origin: number | null, what: string, relative = true): number {
  const forms = relative ? TIME_FORMS : ISO_FORM;
  if (relative && text.startsWith('+')) {
    const s = Number(text.slice(1));
    if (text.length < 2 || !Number.isFinite(s) || s < 0)
      throw new UsageError(
        `${what} '${text}' is not a time: +SECONDS takes a non-negative number; ${what} takes ${forms}`,
      );
    if (origin === null)
      throw new InvalidArgumentError(
        `${what} '${text}' is relative to the first retained frame, but there is no footage: use ${ISO_FORM}`,
      );
    return origin + Math.round(s * 1e6);
  }
  try {
    return toMicros(text, what);
  } catch (e) {
    if (!(e instanceof InvalidArgumentError)) throw e;
    const outOfRange = /before 1970|after the latest/.test(e.message);
    throw new UsageError(
      outOfRange
        ? `${what} '${text}' is outside the times ringclip holds: ${microsToIso(MIN_TIME_US)} to ${microsToIso(MAX_TIME_US)}`
        : `${what} '${text}' is not a time: use ${forms}`,
    );
  }
}

/** `--capacity 256MB = 256000000 bytes (...)`: what a size with a unit resolved to, decimal or binary. */
export function describeSize(option: string, text: string, bytes: number): string | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$/.exec(text);
  if (!m) return null; // a plain number of bytes needs no echo
  const unit = m[2].toLowerCase();
  const binary: Record<string, string> = { kb: 'KiB', mb: 'MiB', gb: 'GiB', tb: 'TiB' };
  const other = binary[unit];
  const hint = other
    ? ` (decimal ${m[2]}; ${m[1]}${other} would be ${parseSize(`${m[1]}${other}`)} bytes)`
    : ` (${formatBytes(bytes)})`;
  return `${option} ${text.trim()} = ${bytes} bytes${hint}`;
}

export async function clip(storePath: string, flags: Flags): Promise<number> {
  const out = str(flags, 'o', true)!;
  const store = await SegmentStore.open(storePath, { readOnly: true });
  try {
    const i = store.info();
    const firsts = i.streams.map((s) => s.first).filter((x): x is number => x !== null);
    const origin = firsts.length ? Math.min(...firsts) : null;
    const from = parseCliTime(str(flags, 'from', true)!, origin, '--from');
    const to = parseCliTime(str(flags, 'to', true)!, origin, '--to');
    if (to <= from) throw new UsageError(`--to (${microsToIso(to)}) must be after --from (${microsToIso(from)})`);
    const streams = str(flags, 'streams')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const format = (str(flags, 'format') ?? 'mp4') as 'mp4' | 'h264';
    if (format !== 'mp4' && format !== 'h264') throw new UsageError(`--format is mp4 or h264, got '${String(format)}'`);
    const c = store.clip({
      from,
      to,
      streams,
      align: flags.exact ? 'exact' : 'keyframe',
      allowPartial: flags['allow-partial'] === true,
    });
    try {
      const options = { format, fragmented: flags.fragmented === true };
      const total = c.toVirtualMP4(options).size;
      const { bytes } = await withFileProgress('clip', out, total, c.writeMP4(out, options));
      const t = c.tracks.map((tr) => `${tr.name} ${tr.samples} frames`).join(', ');
      process.stdout.write(
        `wrote ${out}: ${formatBytes(bytes)}, ${t}${
          c.partial
            ? ` (partial: ${c.tracks
                .map((x) => x.note)
                .filter(Boolean)
                .join('; ')})`
            : ''
        }\n`,
      );
    } finally {
      c.release();
    }
  } finally {
    await store.close();
  }
  return 0;
}

export function size(text: string): number {
  return parseSize(text);
}
