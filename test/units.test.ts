import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, parseDuration, parseSize, toMicros } from '../lib/index.js';

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
});
