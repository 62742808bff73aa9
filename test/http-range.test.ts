// rangeResponse(): the one reading of Range / If-Range / If-None-Match / If-Modified-Since
// that the device's Wi-Fi API and the cloud share (each server is also tested end to end).
import { describe, expect, it } from 'vitest';
import { rangeResponse } from '../lib/index.js';

const file = { size: 100, etag: '"v1"', lastModified: Date.UTC(2026, 0, 1, 8, 0, 0, 500) };
const LM = 'Thu, 01 Jan 2026 08:00:00 GMT';
const at = (range: string, extra: Record<string, string> = {}) => rangeResponse({ range, ...extra }, file);

describe('rangeResponse', () => {
  it('serves the whole file with its validators when nothing is asked', () => {
    expect(rangeResponse({}, file)).toEqual({
      status: 200,
      start: 0,
      end: 100,
      headers: { etag: '"v1"', 'last-modified': LM, 'accept-ranges': 'bytes', 'content-length': '100' },
    });
    // an unquoted tag is quoted; no lastModified, no Last-Modified
    expect(rangeResponse({}, { size: 3, etag: 'abc' }).headers).toEqual({
      etag: '"abc"',
      'accept-ranges': 'bytes',
      'content-length': '3',
    });
  });

  it('answers one bytes range, the end clamped to the size', () => {
    expect(at('bytes=0-9')).toMatchObject({
      status: 206,
      start: 0,
      end: 10,
      headers: { 'content-range': 'bytes 0-9/100', 'content-length': '10' },
    });
    expect(at('bytes=90-')).toMatchObject({
      status: 206,
      start: 90,
      end: 100,
      headers: { 'content-range': 'bytes 90-99/100' },
    });
    expect(at('bytes=90-1000')).toMatchObject({ status: 206, start: 90, end: 100 });
    expect(at('bytes=-10')).toMatchObject({ status: 206, start: 90, end: 100 });
    expect(at('bytes=-1000')).toMatchObject({ status: 206, start: 0, end: 100 });
    expect(at('bytes=5-5')).toMatchObject({ status: 206, start: 5, end: 6 });
    expect(at(' Bytes = 3 - 4 ')).toMatchObject({ status: 206, start: 3, end: 5 });
  });

  it('ignores a Range that is not one valid bytes range: the whole file', () => {
    for (const r of ['bytes=5-2', 'bytes=-', 'bytes=0-1,5-6', 'items=0-1', 'bytes=a-b', 'garbage', 'bytes=1.5-2', '']) {
      expect(at(r), r).toMatchObject({ status: 200, start: 0, end: 100 });
    }
  });

  it('refuses a valid range the file cannot satisfy with 416 and its size', () => {
    for (const r of ['bytes=100-', 'bytes=100-200', 'bytes=-0', 'bytes=99999999999999999999-']) {
      expect(at(r), r).toMatchObject({ status: 416, start: 0, end: 0, headers: { 'content-range': 'bytes */100' } });
    }
    expect(rangeResponse({ range: 'bytes=0-' }, { size: 0, etag: '"e"' }).status).toBe(416);
    expect(rangeResponse({ range: 'bytes=-5' }, { size: 0, etag: '"e"' }).status).toBe(416);
  });

  it('honours a range only while If-Range names this version', () => {
    expect(at('bytes=0-9', { 'if-range': '"v1"' }).status).toBe(206);
    expect(at('bytes=0-9', { 'if-range': LM }).status).toBe(206);
    expect(at('bytes=0-9', { 'if-range': '"v0"' }).status).toBe(200);
    expect(at('bytes=0-9', { 'if-range': 'W/"v1"' }).status).toBe(200); // weak tags never match If-Range
    expect(at('bytes=0-9', { 'if-range': 'Thu, 01 Jan 2026 07:59:59 GMT' }).status).toBe(200);
    expect(rangeResponse({ range: 'bytes=0-9', 'if-range': 'W/"w"' }, { size: 100, etag: 'W/"w"' }).status).toBe(200);
    expect(rangeResponse({ range: 'bytes=0-9', 'if-range': LM }, { size: 100, etag: '"v1"' }).status).toBe(200); // no date to match
  });

  it('answers 304 to If-None-Match (weak comparison, lists, *) before any range', () => {
    for (const inm of ['"v1"', 'W/"v1"', '"x", "v1"', '*']) {
      expect(rangeResponse({ 'if-none-match': inm, range: 'bytes=0-1' }, file), inm).toEqual({
        status: 304,
        start: 0,
        end: 0,
        headers: { etag: '"v1"', 'last-modified': LM },
      });
    }
    expect(rangeResponse({ 'if-none-match': '"v0"' }, file).status).toBe(200);
    // If-None-Match wins over If-Modified-Since
    expect(rangeResponse({ 'if-none-match': '"v0"', 'if-modified-since': LM }, file).status).toBe(200);
  });

  it('answers 304 to If-Modified-Since not older than the file (whole seconds)', () => {
    expect(rangeResponse({ 'if-modified-since': LM }, file).status).toBe(304);
    expect(rangeResponse({ 'if-modified-since': 'Thu, 01 Jan 2026 07:59:59 GMT' }, file).status).toBe(200);
    expect(rangeResponse({ 'if-modified-since': 'not a date' }, file).status).toBe(200);
    expect(rangeResponse({ 'if-modified-since': LM }, { size: 1, etag: '"e"' }).status).toBe(200);
  });
});
