/**
 * PromiseLru: one make per key shared by concurrent callers, a failed make forgotten, bounded
 * by count and by the weight (bytes) of what was made, oldest first, the newest always kept.
 */
import { describe, expect, it } from 'vitest';
import { PromiseLru } from '../src/promise-lru.js';

describe('PromiseLru', () => {
  it('makes a value once per key, forgets a failed make, and keeps at most max entries', async () => {
    const lru = new PromiseLru<string>(2);
    let makes = 0;
    const make = (v: string) => async () => (makes++, v);
    const [a1, a2] = [lru.get('a', make('A')), lru.get('a', make('other'))];
    expect(await a1).toBe('A');
    expect(await a2).toBe('A');
    expect(makes).toBe(1);
    await expect(lru.get('bad', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await lru.get('bad', make('B'))).toBe('B'); // made again
    await lru.get('c', make('C')); // a (oldest) goes
    expect(await lru.get('a', make('A2'))).toBe('A2');
    expect(makes).toBe(4);
  });

  it('evicts the oldest made values past maxWeight, keeps the newest alone, and drop() gives weight back', async () => {
    const lru = new PromiseLru<Buffer>(100, { weight: (b) => b.length, maxWeight: 10 });
    const make = (n: number) => async () => Buffer.alloc(n);
    await lru.get('clip1/a', make(4));
    await lru.get('clip1/b', make(4));
    await lru.get('clip2/c', make(4)); // 12 > 10: a goes
    let made = 0;
    const again = (n: number) => async () => (made++, Buffer.alloc(n));
    await lru.get('clip1/b', again(4));
    await lru.get('clip2/c', again(4));
    expect(made).toBe(0);
    await lru.get('clip1/a', again(4)); // made again; b (oldest now) goes
    expect(made).toBe(1);
    await lru.get('clip1/b', again(4));
    expect(made).toBe(2);
    // A value heavier than the bound on its own stays (the newest), the others go.
    await lru.get('big', again(50));
    await lru.get('big', again(50));
    expect(made).toBe(3);
    // drop() forgets a clip's entries and their weight: two 4-byte values fit again.
    lru.drop('big');
    await lru.get('x', again(4));
    await lru.get('y', again(4));
    await lru.get('x', again(4));
    await lru.get('y', again(4));
    expect(made).toBe(5);
  });
});
