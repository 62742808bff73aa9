import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  MAX_TIME_US,
  MIN_TIME_US,
  microsToIso,
  parseDuration,
  parseSize,
  toMicros,
} from '../lib/index.js';

describe('units', () => {
  it('parses sizes', () => {
    expect(parseSize('4GiB')).toBe(4 * 1024 ** 3);
    expect(parseSize('256 MiB')).toBe(256 * 1024 ** 2);
    expect(parseSize('2GB')).toBe(2e9);
    expect(parseSize(4096)).toBe(4096);
    expect(() => parseSize('4 gigs')).toThrow(InvalidArgumentError);
    expect(() => parseSize(-1)).toThrow(/whole number of bytes/);
  });
  it('parses durations', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });
  it('accepts a Date, an ISO-8601 string or microseconds', () => {
    const us = Date.parse('2026-11-26T17:46:05.250Z') * 1000;
    expect(toMicros(new Date('2026-11-26T17:46:05.250Z'))).toBe(us);
    expect(toMicros('2026-11-26T17:46:05.250Z')).toBe(us);
    expect(toMicros('2026-11-26T18:46:05.250+01:00')).toBe(us);
    expect(toMicros('2026-11-26T17:46:05.250123Z')).toBe(us + 123);
    expect(toMicros(us)).toBe(us);
    expect(() => toMicros('yesterday')).toThrow(/ISO-8601/);
    expect(() => toMicros('2026-11-26T17:46:05')).toThrow(/with a zone/);
    expect(() => toMicros(Number.NaN)).toThrow(InvalidArgumentError);
  });

  it('refuses sizes beyond 2^53 − 1 bytes instead of rounding them', () => {
    expect(() => parseSize('99999999999999999999TiB')).toThrow(/more than the 9007199254740991 ringclip handles/);
    expect(() => parseSize(2 ** 53)).toThrow(/from 0 to 9007199254740991/);
  });
});

describe('toMicros: times ringclip holds', () => {
  const RANGE = '0 (1970-01-01T00:00:00Z) to 9007199254740991 µs (2255-06-05T23:47:34.740991Z)';
  const refused = (value: unknown, shown: string, rule?: Parameters<typeof toMicros>[2], range = RANGE) => {
    let err: unknown;
    try {
      toMicros(value as number, 'pts', rule);
    } catch (e) {
      err = e;
    }
    expect(err, `toMicros(${String(value)})`).toBeInstanceOf(InvalidArgumentError);
    const message = (err as Error).message;
    expect(message).toContain('pts');
    expect(message).toContain(shown);
    expect(message).toContain(range);
  };

  it('holds whole µs from the epoch to 2^53 − 1 (2255-06-05T23:47:34.740991Z)', () => {
    expect(MIN_TIME_US).toBe(0);
    expect(MAX_TIME_US).toBe(Number.MAX_SAFE_INTEGER);
    expect(toMicros(0)).toBe(0);
    expect(Object.is(toMicros(-0), 0)).toBe(true);
    expect(toMicros(MAX_TIME_US)).toBe(MAX_TIME_US);
    expect(toMicros('1970-01-01T00:00:00Z')).toBe(0);
    expect(toMicros('2255-06-05T23:47:34.740991Z')).toBe(MAX_TIME_US);
    expect(toMicros(new Date(0))).toBe(0);
  });

  it('refuses numbers outside the range, naming the value and the range', () => {
    refused(1e300, 'pts 1e+300 µs is outside the times ringclip holds');
    refused(-1e300, 'pts -1e+300 µs is outside');
    refused(2 ** 63, 'pts 9223372036854776000 µs is outside');
    refused(2 ** 53, 'pts 9007199254740992 µs is outside');
    refused(-1, 'pts -1 µs is outside');
    refused(-1, 'none before 1970');
    refused(NaN, 'must be a finite number of µs since the epoch, got NaN');
    refused(Infinity, 'got Infinity');
    refused(-Infinity, 'got -Infinity');
  });

  it('rounds fractions of bounds, and refuses them where a time is stored', () => {
    expect(toMicros(1.5)).toBe(2);
    expect(toMicros(1767225600000000.25)).toBe(1767225600000000);
    refused(1.5, 'pts 1.5 µs is not a whole number of microseconds', { fractions: 'refuse' });
  });

  it('refuses dates before 1970 and after 2255, and invalid Dates', () => {
    refused('1969-12-31T23:59:59Z', "pts '1969-12-31T23:59:59Z' is before 1970");
    refused('1969-12-31T23:59:59.999999Z', 'is before 1970');
    refused(new Date(-1), 'pts 1969-12-31T23:59:59.999Z is before 1970');
    refused(new Date('1900-01-01T00:00:00Z'), '1900-01-01T00:00:00.000Z is before 1970');
    refused('2255-06-05T23:47:34.740992Z', 'is after the latest time ringclip holds');
    refused(new Date(8.64e15), '+275760-09-13T00:00:00.000Z is after');
    refused(new Date(NaN), 'pts is an invalid Date');
    refused('1969-13-45T00:00:00Z', 'is not an ISO-8601 time', undefined, 'or microseconds since the epoch');
  });

  it('microsToIso prints the ends of the range, and refuses what a Date cannot hold', () => {
    expect(microsToIso(MIN_TIME_US)).toBe('1970-01-01T00:00:00.000Z');
    expect(microsToIso(MAX_TIME_US)).toBe('2255-06-05T23:47:34.740991Z');
    expect(microsToIso(-1)).toBe('1969-12-31T23:59:59.999999Z');
    expect(() => microsToIso(1e300)).toThrow(InvalidArgumentError);
    expect(() => microsToIso(NaN)).toThrow(/got NaN/);
  });

  it('a timeline that is not a date (Mp4Source) also takes numbers down to −(2^53 − 1)', () => {
    const timeline = { timeline: true } as const;
    expect(toMicros(-1, 'from', timeline)).toBe(-1);
    expect(toMicros(-MAX_TIME_US, 'from', timeline)).toBe(-MAX_TIME_US);
    refused(-(2 ** 53), 'pts -9007199254740992 µs is outside', timeline, '-9007199254740991 to 9007199254740991 µs');
    refused(-1e300, '-1e+300', timeline, '-9007199254740991 to 9007199254740991 µs');
    refused(new Date(-1), 'is before 1970', timeline); // dates stay dates
  });
});
