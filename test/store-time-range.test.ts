// Times outside what ringclip holds (whole µs since the epoch, 0 to 2^53 − 1) are an
// InvalidArgumentError naming the value and the range, at every place the API takes a
// time, and refusing one leaves the store as it was. The native layer refuses the values
// lib/ would have stopped too (never a cast with undefined behaviour: `npm run test:asan`
// runs this file under UBSan).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../lib/binding.js';
import { InvalidArgumentError, MAX_TIME_US, Mp4Source, ProtectionLimitError, SegmentStore } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, fixture, splitAccessUnits, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = () =>
  SegmentStore.create(`${tmp.dir}/t${n++}.ring`, { capacity: '8MiB', segmentSize: '1MiB', streams: ['road'] });

const STORE_RANGE = '0 (1970-01-01T00:00:00Z) to 9007199254740991 µs (2255-06-05T23:47:34.740991Z)';
const TIMELINE_RANGE = '-9007199254740991 to 9007199254740991 µs';
const SAFE_RANGE = 'a whole number from -9007199254740991 to 9007199254740991';

// Values no time may take, and how the message shows them.
const NEVER: Array<[unknown, string]> = [
  [1e300, '1e+300'],
  [-1e300, '-1e+300'],
  [2 ** 63, '9223372036854776000'],
  [2 ** 53, '9007199254740992'],
  [NaN, 'NaN'],
  [Infinity, 'Infinity'],
  [new Date(NaN), 'invalid Date'],
];
// Dates before 1970 are refused wherever a time is a date.
const BEFORE_1970: Array<[unknown, string]> = [
  [-1, '-1 µs'],
  ['1969-12-31T23:59:59Z', "'1969-12-31T23:59:59Z' is before 1970"],
  [new Date(-1), '1969-12-31T23:59:59.999Z is before 1970'],
];
const AFTER_2255: Array<[unknown, string]> = [['2300-01-01T00:00:00Z', "'2300-01-01T00:00:00Z' is after"]];
const NOT_A_DATE = [...NEVER, ...BEFORE_1970, ...AFTER_2255];

function refusal(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError, but nothing was thrown');
}

function expectRefused(fn: () => unknown, what: string, shown: string, range = STORE_RANGE): void {
  const e = refusal(fn);
  expect(e.message).toContain(what);
  expect(e.message).toContain(shown);
  expect(e.message).toContain(range);
}

function snapshot(store: SegmentStore) {
  return [...store.frames({ stream: 'road' })].map((f) => [f.pts, f.dts, Buffer.from(f.payload).toString('base64')]);
}

const units = splitAccessUnits(fixture(FIXTURES.road));

