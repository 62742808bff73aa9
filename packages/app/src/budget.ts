/**
 * The phone's storage model: a simulated phone of `total` bytes; the app's budget is a
 * share of it (default 50 %) or a fixed size. Inside the budget the ring (drives streamed
 * from the device) is sized to the budget minus a reserve for clips and gap-fill files.
 */
import { parseSize } from 'ringclip';

export const DEFAULT_SHARE = 0.5;
/** share of the budget kept outside the ring for clips and gap-fill footage */
export const DEFAULT_CLIP_RESERVE = 0.25;

export type BudgetSetting = { share: number } | { bytes: number };

/** '40%', 0.4, '2GiB' or a byte count (≥ 1 is bytes, below 1 a share). */
export function parseBudget(v: string | number): BudgetSetting {
  if (typeof v === 'string' && /%\s*$/.test(v)) {
    const n = Number(v.replace(/%\s*$/, ''));
    if (!(n > 0 && n <= 100)) throw new RangeError(`a budget share is from 0 % (exclusive) to 100 %, got ${v}`);
    return { share: n / 100 };
  }
  if (typeof v === 'number' && v > 0 && v <= 1) return { share: v };
  const bytes = parseSize(v, 'budget');
  if (bytes <= 0) throw new RangeError('the budget must be above 0');
  return { bytes };
}

export function budgetBytes(total: number, s: BudgetSetting): number {
  return 'share' in s ? Math.floor(total * s.share) : Math.min(total, s.bytes);
}

export function segmentSizeFor(budget: number): number {
  if (budget < 64 * 2 ** 20) return 2 ** 20;
  if (budget < 1024 * 2 ** 20) return 4 * 2 ** 20;
  return 8 * 2 ** 20;
}

/** the store file's header (docs/API.md: 64 KiB plus whole segments) */
export const STORE_HEADER = 64 * 1024;

/** Smallest ring the app runs with: 4 segments. */
export const MIN_SEGMENTS = 4;

/** The ring's capacity for a budget (whole segments). */
export function ringCapacity(
  budget: number,
  reserve = DEFAULT_CLIP_RESERVE,
  segmentSize = segmentSizeFor(budget),
): number {
  const segs = Math.max(MIN_SEGMENTS, Math.floor((budget * (1 - reserve) - STORE_HEADER) / segmentSize));
  return STORE_HEADER + segs * segmentSize;
}
