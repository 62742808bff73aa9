// The pure-JS baseline muxer: mediabunny (TypeScript MP4 writer, no native code), fed the
// same samples ringclip writes, read from the store with store.frames().
import {
  BufferTarget,
  EncodedPacket,
  EncodedVideoPacketSource,
  Mp4OutputFormat,
  Output,
  StreamTarget,
} from 'mediabunny';
import { CABIN, ROAD, avcC, codecString } from './common.js';

const FILES = { road: ROAD, cabin: CABIN };
const SIZES = { road: [1920, 1080], cabin: [1280, 720] };

/**
 * The samples of each of the clip's tracks (copied out of the store, so they outlive the
 * iteration): exactly what the clip holds, from each track's first frame to `to`.
 */
export function collectSamples(store, clip, to) {
  return clip.tracks.map((t) => {
    const samples = [];
    for (const f of store.frames({ stream: t.name, from: t.first, to })) {
      samples.push({ data: Buffer.from(f.payload), pts: f.pts, dts: f.dts, key: f.randomAccess !== null });
    }
    if (samples.length !== t.samples)
      throw new Error(`jsmux: ${t.name}: ${samples.length} samples read, the clip has ${t.samples}`);
    return { name: t.name, samples };
  });
}

/**
 * Muxes the tracks into a progressive MP4. target 'buffer': moov first (fastStart
 * 'in-memory'), returns the file as a Buffer. target 'discard': moov at the end, every write
 * dropped (the cheapest mediabunny can be: no file assembled).
 */
export async function muxWithMediabunny(tracks, target = 'buffer') {
  let bytes = 0;
  const out =
    target === 'buffer'
      ? new BufferTarget()
      : new StreamTarget(
          new WritableStream({
            write(chunk) {
              bytes += chunk.data.byteLength;
            },
          }),
        );
  const output = new Output({
    format: new Mp4OutputFormat({ fastStart: target === 'buffer' ? 'in-memory' : false }),
    target: out,
  });
  const start = Math.min(...tracks.map((t) => t.samples[0].pts));
  const sources = tracks.map((t) => {
    const source = new EncodedVideoPacketSource('avc');
    output.addVideoTrack(source, { name: t.name });
    const [w, h] = SIZES[t.name];
    return {
      source,
      t,
      next: 0,
      meta: {
        decoderConfig: {
          codec: codecString(FILES[t.name]),
          codedWidth: w,
          codedHeight: h,
          description: avcC(FILES[t.name]),
        },
      },
    };
  });
  await output.start();
  // Interleaved by decode time, as a live muxer would receive them.
  for (;;) {
    let best = null;
    for (const s of sources)
      if (s.next < s.t.samples.length && (!best || s.t.samples[s.next].dts < best.t.samples[best.next].dts)) best = s;
    if (!best) break;
    const x = best.t.samples[best.next];
    const packet = new EncodedPacket(x.data, x.key ? 'key' : 'delta', (x.pts - start) / 1e6, 1 / 30, best.next);
    await best.source.add(packet, best.next === 0 ? best.meta : undefined);
    best.next++;
  }
  await output.finalize();
  return target === 'buffer' ? Buffer.from(out.buffer) : bytes;
}
