/**
 * The cabin microphone: its frames sit on a grid anchored at whole seconds, so the loop's
 * first frame (whose first sample is the click) always starts on a whole second of capture
 * time, and the audio is continuous however it starts and stops. The committed asset is what
 * the script says it is.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CABIN_AUDIO_ASSET, loadAacLoop, Microphone, type AacLoop } from '../src/microphone.js';
import { scratch, T0 } from './helpers.js';

/** A 48 kHz loop of 375 frames (8 s), each frame's bytes its own index. */
const loop48k: AacLoop = {
  config: new Uint8Array([0x11, 0x88]),
  sampleRate: 48_000,
  frames: Array.from({ length: 375 }, (_, i) => new Uint8Array([i & 0xff, i >> 8])),
};
const index = (data: Uint8Array) => data[0]! | (data[1]! << 8);

describe('Microphone', () => {
  it('presents loop frame 0 on a whole second, then a frame every 1024 samples, continuously', () => {
    const mic = new Microphone(loop48k);
    expect(mic.periodUs).toBe(8e6);
    const start = T0 + 3_456_789;
    mic.start(start);
    const frames = Array.from({ length: 1000 }, () => mic.capture());
    expect(frames[0]!.pts).toBeGreaterThanOrEqual(start);
    expect(frames[0]!.pts - start).toBeLessThan(21_334);
    for (let i = 1; i < frames.length; i++) {
      const d = frames[i]!.pts - frames[i - 1]!.pts;
      expect(d === 21_333 || d === 21_334).toBe(true); // 1024 / 48 000 s, rounded to the µs
      expect(index(frames[i]!.data)).toBe((index(frames[i - 1]!.data) + 1) % 375);
    }
    // Every time the loop starts over, the click (its first sample) is on a whole second.
    const firsts = frames.filter((f) => index(f.data) === 0);
    expect(firsts.length).toBeGreaterThan(1);
    for (const f of firsts) expect(f.pts % 1e6).toBe(0);
  });

  it('picks up on the same grid after it was off', () => {
    const a = new Microphone(loop48k),
      b = new Microphone(loop48k);
    a.start(T0);
    const straight = Array.from({ length: 700 }, () => a.capture());
    b.start(T0);
    for (let i = 0; i < 100; i++) b.capture();
    b.start(straight[450]!.pts - 5); // off for a while, on again 5 µs before frame 450's time
    expect(b.capture()).toEqual(straight[450]);
    b.start(straight[451]!.pts); // exactly on a frame's time: that frame
    expect(b.capture()).toEqual(straight[451]);
  });

  it('refuses a loop that is not a whole number of seconds', () => {
    expect(() => new Microphone({ ...loop48k, frames: loop48k.frames.slice(1) })).toThrow(
      /whole number of seconds: 374 frames/,
    );
    expect(() => new Microphone({ ...loop48k, frames: [] })).toThrow(RangeError);
  });

  it('loops the committed asset: AAC-LC, mono, 48 kHz, 8 s', () => {
    const loop = loadAacLoop(CABIN_AUDIO_ASSET);
    expect(loop.sampleRate).toBe(48_000);
    expect(loop.frames).toHaveLength(375);
    // AudioSpecificConfig: object type 2 (AAC-LC), frequency index 3 (48 kHz), 1 channel.
    expect(Buffer.from(loop.config).toString('hex')).toBe('1188');
    expect(new Microphone(loop).periodUs).toBe(8e6);
  });

  it('the committed asset is what scripts/make-cabin-audio.mjs makes (it checks the clicks of the decoded loop)', () => {
    const tmp = scratch();
    try {
      const script = fileURLToPath(new URL('../scripts/make-cabin-audio.mjs', import.meta.url));
      const r = spawnSync(process.execPath, [script, `${tmp.dir}/cabin-audio.aac`], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/375 AAC-LC frames, mono 48000 Hz, 8 s, .* clicks on whole seconds within 0 samples/);
      expect(readFileSync(`${tmp.dir}/cabin-audio.aac`).equals(readFileSync(CABIN_AUDIO_ASSET))).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });
});
