// The errors of the engine: each code of the core has its own class in lib/ (no silent
// fallback to a plain Error), and an error of work done off the JS thread carries the stack
// of the call that asked for it.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RingclipError, SegmentStore, StoreIoError } from '../lib/index.js';
import { errorClassesByCode } from '../lib/errors.js';
import { FIXTURES, fixture, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('error codes', () => {
  const source = (file: string) => readFileSync(new URL(`../native/core/util/${file}`, import.meta.url), 'utf8');

  it('every ErrorCode of the core has a name, and every name a class of lib/ with that code', () => {
    const enumBody = /enum class ErrorCode \{([^}]*)\}/.exec(source('error.h'))![1];
    const members = [...enumBody.matchAll(/^\s*(\w+),/gm)].map((m) => m[1]);
    const names = new Map(
      [...source('error.cpp').matchAll(/case ErrorCode::(\w+):\s*return "(\w+)";/g)].map((m) => [m[1], m[2]]),
    );
    expect(members.length).toBeGreaterThan(5);
    expect([...names.keys()].sort()).toEqual([...members].sort());
    expect([...names.values()].sort()).toEqual(Object.keys(errorClassesByCode).sort());
  });

  it('each class is a RingclipError named after itself, with its own code', () => {
    for (const [code, ErrorClass] of Object.entries(errorClassesByCode)) {
      const e = new ErrorClass('message');
      expect(e).toBeInstanceOf(RingclipError);
      expect(e.code).toBe(code);
      expect(e.name).toBe(ErrorClass.name);
    }
    expect(new Set(Object.values(errorClassesByCode)).size).toBe(Object.keys(errorClassesByCode).length);
  });
});

describe('async native errors', () => {
  async function clipOfFixture() {
    const store = await SegmentStore.create(`${tmp.dir}/stack.ring`, {
      capacity: '32MiB',
      segmentSize: '4MiB',
      streams: ['road'],
    });
    const w = store.createWriteStream('road', { start: '2026-01-01T00:00:00Z' });
    w.end(fixture(FIXTURES.road));
    await new Promise((resolve) => w.on('finish', resolve));
    return { store, clip: store.clip({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:02Z' }) };
  }

  it("carry the caller's stack: writeMP4() and VirtualMP4.writeTo() into a missing folder", async () => {
    const { store, clip } = await clipOfFixture();
    const target = `${tmp.dir}/missing/clip.mp4`;
    async function saveClipForTheUser() {
      return clip.writeMP4(target);
    }
    async function writeVirtualFileForTheUser() {
      return clip.toVirtualMP4().writeTo(target);
    }
    for (const [call, name] of [
      [saveClipForTheUser, 'saveClipForTheUser'],
      [writeVirtualFileForTheUser, 'writeVirtualFileForTheUser'],
    ] as const) {
      const err = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreIoError);
      const stack = (err as Error).stack!;
      expect(stack).toMatch(/^StoreIoError: cannot write '.*missing\/clip\.mp4': No such file or directory\n/);
      expect(stack).toContain(`at ${name} (`);
      expect(stack).toContain('errors.test.ts');
    }
    clip.release();
    await store.close();
  });
});
