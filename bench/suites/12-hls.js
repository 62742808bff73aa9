// HLS of a 1-hour drive, from the index: store.clip() of one camera, clip.toHls() (the
// layout of its virtual fMP4, one fragment per GOP: 3,600 of them) and its media and I-frame
// playlists, everything released. The drive (in --ci too): the cabin fixture's first IDR
// every second and its smallest P frames between, 108,000 frames (~150 MB): the layout
// costs per frame, not per byte, and an hour of full frames would not fit the CI machine's
// time. The frames do not decode as a video; nothing here decodes them.
// Baseline, same run: the same media playlist made in JS from the store's frame list, as a
// server without the engine's HLS would (frames() of the hour, a segment at each IDR, one
// EXTINF per GOP; no fMP4 layout, no I-frame playlist).
import { SegmentStore } from '../../dist/index.js';
import { CABIN, T0, fmt, measure, row, units } from '../lib/common.js';

export const title = 'HLS playlists of a 1-hour drive';

const SECONDS = 3600;
const FPS = 30;

export async function run(ctx) {
  const store = await SegmentStore.create(`${ctx.dir}/hls.ring`, {
    capacity: '256MiB',
    segmentSize: '16MiB',
    streams: ['cabin'],
  });
  const cabin = units(CABIN);
  const idr = cabin[0];
  const small = cabin.filter((u) => u.length < 1000);
  for (let k = 0; k < SECONDS * FPS; k++)
    store.write('cabin', k % FPS === 0 ? idr : small[k % small.length], { pts: T0 + Math.round((k * 1e6) / FPS) });
  const info = store.info().streams[0];
  if (info.droppedFrames || info.rejectedUnits) throw new Error('hls: frames of the drive were not stored');
  const from = T0,
    to = T0 + SECONDS * 1e6;

  let sink = 0;
  let segments = 0;
  const ours = await measure(ctx, 'clip + toHls + media and I-frame playlists, 1 h', () => {
    const clip = store.clip({ from, to, streams: ['cabin'] });
    const hls = clip.toHls();
    segments = hls.segmentCount;
    sink += hls.mediaPlaylist({ name: 'cabin', query: 'token=x' }).length;
    sink += hls.iframePlaylist({ name: 'cabin', query: 'token=x' }).length;
    hls.release();
    clip.release();
  });
  if (segments !== SECONDS)
    throw new Error(`hls: ${segments} segments for a ${SECONDS} s drive with an IDR per second`);

  const js = await measure(
    ctx,
    'JS media playlist from frames()',
    () => {
      const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:1', '#EXT-X-PLAYLIST-TYPE:VOD'];
      let start = null,
        n = 0;
      for (const f of store.frames({ stream: 'cabin', from, to })) {
        if (f.randomAccess !== 'idr') continue;
        if (start !== null) lines.push(`#EXTINF:${((f.pts - start) / 1e6).toFixed(6)},`, `cabin-${n++}.m4s?token=x`);
        start = f.pts;
      }
      lines.push(`#EXTINF:${((to - start) / 1e6).toFixed(6)},`, `cabin-${n}.m4s?token=x`, '#EXT-X-ENDLIST');
      sink += lines.join('\n').length;
    },
    { slow: true },
  );
  await store.close();
  const ms = (m) => m.mean * 1e3;
  return [
    row({
      name: 'HLS: media + I-frame playlists of a 1-hour drive (clip, layout, text)',
      value: ms(ours),
      unit: 'ms',
      extra: `${fmt((SECONDS * FPS) / 1000)}k frames, ${segments} segments`,
      baseline: 'JS media playlist from frames() (a segment per IDR)',
      baselineValue: ms(js),
      baselineUnit: 'ms',
      ratio: js.mean / ours.mean,
      target: { text: '≤ 5 ms', ok: ms(ours) <= 5 },
      sink,
    }),
  ];
}
