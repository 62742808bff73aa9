/**
 * Samples in: MP4 samples (length-prefixed NAL units + avcC) and fragmented MP4 streams
 * stored without an Annex B round trip; the capture time crosses to the µs (prft).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidDataError, Mp4Source, SegmentStore, type Frame } from '../lib/index.js';
import { recordInterleaved, T0 } from './helpers/store.js';
import { FIXTURES, fixture, frameHashes, splitAccessUnits, tempDir } from './helpers/tools.js';

const tmp = tempDir('ringclip-samples-');
afterAll(() => tmp.cleanup());
const STREAMS = ['road', 'cabin'];
// Not on the 90 kHz grid: µs that ticks alone cannot carry.
const START = T0 + 123_457;

/** NAL units of an Annex B access unit (start codes dropped). */
function nalUnits(unit: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  const starts: Array<[number, number]> = [];
  while (i + 2 < unit.length) {
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      starts.push([i, i + 3]);
      i += 3;
    } else i++;
  }
  for (let k = 0; k < starts.length; k++) {
    let end = k + 1 < starts.length ? starts[k + 1]![0] : unit.length;
    while (end > starts[k]![1] && unit[end - 1] === 0) end--; // a 4-byte start code's leading zero
    out.push(unit.subarray(starts[k]![1], end));
  }
  return out;
}

function lengthPrefixed(nals: Buffer[]): Buffer {
  return Buffer.concat(
    nals.flatMap((n) => {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(n.length);
      return [h, n];
    }),
  );
}

/** avcC (ISO/IEC 14496-15) built by hand from one SPS and one PPS. */
function avcC(sps: Buffer, pps: Buffer, lengthSize = 4): Buffer {
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    return b;
  };
  return Buffer.concat([
    Buffer.from([1, sps[1]!, sps[2]!, sps[3]!, 0xfc | (lengthSize - 1), 0xe1]),
    u16(sps.length),
    sps,
    Buffer.from([1]),
    u16(pps.length),
    pps,
  ]);
}

/** The fixture's access units as MP4 samples: parameter sets moved to the avcC. */
function asSamples(file: string): { config: Buffer; samples: Buffer[] } {
  const units = splitAccessUnits(fixture(file)).map(nalUnits);
  const sps = units.flat().find((n) => (n[0]! & 0x1f) === 7)!;
  const pps = units.flat().find((n) => (n[0]! & 0x1f) === 8)!;
  return {
    config: avcC(sps, pps),
    samples: units.map((u) => lengthPrefixed(u.filter((n) => ![7, 8].includes(n[0]! & 0x1f)))),
  };
}

function frameList(
  store: SegmentStore,
  stream: string,
): Array<Pick<Frame, 'dts' | 'pts' | 'randomAccess'> & { payload: string }> {
  return [...store.frames({ stream })].map((f) => ({
    dts: f.dts,
    pts: f.pts,
    randomAccess: f.randomAccess,
    payload: Buffer.from(f.payload).toString('base64'),
  }));
}

async function clipHashes(store: SegmentStore, name: string): Promise<string[]> {
  const clip = store.clip({ from: 0, to: Number.MAX_SAFE_INTEGER, streams: ['road'], allowPartial: true });
  const path = join(tmp.dir, name);
  await clip.writeMP4(path);
  clip.release();
  return frameHashes(path, 0);
}