describe('times outside what a store holds are refused, and the store stays intact', () => {
  let store: SegmentStore;
  let before: ReturnType<typeof snapshot>;
  let next = 60; // the next frame to write (2 s were recorded)
  beforeAll(async () => {
    store = await fresh();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2);
    before = snapshot(store);
  });
  afterAll(() => store.close());

  // Intact: every frame written before reads back the same, and a valid write still goes in.
  function expectIntact(): void {
    expect(snapshot(store).slice(0, before.length)).toEqual(before);
    const pts = T0 + next * 33_333;
    expect(store.write('road', units[next % units.length]!, { pts })).toBe(true);
    next++;
    before = snapshot(store);
    expect(store.verify().ok).toBe(true);
  }

  it('write(): pts and dts', () => {
    const pts = T0 + next * 33_333;
    for (const [v, shown] of [...NOT_A_DATE, [1.5, '1.5 µs is not a whole number'] as [unknown, string]]) {
      expectRefused(() => store.write('road', units[0]!, { pts: v as number }), 'pts', shown);
      expectRefused(() => store.write('road', units[0]!, { pts, dts: v as number }), 'dts', shown);
    }
    expectIntact();
  });

  it('createWriteStream(): start, and the times derived from it and the frame rate', async () => {
    for (const [v, shown] of [...NOT_A_DATE, [1.5, '1.5 µs is not a whole number'] as [unknown, string]]) {
      expectRefused(() => store.createWriteStream('road', { fps: 30, start: v as number }), 'start', shown);
    }
    // A frame rate so low that the second frame lies after 2255: refused when it is reached.
    const slow = store.createWriteStream('road', { fps: 1e-10, start: T0 + 10e6 });
    const e = await pipeline(Readable.from([fixture(FIXTURES.road)]), slow).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(
      /stream 'road': the (decode|presentation) time of frame 1 .* at 1e-10 fps\) is \d+ µs, outside the times ringclip holds/,
    );
    expect((e as Error).message).toContain(STORE_RANGE);
    before = snapshot(store); // the first frame of that stream was stored: a valid time
    next = Math.ceil(((before.at(-1)![0] as number) - T0) / 33_333) + 1;
    expectIntact();
  });

  it('a write stream starting at the epoch with B-frames: decode times before 1970 are refused, not wrapped', async () => {
    const other = await SegmentStore.create(`${tmp.dir}/epoch.ring`, {
      capacity: '8MiB',
      segmentSize: '1MiB',
      streams: ['cam'],
    });
    const w = other.createWriteStream('cam', { fps: 30, start: 0 });
    const e = await pipeline(Readable.from([fixture(FIXTURES.bframes)]), w).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(
      /the decode time of frame 0 \(from the start 1970-01-01T00:00:00Z at 30 fps, \d+ frames of reordering\) is -\d+ µs/,
    );
    expect(other.info().streams[0]!.frames).toBe(0);
    await other.close();
  });

  it('clip(): from and to (query bounds: fractions are rounded)', () => {
    for (const [v, shown] of NOT_A_DATE) {
      expectRefused(() => store.clip({ from: v as number, to: T0 + 1e6 }), 'from', shown);
      expectRefused(() => store.clip({ from: T0, to: v as number }), 'to', shown);
    }
    const c = store.clip({ from: T0 + 0.4, to: T0 + 1e6 + 0.5 });
    expect(c.tracks[0]!.first).toBe(T0);
    c.release();
    const all = store.clip({ from: 0, to: MAX_TIME_US, allowPartial: true });
    expect(all.tracks[0]!.samples).toBeGreaterThanOrEqual(60);
    all.release();
    expectIntact();
  });

  it('protect() up to the last time a store holds: refused by the cap, no overflow of the bytes it would hold', async () => {
    const s = await fresh();
    s.write('road', units[0]!, { pts: T0 });
    s.write('road', units[1]!, { pts: T0 + 1 }); // 1 µs apart: the recorded rate is huge
    expect(() => s.protect({ from: T0, to: MAX_TIME_US })).toThrow(ProtectionLimitError);
    expect(s.protections()).toEqual([]);
    await s.close();
  });

  it('protect(): from and to', () => {
    for (const [v, shown] of NOT_A_DATE) {
      expectRefused(() => store.protect({ from: v as number, to: T0 + 1e6 }), 'from', shown);
      expectRefused(() => store.protect({ from: T0, to: v as number }), 'to', shown);
    }
    expect(store.protections()).toEqual([]);
    const p = store.protect({ from: T0 + 0.5, to: T0 + 1e6 });
    expect([p.from, p.to]).toEqual([T0 + 1, T0 + 1e6]);
    p.release();
    expectIntact();
  });

  it('frames(): from and to; the open ends still reach every frame', () => {
    for (const [v, shown] of NOT_A_DATE) {
      expectRefused(() => [...store.frames({ stream: 'road', from: v as number })], 'from', shown);
      expectRefused(() => [...store.frames({ stream: 'road', to: v as number })], 'to', shown);
    }
    expect([...store.frames({ stream: 'road' })]).toHaveLength(before.length);
    expect([...store.frames({ stream: 'road', from: 0, to: MAX_TIME_US })]).toHaveLength(before.length);
    expect([...store.frames({ stream: 'road', from: T0 - 0.5, to: T0 + 0.5 })].map((f) => f.pts)).toEqual([T0]);
    expectIntact();
  });

  it('follow(): from', async () => {
    for (const [v, shown] of NOT_A_DATE) {
      const e = await store
        .follow({ from: v as number })
        .next()
        .catch((err: unknown) => err);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as Error).message).toContain(shown);
      expect((e as Error).message).toContain(STORE_RANGE);
    }
    expectIntact();
  });

  it('the native layer refuses what lib/ would have refused, without undefined behaviour', async () => {
    const native = store.nativeForLive();
    const au = units[0]!;
    const numbers: Array<[number, string]> = [
      [1e300, '1e+300'],
      [-1e300, '-1e+300'],
      [2 ** 63, '9.223372036854776e+18'],
      [2 ** 53, '9007199254740992'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [1.5, '1.5'],
    ];
    for (const [v, shown] of numbers) {
      for (const [call, what] of [
        [() => native.write(0, au, v, T0, T0), 'pts'],
        [() => native.write(0, au, T0 + 1e9, v, T0), 'dts'],
        [() => native.protect(v, T0), 'from'],
        [() => native.protect(T0, v), 'to'],
        [() => native.clip({ from: v, to: T0, streams: [0], exact: false, allowPartial: false }), 'from'],
        [() => native.clip({ from: T0, to: v, streams: [0], exact: false, allowPartial: false }), 'to'],
        [() => native.listFrames(0, v, T0), 'from'],
        [() => native.listFramesAfter(0, v, 10), 'after dts'],
        [() => native.createIngest(0, 30, v), 'start'],
      ] as Array<[() => unknown, string]>) {
        expectRefused(call, what, `got ${shown}`, SAFE_RANGE);
      }
    }
    // Safe integers the core's own rule refuses: a clip and a write stream before 1970.
    expectRefused(
      () => native.clip({ from: -1, to: T0, streams: [0], exact: false, allowPartial: false }),
      "a clip's 'from'",
      '-1 µs (1969-12-31T23:59:59.999999Z)',
    );
    expectRefused(() => native.createIngest(0, 30, -1), "a write stream's start", '-1 µs');
    expectRefused(() => native.write(0, au, -1, -1, -1), 'pts', '-1 µs');
    expectRefused(() => native.protect(-1, T0), "protect(): 'from'", '-1 µs');
    // Byte offsets of a virtual file: whole numbers from 0 to 2^53 − 1.
    const nativeClip = native.clip({ from: T0, to: T0 + 1e6, streams: [0], exact: false, allowPartial: false });
    const file = nativeClip.build('mp4', {});
    for (const [v, shown] of [
      [-1, '-1'],
      [1.5, '1.5'],
      [2 ** 53, '9007199254740992'],
      [NaN, 'NaN'],
      [1e300, '1e+300'],
    ] as Array<[number, string]>) {
      expectRefused(() => file.read(v, 10), 'start', `got ${shown}`, 'a whole number from 0 to 9007199254740991');
      expectRefused(() => file.read(0, v), 'end', `got ${shown}`, 'a whole number from 0 to 9007199254740991');
    }
    expect(file.read(0, 8).subarray(4, 8).toString()).toBe('ftyp');
    file.release();
    nativeClip.release();
    expectIntact();
  });
});

