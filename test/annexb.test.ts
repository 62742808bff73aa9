// parseAnnexB(): each access unit of a real encoder's stream where it lies, whether it is an
// IDR, and its place in presentation order — checked against ffprobe's own decode of the
// same file (coded_picture_number of each picture in output order) — and bad bytes counted,
// never thrown.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, parseAnnexB } from '../lib/index.js';
import { FIXTURES, fixture, fixturesDir, ffprobePath, run } from './helpers/tools.js';

/** For each picture in decode order, its place in ffprobe's output (presentation) order. */
function ffprobeOrder(file: string): { presentation: number[]; types: string[] } {
  const r = run(ffprobePath, [
    '-v',
    'error',
    '-show_entries',
    'frame=coded_picture_number,pict_type',
    '-of',
    'json',
    `${fixturesDir}/${file}`,
  ]);
  const frames = (JSON.parse(r.stdout) as { frames: Array<{ coded_picture_number: number; pict_type: string }> })
    .frames;
  const presentation: number[] = [];
  const types: string[] = [];
  frames.forEach((f, shown) => {
    presentation[f.coded_picture_number] = shown;
    types[f.coded_picture_number] = f.pict_type;
  });
  return { presentation, types };
}

describe('parseAnnexB()', () => {
  for (const [name, file, depth, idrs] of [
    ['B-frames', FIXTURES.bframes, 2, 5],
    ['open GOP', FIXTURES.opengop, 2, 1],
    ['no B-frames', FIXTURES.road, 0, 10],
    ['four slices a picture, AUDs', FIXTURES.slices, 0, 5],
  ] as const) {
    it(`finds every picture of a real stream (${name}) in decode and presentation order`, () => {
      const bytes = fixture(file);
      const s = parseAnnexB(bytes);
      const probe = ffprobeOrder(file);
      expect(s.units.length).toBe(probe.presentation.length);
      expect(s.units.map((u) => u.presentation)).toEqual(probe.presentation);
      expect(s.units.map((u) => u.decode)).toEqual(s.units.map((_, i) => i));
      expect(s.reorderDepth).toBe(depth);
      expect(s.fps).toBeGreaterThan(0);
      expect(s.rejected).toBe(0);
      // the units tile the stream: each view is the bytes from its start code on
      let at = 0;
      for (const u of s.units) {
        expect(u.data.byteOffset - bytes.byteOffset).toBe(at);
        expect([u.data[0], u.data[1]]).toEqual([0, 0]);
        expect([0, 1]).toContain(u.data[2]);
        at += u.data.length;
      }
      expect(at).toBe(bytes.length);
      // IDR pictures are I pictures, and an open GOP's I pictures are not IDRs
      expect(s.units.filter((u) => u.idr).length).toBe(idrs);
      for (const u of s.units) if (u.idr) expect(probe.types[u.decode]).toBe('I');
      // decoding a unit never comes later than showing it, with the reorder delay
      for (const u of s.units) expect(u.decode - u.presentation).toBeLessThanOrEqual(s.reorderDepth);
    });
  }

  it('counts what does not parse and goes on; takes only bytes', () => {
    const bytes = fixture(FIXTURES.road);
    const first = parseAnnexB(bytes).units;
    // garbage before the stream, a unit's slice cut short in the middle, garbage after
    const cut = first[5]!.data.byteOffset - bytes.byteOffset + 40;
    const broken = Buffer.concat([
      Buffer.from('not h264'),
      bytes.subarray(0, cut),
      bytes.subarray(first[6]!.data.byteOffset - bytes.byteOffset, first[40]!.data.byteOffset - bytes.byteOffset),
      Buffer.from([0, 0, 1, 0xff, 0xff]),
    ]);
    const s = parseAnnexB(broken);
    expect(s.units.length).toBeGreaterThanOrEqual(38);
    expect(s.units[0]!.idr).toBe(true);
    expect(parseAnnexB(Buffer.alloc(0)).units).toEqual([]);
    expect(parseAnnexB(Buffer.from('no start code at all')).units).toEqual([]);
    expect(() => parseAnnexB('abc' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(readFileSync(`${fixturesDir}/${FIXTURES.road}`).equals(bytes)).toBe(true);
  });
});