describe('writeSample()', () => {
  it('stores MP4 samples as write() stores the same access units in Annex B', async () => {
    const { config, samples } = asSamples(FIXTURES.road);
    const units = splitAccessUnits(fixture(FIXTURES.road));
    const viaAnnexB = await SegmentStore.create(join(tmp.dir, 'annexb.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: STREAMS,
    });
    const viaSamples = await SegmentStore.create(join(tmp.dir, 'samples.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: STREAMS,
    });
    units.forEach((u, i) => viaAnnexB.write('road', u, { pts: START + Math.round((i * 1e6) / 30) }));
    samples.forEach((s, i) =>
      viaSamples.writeSample('road', s, { pts: START + Math.round((i * 1e6) / 30), avcC: config }),
    );
    expect(frameList(viaSamples, 'road')).toEqual(frameList(viaAnnexB, 'road'));
    expect(frameList(viaSamples, 'road').length).toBe(units.length);
    expect(await clipHashes(viaSamples, 'samples.mp4')).toEqual(await clipHashes(viaAnnexB, 'annexb.mp4'));
    await viaAnnexB.close();
    await viaSamples.close();
  });

  it('refuses bad samples with a clear error and leaves the store as it was', async () => {
    const { config, samples } = asSamples(FIXTURES.road);
    const store = await SegmentStore.create(join(tmp.dir, 'bad.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: STREAMS,
    });
    for (let i = 0; i < 10; i++) store.writeSample('road', samples[i]!, { pts: START + i * 33_333, avcC: config });
    const before = frameList(store, 'road');
    const torn = Buffer.from(samples[10]!);
    torn.writeUInt32BE(torn.length, 0); // the first NAL length runs past the sample
    expect(() => store.writeSample('road', torn, { pts: START + 10 * 33_333, avcC: config })).toThrow(InvalidDataError);
    expect(() => store.writeSample('road', torn, { pts: START + 10 * 33_333, avcC: config })).toThrow(
      /NAL length \d+ at byte 0 runs past/,
    );
    expect(() =>
      store.writeSample('road', samples[10]!, {
        pts: START + 10 * 33_333,
        avcC: avcC(Buffer.from([0x67, 0x64, 0, 0x1f]), Buffer.from([0x68]), 2),
      }),
    ).toThrow(/length size 2 is not supported/);
    expect(() => store.writeSample('road', samples[10]!, { pts: START + 10 * 33_333 } as never)).toThrow(
      InvalidArgumentError,
    );
    expect(() => store.writeSample('road', samples[10]!, { pts: START + 9 * 33_333, avcC: config })).toThrow(
      /go backwards/,
    );
    expect(frameList(store, 'road')).toEqual(before);
    // and it goes on where it was
    expect(store.writeSample('road', samples[10]!, { pts: START + 10 * 33_333, avcC: config })).toBe(true);
    await store.close();
  });
});