describe('Mp4Source: times on the file timeline', () => {
  it('cut bounds: any whole µs within ±(2^53 − 1); dates from 1970 to 2255; offsets that stay in range', async () => {
    const store = await fresh();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 3);
    const path = `${tmp.dir}/source.mp4`;
    const whole = store.clip({ from: T0, to: T0 + 3e6 });
    await whole.writeMP4(path);
    whole.release();
    await store.close();
    const src = await Mp4Source.open(path);
    const to = src.start + 1e6;
    for (const [v, shown] of NEVER) {
      const range = v instanceof Date ? STORE_RANGE : TIMELINE_RANGE;
      expectRefused(() => src.clip({ from: v as number, to }), 'from', shown, range);
      expectRefused(() => src.clip({ from: src.start, to: v as number }), 'to', shown, range);
    }
    for (const [v, shown] of [...BEFORE_1970.slice(1), ...AFTER_2255])
      expectRefused(() => src.clip({ from: v as string, to }), 'from', shown);
    expectRefused(() => src.clip({ from: { offset: 1e300 }, to }), 'from (start', '1e+306 µs', TIMELINE_RANGE);
    expectRefused(
      () => src.clip({ from: src.start, to: { offset: 1e10 } }),
      'to (start',
      'µs is outside',
      TIMELINE_RANGE,
    );
    // A negative bound is a time on a timeline that may start before 0 (edit lists):
    // allowed, and here it simply starts before the footage.
    const partial = src.clip({ from: -1, to, allowPartial: true });
    expect(partial.partial).toBe(true);
    partial.release();
    const exact = src.clip({ from: src.start + 0.4, to });
    expect(exact.tracks[0]!.samples).toBe(30);
    exact.release();
    src.close();
  });
});
