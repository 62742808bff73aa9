/**
 * Internal memory: the device's ringclip SegmentStore (memory.ring in the data
 * directory). Power-on opens it — recovering whatever a power cut left and starting a
 * new drive — or creates it, preallocated, on the first power-on.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSize, SegmentStore, type CreateOptions, type RecoveryReport } from 'ringclip';

export interface MemoryOptions {
  /** the store's size, fixed when it is created (default '2GiB') */
  capacity?: number | string;
  /** default: 1/32 of the capacity as a power of two, from 1 MiB to 8 MiB */
  segmentSize?: number | string;
  /** the share of the memory event footage may hold (default 0.3) */
  protectCap?: number;
}

export const MEMORY_FILE = 'memory.ring';

export function defaultSegmentSize(capacity: number): number {
  const want = 2 ** Math.floor(Math.log2(Math.max(1, capacity / 32)));
  return Math.min(8 * 2 ** 20, Math.max(2 ** 20, want));
}

/** The streams internal memory records: camera names, and the microphone's and telemetry's streams with their kinds. */
export type MemoryStreams = CreateOptions['streams'];

export async function openMemory(
  dir: string,
  streams: MemoryStreams,
  options: MemoryOptions = {},
): Promise<{ store: SegmentStore; created: boolean; recovery: RecoveryReport | null }> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, MEMORY_FILE);
  if (existsSync(path)) {
    const store = await SegmentStore.open(path);
    const missing = streams.map((s) => (typeof s === 'string' ? s : s.name)).filter((s) => !store.streams.includes(s));
    if (missing.length) {
      await store.close();
      throw new Error(
        `internal memory ${path} records ${store.streams.join(', ')}, not ${missing.join(', ')}: use another data directory`,
      );
    }
    return { store, created: false, recovery: store.recovery };
  }
  const capacity = parseSize(options.capacity ?? '2GiB', 'memory');
  const store = await SegmentStore.create(path, {
    capacity,
    segmentSize: options.segmentSize ?? defaultSegmentSize(capacity),
    streams,
    protectCap: options.protectCap ?? 0.3,
  });
  return { store, created: true, recovery: null };
}
