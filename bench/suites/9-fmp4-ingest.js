// The phone's hop: the device's live fragmented MP4 into a ring through the engine
// (createFragmentedIngest: native incremental parse, samples stored as they are), in
// 64 KiB chunks as HTTP delivers them. 20 s of road + cabin (1080p + 720p, 30 fps).
// Baseline (same run): write() of the same frames as Annex B access units, split beforehand
// in JS — the path the app took before (demux in JS, convert to Annex B, write()).
import { rmSync } from 'node:fs';
import { SegmentStore } from '../../dist/index.js';
import { T0, fmt, measure, recordDual, row } from '../lib/common.js';

export const title = 'fragmented MP4 ingest';

const SECONDS = 20;
const CHUNK = 64 * 1024;

export async function run(ctx) {
  const streams = ['road', 'cabin'];
  const source = await SegmentStore.create(`${ctx.dir}/fmp4-source.ring`, {
    capacity: '256MiB',
    segmentSize: '8MiB',
    streams,
  });
  const frames = recordDual(source, SECONDS);
  const clip = source.clip({ from: T0, to: T0 + SECONDS * 1e6 });
  const fmp4 = clip.toVirtualMP4({ fragmented: true }).read(0);
  clip.release();
  await source.close();
  rmSync(`${ctx.dir}/fmp4-source.ring`, { force: true });
  const chunks = [];
  for (let at = 0; at < fmp4.length; at += CHUNK) chunks.push(fmp4.subarray(at, at + CHUNK));

  let cycle = 0;
  const fresh = async (name) =>
    SegmentStore.create(`${ctx.dir}/fmp4-${name}-${cycle++}.ring`, {
      capacity: '256MiB',
      segmentSize: '8MiB',
      streams,
    });
  let into = await fresh('ingest');
  const viaIngest = await measure(
    ctx,
    'createFragmentedIngest of 20 s road+cabin',
    async () => {
      await into.close();
      rmSync(into.path, { force: true });
      into = await fresh('ingest');
      const ingest = into.createFragmentedIngest();
      for (const c of chunks) ingest.push(c);
      ingest.finish();
      const stored = ingest.stats.tracks.reduce((n, t) => n + t.stored, 0);
      if (stored !== frames) throw new Error(`fragmented ingest stored ${stored} of ${frames} frames`);
    },
    { async: true, slow: true },
  );
  await into.close();
  rmSync(into.path, { force: true });

  let target = await fresh('write');
  const viaWrite = await measure(
    ctx,
    'write() of the same frames in Annex B',
    async () => {
      await target.close();
      rmSync(target.path, { force: true });
      target = await fresh('write');
      recordDual(target, SECONDS);
    },
    { async: true, slow: true },
  );
  await target.close();
  rmSync(target.path, { force: true });

  // Store creation is in both measurements alike (a fresh 256 MiB ring each cycle).
  const ratio = viaWrite.mean / viaIngest.mean;
  return [
    row({
      name: 'fragmented MP4 ingest (live fMP4 → ring) vs write() of Annex B access units',
      value: frames / viaIngest.mean,
      unit: 'frames/s',
      extra: `${fmt(fmp4.length / 2 ** 20)} MiB in ${chunks.length} chunks of 64 KiB, ${fmt(viaIngest.mean * 1000)} ms (store create included)`,
      baseline: 'write() of the same frames as Annex B units split beforehand',
      baselineValue: frames / viaWrite.mean,
      baselineUnit: 'frames/s',
      ratio,
      target: { text: '≥ 0.8 of the Annex B write() path', ok: ratio >= 0.8 },
    }),
  ];
}
