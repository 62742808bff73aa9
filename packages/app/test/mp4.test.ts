import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SegmentStore } from 'ringclip';
import { recordInterleaved, T0 } from '../../../test/helpers/store.js';
import { decodeErrors, FIXTURES, frameHashes, tempDir } from '../../../test/helpers/tools.js';
import { FragmentedMp4Reader, readMp4, toAnnexB } from '../src/mp4.js';

describe('mp4 reader', () => {
  it('reads progressive and fragmented clips back to the store times and bytes', async () => {
    const tmp = tempDir('ringclip-app-mp4-');
    try {
      const store = await SegmentStore.create(join(tmp.dir, 'a.ring'), { capacity: '32MiB', segmentSize: '2MiB', streams: ['road', 'cabin'] });
      recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }, { stream: 'cabin', file: FIXTURES.cabin, fps: 15 }], 4);
      const want = new Map<string, number[]>();
      for (const s of ['road', 'cabin']) want.set(s, [...store.frames({ stream: s })].map((f) => f.pts));
      for (const fragmented of [false, true]) {
        const clip = store.clip({ from: T0 + 1e6, to: T0 + 3e6 });
        const path = join(tmp.dir, `c${fragmented}.mp4`);
        await clip.writeMP4(path, { fragmented });
        const start = clip.start!;
        clip.release();
        const buf = readFileSync(path);
        const { samples } = fragmented
          ? { samples: new FragmentedMp4Reader({ origin: start }).push(buf) }
          : readMp4(buf, { origin: start });
        for (const s of ['road', 'cabin']) {
          const got = samples.filter((x) => x.track.name === s).map((x) => x.pts);
          expect(got.length).toBeGreaterThan(10);
          const all = want.get(s)!;
          const k = all.findIndex((p) => Math.abs(p - got[0]!) < 20);
          expect(k).toBeGreaterThanOrEqual(0);
          got.forEach((p, i) => expect(Math.abs(p - all[k + i]!)).toBeLessThan(20));
        }
        // write back into a new store: same pictures
        const copy = await SegmentStore.create(join(tmp.dir, `copy${fragmented}.ring`), { capacity: '32MiB', segmentSize: '2MiB', streams: ['road', 'cabin'] });
        for (const s of samples) copy.write(s.track.name, toAnnexB(s), { pts: s.pts, dts: s.dts });
        const c2 = copy.clip({ from: T0, to: T0 + 10e6, allowPartial: true });
        await c2.writeMP4(join(tmp.dir, `back${fragmented}.mp4`));
        c2.release();
        await copy.close();
        expect(decodeErrors(join(tmp.dir, `back${fragmented}.mp4`))).toBe('');
        expect(frameHashes(join(tmp.dir, `back${fragmented}.mp4`), 0)).toEqual(frameHashes(path, 0));
      }
      await store.close();
    } finally {
      tmp.cleanup();
    }
  });
});