describe('createFragmentedWriteStream()', () => {
  async function device(): Promise<SegmentStore> {
    const store = await SegmentStore.create(join(tmp.dir, `device-${Math.random()}.ring`), {
      capacity: '32MiB',
      segmentSize: '2MiB',
      streams: STREAMS,
    });
    recordInterleaved(
      store,
      [
        { stream: 'road', file: FIXTURES.road, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 15 },
      ],
      6,
      START,
    );
    return store;
  }

  it('stores a fragmented clip file: same pictures, key frames at their exact µs', async () => {
    const source = await device();
    const clip = source.clip({ from: START + 1e6, to: START + 5e6 });
    const path = join(tmp.dir, 'clip-frag.mp4');
    await clip.writeMP4(path, { fragmented: true });
    clip.release();
    const phone = await SegmentStore.create(join(tmp.dir, 'phone-a.ring'), {
      capacity: '32MiB',
      segmentSize: '2MiB',
      streams: STREAMS,
    });
    const input = phone.createFragmentedWriteStream();
    // byte-sized and odd chunks: the reader must not care where chunks end
    const bytes = readFileSync(path);
    const chunks: Buffer[] = [];
    for (let at = 0, n = 1; at < bytes.length; at += n, n = (n * 7 + 3) % 9001) chunks.push(bytes.subarray(at, at + n));
    await pipeline(Readable.from(chunks), input);
    expect(input.stats.exactTime).toBe(true);
    for (const stream of STREAMS) {
      const want = [...source.frames({ stream, from: START + 1e6 - 2e6, to: START + 5e6 })];
      const got = [...phone.frames({ stream })];
      expect(got.length).toBeGreaterThan(10);
      const k = want.findIndex((f) => f.pts === got[0]!.pts);
      expect(k, `${stream}: the first frame lands on its source time to the µs`).toBeGreaterThanOrEqual(0);
      got.forEach((f, i) => {
        expect(Math.abs(f.pts - want[k + i]!.pts)).toBeLessThanOrEqual(6); // 90 kHz ticks between
        expect(Buffer.from(f.payload).toString('hex').slice(0, 80), `${stream} frame ${i} of ${got.length}`).toBe(
          Buffer.from(want[k + i]!.payload)
            .toString('hex')
            .slice(0, 80),
        );
        expect(Buffer.from(f.payload).equals(Buffer.from(want[k + i]!.payload))).toBe(true);
      });
      const track = input.stats.tracks.find((t) => t.name === stream)!;
      expect(track).toMatchObject({ stream, stored: got.length, dropped: 0 });
    }
    const back = phone.clip({ from: 0, to: Number.MAX_SAFE_INTEGER, allowPartial: true });
    await back.writeMP4(join(tmp.dir, 'back.mp4'));
    back.release();
    expect(frameHashes(join(tmp.dir, 'back.mp4'), 0)).toEqual(frameHashes(path, 0));
    await phone.close();
    await source.close();
  });

  it('follows a live stream: every fragment (GOP) starts at its device time to the µs, resumed streams skip what is held', async () => {
    const source = await device();
    const phone = await SegmentStore.create(join(tmp.dir, 'phone-b.ring'), {
      capacity: '32MiB',
      segmentSize: '2MiB',
      streams: STREAMS,
    });
    const total = [...source.frames({ stream: 'road' })].length;
    for (let round = 0; round < 2; round++) {
      const live = source.liveMP4({ from: START, streams: ['road'] });
      const input = phone.createFragmentedWriteStream();
      // The live stream never ends: stop once the phone has everything but the open GOP.
      for await (const chunk of live) {
        input.write(chunk);
        if ([...phone.frames({ stream: 'road' })].length >= total - 30) break;
      }
      live.destroy();
      await new Promise<void>((resolve, reject) => input.end((err?: Error | null) => (err ? reject(err) : resolve())));
      if (round === 1) expect(input.stats.tracks[0]!.skipped).toBeGreaterThan(0);
    }
    const want = [...source.frames({ stream: 'road' })];
    const got = [...phone.frames({ stream: 'road' })];
    expect(got.length).toBeGreaterThanOrEqual(total - 30);
    got.forEach((f, i) => {
      expect(f.dts - want[i]!.dts).toBeLessThanOrEqual(6);
      expect(f.dts - want[i]!.dts).toBeGreaterThanOrEqual(-6);
      if (f.randomAccess) expect(f.dts).toBe(want[i]!.dts);
    });
    expect(got[0]!.dts).toBe(START);
    await phone.close();
    await source.close();
  });

  it('refuses what is not a fragmented MP4 stream, keeping what was stored', async () => {
    const phone = await SegmentStore.create(join(tmp.dir, 'phone-c.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: STREAMS,
    });
    const source = await device();
    const clip = source.clip({ from: START, to: START + 3e6 });
    const progressive = join(tmp.dir, 'prog.mp4');
    await clip.writeMP4(progressive);
    clip.release();
    await expect(
      pipeline(Readable.from([readFileSync(progressive)]), phone.createFragmentedWriteStream()),
    ).rejects.toThrow(/mdat that no moof describes/);
    await expect(
      pipeline(Readable.from([fixture(FIXTURES.road)]), phone.createFragmentedWriteStream()),
    ).rejects.toThrow(InvalidDataError);
    // a stream cut inside a fragment: what came before stays, the end is reported
    const fragmented = join(tmp.dir, 'frag2.mp4');
    const c2 = source.clip({ from: START, to: START + 3e6 });
    await c2.writeMP4(fragmented, { fragmented: true });
    c2.release();
    const bytes = readFileSync(fragmented);
    await expect(
      pipeline(Readable.from([bytes.subarray(0, bytes.length - 100)]), phone.createFragmentedWriteStream()),
    ).rejects.toThrow(/ended inside a box/);
    expect([...phone.frames({ stream: 'road' })].length).toBeGreaterThan(0);
    expect(phone.verify().badRecords).toBe(0);
    await phone.close();
    await source.close();
  });
});

describe('capture time in files', () => {
  it('a clip file says when its first frame was captured, to the µs', async () => {
    const store = await SegmentStore.create(join(tmp.dir, 'origin.ring'), {
      capacity: '32MiB',
      segmentSize: '2MiB',
      streams: STREAMS,
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 4, START);
    for (const fragmented of [false, true]) {
      const clip = store.clip({ from: START + 1.5e6, to: START + 3e6, streams: ['road'] });
      const path = join(tmp.dir, `origin-${fragmented}.mp4`);
      await clip.writeMP4(path, { fragmented });
      const start = clip.start!;
      clip.release();
      const src = await Mp4Source.open(path);
      expect(src.origin).toBe(start);
      expect(start % 1000).not.toBe(0); // not whole ms: the prft, not the creation time, said it
      src.close();
    }
    await store.close();
  });
});
