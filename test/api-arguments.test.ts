// Every argument the API refuses, with the message that says what was wrong and what is
// allowed (DESIGN: lib/ validates every argument), and the calls that are no-ops on purpose.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Clip,
  InvalidArgumentError,
  Mp4Source,
  SegmentStore,
  StoreClosedError,
  formatBytes,
  parseDuration,
  parseSize,
} from '../lib/index.js';
import { T0, ingestFixture } from './helpers/store.js';
import { FIXTURES, tempDir } from './helpers/tools.js';

const tmp = tempDir();
let store: SegmentStore;
let n = 0;
const fresh = () => `${tmp.dir}/s${n++}.ring`;
const base = { capacity: '32MiB', segmentSize: '4MiB', streams: ['road'] };
const t = (s: number) => T0 + s * 1e6;

beforeAll(async () => {
  store = await SegmentStore.create(fresh(), base);
  await ingestFixture(store, 'road', FIXTURES.road);
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

// Any refusal is an InvalidArgumentError whose message matches `message`.
function refuses(call: () => unknown, message: RegExp): void {
  let thrown: unknown = null;
  try {
    call();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(InvalidArgumentError);
  expect((thrown as Error).message).toMatch(message);
}
async function rejects(call: () => Promise<unknown>, message: RegExp): Promise<void> {
  await expect(call()).rejects.toThrow(message);
  await call().catch((e: unknown) => expect(e).toBeInstanceOf(InvalidArgumentError));
}

describe('SegmentStore arguments', () => {
  it('create() and open()', async () => {
    await rejects(() => SegmentStore.create('', base), /the store path must be a non-empty string/);
    await rejects(() => SegmentStore.create(fresh(), undefined as never), /create\(\) needs options/);
    await rejects(() => SegmentStore.create(fresh(), { ...base, streams: [] }), /streams/);
    await rejects(() => SegmentStore.create(fresh(), { ...base, protectCap: 0.95 }), /protectCap/);
    await rejects(
      () => SegmentStore.create(fresh(), { ...base, flush: 'sometimes' as never }),
      /flush must be 'none', 'keyframe' or \{ everyMs \}, got "sometimes"/,
    );
    await rejects(
      () => SegmentStore.create(fresh(), { ...base, flush: { everyMs: '2h' } }),
      /flush.everyMs must be from 1 ms to 1 h, got 7200000 ms/,
    );
    await rejects(() => SegmentStore.open(store.path, null as never), /open\(\) options must be an object/);
    await rejects(
      () => SegmentStore.open(store.path, { verify: 'some' as never }),
      /verify must be 'headers' or 'full', got "some"/,
    );
  });

  it('each flush policy is taken: none, keyframe, every N ms (also when reopened with another)', async () => {
    for (const flush of ['none', 'keyframe', { everyMs: '250ms' }] as const) {
      const path = fresh();
      const s = await SegmentStore.create(path, { ...base, flush });
      await ingestFixture(s, 'road', FIXTURES.road);
      expect(s.info().streams[0].frames).toBe(300);
      await s.close();
      const again = await SegmentStore.open(path, { flush: 'keyframe', readOnly: true });
      expect(again.info().streams[0].frames).toBe(300);
      await again.close();
    }
  });

  it('write(), createWriteStream(), protect()', () => {
    refuses(() => store.write('road', new Uint8Array(4), undefined as never), /write\(\) needs \{ pts \}/);
    refuses(
      () => store.createWriteStream('road', { fps: 5000 }),
      /fps must be a number from 0 \(exclusive\) to 1000, got 5000/,
    );
    refuses(() => store.protect(undefined as never), /protect\(\) needs \{ from/);
    refuses(() => store.protect({ from: t(2), to: t(1) }), /protect\(\): 'to' \(\d+\) is before 'from'/);
  });

  it('writeSample(), createFragmentedIngest(), spans(), copyTo(), and an unknown stream', async () => {
    const avcC = new Uint8Array([1, 0x64, 0, 0x28, 0xff, 0xe0, 0]);
    refuses(
      () => store.writeSample('road', 'bytes' as never, { pts: t(20), avcC }),
      /writeSample\(\) takes the sample as a Buffer or Uint8Array/,
    );
    refuses(
      () => store.writeSample('road', new Uint8Array(8), { pts: t(20) } as never),
      /writeSample\(\) needs \{ avcC \}/,
    );
    refuses(() => store.writeSample('road', new Uint8Array(8), { avcC } as never), /writeSample\(\) needs \{ pts \}/);
    refuses(
      () => store.write('road', 'bytes' as never, { pts: t(20) }),
      /write\(\) takes the access unit as a Buffer or Uint8Array/,
    );
    refuses(
      () => store.createFragmentedIngest({ tracks: null as never }),
      /tracks must map track names to stream names/,
    );
    refuses(
      () => store.createFragmentedIngest({ tracks: { video: 'cabin' } }),
      /unknown stream "cabin": this store records 'road'/,
    );
    refuses(() => store.spans('road', { maxGap: 0 }), /maxGap must be above 0, got 0/);
    refuses(() => store.copyTo({} as never), /copyTo\(\) needs a destination SegmentStore/);
    refuses(() => store.copyTo(store), /copyTo\(\): the destination is the store itself/);
    const other = await SegmentStore.create(fresh(), { ...base, streams: ['cabin'] });
    refuses(() => store.copyTo(other), /copyTo\(\): the destination records 'cabin', not 'road'/);
    await other.close();
    const reader = await SegmentStore.open(store.path, { readOnly: true });
    refuses(() => store.copyTo(reader), /copyTo\(\): the destination '.*' was opened read-only/);
    refuses(() => reader.copyTo(store), /copyTo\(\): this store was opened read-only/);
    await reader.close();
  });

  it('create(): stream names and prepareAhead', async () => {
    await rejects(
      () => SegmentStore.create(fresh(), { ...base, streams: ['road camera'] }),
      /stream name "road camera" is not allowed/,
    );
    await rejects(
      () => SegmentStore.create(fresh(), { ...base, prepareAhead: 'always' as never }),
      /prepareAhead must be 'auto', 'discard' or 'off', got "always"/,
    );
  });

  it('clip()', () => {
    refuses(() => store.clip(undefined as never), /clip\(\) needs \{ from, to \}/);
    refuses(() => store.clip({ from: t(2), to: t(2) }), /clip\(\): 'to' must be after 'from'/);
    refuses(() => store.clip({ from: t(0), to: t(2), streams: [] }), /streams must list at least one stream/);
    refuses(() => store.clip({ from: t(0), to: t(2), streams: ['road', 'road'] }), /a stream is listed twice/);
    refuses(
      () => store.clip({ from: t(0), to: t(2), align: 'nearest' as never }),
      /align must be 'keyframe' or 'exact', got "nearest"/,
    );
  });

  it('follow() needs a stream and ends at once when already aborted', async () => {
    await expect(store.follow({ streams: [] }).next()).rejects.toThrow(
      /follow\(\): streams must list at least one stream/,
    );
    const frames = store.follow({ from: t(0), signal: AbortSignal.abort() });
    expect(await frames.next()).toEqual({ done: true, value: undefined });
  });

  it('releasing a protection twice, or after close, and closing twice are no-ops', async () => {
    const s = await SegmentStore.create(fresh(), base);
    await ingestFixture(s, 'road', FIXTURES.road);
    const p = s.protect({ from: t(0), to: t(1) });
    p.release();
    p.release();
    expect(s.protections()).toHaveLength(0);
    const kept = s.protect({ from: t(0), to: t(1) });
    await s.close();
    kept.release();
    await s.close();
    expect(s.closed).toBe(true);
  });
});

describe('Clip and VirtualMP4 arguments', () => {
  let clip: Clip;
  beforeAll(() => {
    clip = store.clip({ from: t(0), to: t(2) });
  });
  afterAll(() => clip.release());

  it('read(), writeTo(), writeMP4(), toVirtualMP4()', async () => {
    const file = clip.toVirtualMP4();
    refuses(() => file.read(-1, 10), /read\(start, end\) needs whole numbers with 0 <= start <= end, got -1, 10/);
    refuses(() => file.read(10, 5), /got 10, 5/);
    refuses(() => void file.writeTo(-3), /writeTo\(\) takes a file path or an open file descriptor/);
    await rejects(() => clip.writeMP4(1.5), /writeMP4\(\) takes a file path or an open file descriptor/);
    refuses(
      () => clip.toVirtualMP4({ format: 'h264', stream: 'cabin' }),
      /the clip has no stream 'cabin': it has road/,
    );
    refuses(() => clip.toVirtualMP4({ format: 'webm' as never }), /format must be 'mp4' or 'h264', got "webm"/);
    expect(clip.toVirtualMP4({ format: 'h264', stream: 'road' }).size).toBeGreaterThan(0);
    file.release();
  });

  it('a released clip refuses to build, and releasing again is a no-op', () => {
    const c = store.clip({ from: t(0), to: t(1) });
    c.release();
    c.release();
    expect(() => c.toVirtualMP4()).toThrow(StoreClosedError);
  });
});

describe('Mp4Source arguments', () => {
  it('open() and clip()', async () => {
    await rejects(() => Mp4Source.open(''), /Mp4Source.open\(\) takes a file path/);
    const mp4 = `${tmp.dir}/source.mp4`;
    const c = store.clip({ from: t(0), to: t(4) });
    await c.writeMP4(mp4);
    c.release();
    const source = await Mp4Source.open(mp4);
    refuses(() => source.clip(undefined as never), /clip\(\) needs \{ from, to \}/);
    refuses(
      () => source.clip({ from: { offset: -1 }, to: { offset: 1 } }),
      /from.offset must be a non-negative number of seconds, got -1/,
    );
    refuses(() => source.clip({ from: { offset: 2 }, to: { offset: 1 } }), /clip\(\): 'to' must be after 'from'/);
    refuses(
      () => source.clip({ from: { offset: 0 }, to: { offset: 1 }, streams: ['cabin'] }),
      /the MP4 has no track 'cabin': it has 'road'/,
    );
    refuses(
      () => source.clip({ from: { offset: 0 }, to: { offset: 1 }, align: 'nearest' as never }),
      /align must be 'keyframe' or 'exact'/,
    );
    source.close();
  });
});

describe('units', () => {
  it('parseSize(): bytes without a unit, and a value of the wrong type', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('1.5KiB')).toBe(1536);
    refuses(() => parseSize({} as never), /size must be a number of bytes or a string like '4GiB', got object/);
  });

  it('parseDuration(): numbers are ms, strings default to ms, anything else is refused', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('500')).toBe(500);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1500us')).toBe(1.5);
    refuses(() => parseDuration(-1), /duration must be a non-negative number of milliseconds, got -1/);
    refuses(() => parseDuration(NaN, 'wait'), /wait must be a non-negative number of milliseconds, got NaN/);
    refuses(() => parseDuration(true as never), /duration 'true' is not a duration/);
  });

  it('formatBytes(): whole bytes, then one decimal up to TiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 5)).toBe('5120.0 TiB');
  });
});
