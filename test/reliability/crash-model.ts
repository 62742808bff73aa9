/**
 * The power-loss model of the reliability suite (docs/RELIABILITY.md, "Fault model").
 *
 * Between two durable points — the last completed flush() (or close(), or the synchronous
 * header msync of protect()/open) and the moment power goes — every 4 KiB page written
 * since may, independently, hold any content it had on the way: the durable one, one of
 * the intermediate ones (write-back can happen at any time), or the newest. The harness
 * keeps the durable image, the intermediate snapshots and the current image, and builds
 * crashed images by choosing, page by page, one of those versions (seeded, reproducible).
 *
 * Header slots are written with a synchronous msync, so they are durable when the call
 * returns; a crash *during* such a write is modelled separately by tearing the slot at
 * 512-byte sector granularity (torn header).
 */
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PAGE = 4096;
export const SECTOR = 512;
export const HEADER_BYTES = 8192; // two header slots
export const SLOT = 4096;

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const randInt = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** A scratch directory in RAM when the machine has one (crashed images are written there). */
export function scratchDir(prefix: string): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, prefix));
}

/** For each page changed since `durable`, the distinct versions it took (durable first). */
export interface ChangedPage {
  page: number;
  versions: Buffer[]; // versions[0] is the durable content
}

export function changedPages(durable: Buffer, snapshots: Buffer[], from = HEADER_BYTES): ChangedPage[] {
  const out: ChangedPage[] = [];
  for (let off = from; off < durable.length; off += PAGE) {
    const base = durable.subarray(off, off + PAGE);
    const versions: Buffer[] = [base];
    for (const s of snapshots) {
      const v = s.subarray(off, off + PAGE);
      if (!versions.some((x) => x.equals(v))) versions.push(v);
    }
    if (versions.length > 1) out.push({ page: off / PAGE, versions });
  }
  return out;
}

export type MixPolicy = 'uniform' | 'mostly-old' | 'mostly-new' | 'prefix' | 'newest-or-durable';

/**
 * Builds one crashed image: the current header (synced on every header write), the durable
 * image elsewhere, and each changed page replaced by one of its versions.
 */
export function crashImage(durable: Buffer, current: Buffer, changed: ChangedPage[], r: () => number, policy: MixPolicy): Buffer {
  const img = Buffer.from(durable);
  current.copy(img, 0, 0, HEADER_BYTES);
  const cut = r(); // for 'prefix': pages before this fraction of the changed list are newest
  changed.forEach((c, i) => {
    const n = c.versions.length;
    let pick: number;
    switch (policy) {
      case 'uniform': pick = Math.floor(r() * n); break;
      case 'mostly-old': pick = r() < 0.85 ? 0 : Math.floor(r() * n); break;
      case 'mostly-new': pick = r() < 0.85 ? n - 1 : Math.floor(r() * n); break;
      case 'prefix': pick = i / changed.length < cut ? n - 1 : (r() < 0.2 ? Math.floor(r() * n) : 0); break;
      case 'newest-or-durable': pick = r() < 0.5 ? 0 : n - 1; break;
    }
    c.versions[pick]!.copy(img, c.page * PAGE);
  });
  return img;
}

/**
 * Tears header slot `slot` of `img`: each 512-byte sector is taken from `before` or `after`
 * at random, making sure the result is neither (when they differ in more than one sector).
 * Returns false when the slot could not be torn (identical, or a single differing sector).
 */
export function tearHeaderSlot(img: Buffer, slot: number, before: Buffer, after: Buffer, r: () => number): boolean {
  const base = slot * SLOT;
  const differing: number[] = [];
  for (let s = 0; s < SLOT / SECTOR; s++) {
    const a = before.subarray(base + s * SECTOR, base + (s + 1) * SECTOR);
    const b = after.subarray(base + s * SECTOR, base + (s + 1) * SECTOR);
    if (!a.equals(b)) differing.push(s);
  }
  if (differing.length < 2) return false;
  const newer = new Set<number>();
  for (const s of differing) if (r() < 0.5) newer.add(s);
  if (newer.size === 0) newer.add(differing[0]!);
  if (newer.size === differing.length) newer.delete(differing[differing.length - 1]!);
  for (let s = 0; s < SLOT / SECTOR; s++) {
    const src = newer.has(s) ? after : before;
    src.copy(img, base + s * SECTOR, base + s * SECTOR, base + (s + 1) * SECTOR);
  }
  return true;
}

/** The slot (0 or 1) whose header generation is higher in a file image (valid or not). */
export function newestSlot(img: Buffer): number {
  const g0 = img.readBigUInt64LE(16), g1 = img.readBigUInt64LE(SLOT + 16);
  return g1 > g0 ? 1 : 0;
}
