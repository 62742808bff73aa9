/**
 * Units people write: sizes ('4GiB', '256MiB', 1048576), durations ('10s', '1.5m', 500 ms
 * as a number) and times (a Date, an ISO-8601 string, or microseconds since the epoch).
 */
import { InvalidArgumentError } from './errors.js';

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Bytes from a number or a string such as '4GiB', '512 MiB', '2GB'. */
export function parseSize(value: number | string, what = 'size'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError(
        `${what} must be a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER} or a string like '4GiB', got ${value}`,
      );
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`${what} must be a number of bytes or a string like '4GiB', got ${typeof value}`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = m ? (m[2] || 'b').toLowerCase() : '';
  if (!m || !(unit in SIZE_UNITS)) {
    throw new InvalidArgumentError(
      `${what} '${value}' is not a size: use a number of bytes or a number with a unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)`,
    );
  }
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[unit]!);
  if (!Number.isSafeInteger(bytes))
    throw new InvalidArgumentError(
      `${what} '${value}' is ${bytes} bytes, more than the ${Number.MAX_SAFE_INTEGER} ringclip handles`,
    );
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Milliseconds from a number (ms) or a string such as '10s', '250ms', '1.5m', '2h' ('500' is ms). */
export function parseDuration(value: number | string, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new InvalidArgumentError(`${what} must be a non-negative number of milliseconds, got ${value}`);
    return value;
  }
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|min|h)?\s*$/i.exec(value) : null;
  if (!m)
    throw new InvalidArgumentError(
      `${what} '${String(value)}' is not a duration: use milliseconds or e.g. '250ms', '10s', '1.5m', '2h'`,
    );
  return Number(m[1]) * DURATION_UNITS[(m[2] ?? 'ms').toLowerCase()]!;
}

/** A point in time the API accepts: a Date, an ISO-8601 string, or µs since the epoch. */
export type TimeInput = Date | string | number;

/** The earliest time ringclip holds: the Unix epoch (a clock that was never set reads 1970 or 2000, not earlier). */
export const MIN_TIME_US = 0;
/**
 * The latest time ringclip holds, 2^53 − 1 µs (2255-06-05T23:47:34.740991Z): the largest
 * integer a JS number holds exactly, so every time reaches the native core and comes back
 * unchanged.
 */
export const MAX_TIME_US = Number.MAX_SAFE_INTEGER;

const RANGE = `${MIN_TIME_US} (1970-01-01T00:00:00Z) to ${MAX_TIME_US} µs (2255-06-05T23:47:34.740991Z)`;
const FORMS = 'a Date, an ISO-8601 string with a zone, or a whole number of µs since the epoch';

/** How toMicros() treats numbers. */
export interface TimeRule {
  /**
   * 'round' (default): a fractional number of µs is rounded to the nearest µs (query bounds);
   * 'refuse': it is an error (times that are stored: pts, dts, a write stream's start).
   */
  fractions?: 'round' | 'refuse';
  /**
   * A number may also be negative, down to −(2^53 − 1): for timelines that are not dates
   * (an MP4 without a capture time counts from its first presented frame). Dates and ISO
   * strings are still held to 1970..2255.
   */
  timeline?: boolean;
}

/**
 * Microseconds since the Unix epoch, from MIN_TIME_US to MAX_TIME_US. Anything else (NaN,
 * Infinity, 1e300, 2**53, a date before 1970, a fraction where `rule.fractions` is
 * 'refuse') is an InvalidArgumentError naming `what`, the value and the allowed range.
 */
export function toMicros(value: TimeInput, what = 'time', rule: TimeRule = {}): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms))
      throw new InvalidArgumentError(`${what} is an invalid Date (its time is NaN): use ${FORMS}, from ${RANGE}`);
    return checkDate(what, ms * 1000, value.toISOString());
  }
  if (typeof value === 'number') {
    const min = rule.timeline ? -MAX_TIME_US : MIN_TIME_US;
    if (!Number.isFinite(value)) {
      throw new InvalidArgumentError(
        `${what} must be a finite number of µs since the epoch, got ${value}: times run from ${rangeFrom(min)}`,
      );
    }
    const us = rule.fractions === 'refuse' ? value : Math.round(value);
    if (!Number.isInteger(us)) {
      throw new InvalidArgumentError(
        `${what} ${value} µs is not a whole number of microseconds: stored times are whole µs from ${RANGE}`,
      );
    }
    if (us < min || us > MAX_TIME_US) {
      const hint = us < 0 && us >= -MAX_TIME_US ? ' (times are µs since the epoch; none before 1970)' : '';
      throw new InvalidArgumentError(
        `${what} ${value} µs is outside the times ringclip holds: ${rangeFrom(min)}${hint}`,
      );
    }
    return us + 0; // -0 becomes 0
  }
  if (typeof value === 'string') {
    // ISO-8601 with optional fractional seconds; sub-millisecond digits are kept.
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6})\d*)?(Z|[+-]\d{2}:?\d{2})$/.exec(value.trim());
    const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
    if (!m || Number.isNaN(ms)) {
      throw new InvalidArgumentError(
        `${what} '${value}' is not an ISO-8601 time: use e.g. '2026-11-26T17:46:05.250Z' (with a zone), a Date, or microseconds since the epoch`,
      );
    }
    const frac = m[2] ? Number(m[2].padEnd(6, '0')) : 0;
    return checkDate(what, ms * 1000 + frac, `'${value}'`);
  }
  throw new InvalidArgumentError(`${what} must be ${FORMS}, got ${typeof value}`);
}

function rangeFrom(min: number): string {
  return min === MIN_TIME_US ? RANGE : `${min} to ${MAX_TIME_US} µs`;
}

function checkDate(what: string, us: number, shown: string): number {
  if (us < MIN_TIME_US)
    throw new InvalidArgumentError(`${what} ${shown} is before 1970: times ringclip holds run from ${RANGE}`);
  if (us > MAX_TIME_US)
    throw new InvalidArgumentError(`${what} ${shown} is after the latest time ringclip holds: times run from ${RANGE}`);
  return us;
}

/** ISO-8601 (UTC, microsecond precision when needed) of µs since the epoch. */
export function microsToIso(us: number): string {
  us = Math.round(us);
  const ms = Math.floor(us / 1000);
  const date = new Date(ms);
  // A Date reaches ±8.64e15 ms; beyond it (or NaN) toISOString() throws a bare RangeError.
  if (Number.isNaN(date.getTime()))
    throw new InvalidArgumentError(`microsToIso() takes µs within ±8.64e18 (the range of a Date), got ${us}`);
  const iso = date.toISOString();
  const rest = us - ms * 1000;
  return rest ? iso.replace('Z', `${String(rest).padStart(3, '0')}Z`) : iso;
}

/** '12.3 MiB' */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}
