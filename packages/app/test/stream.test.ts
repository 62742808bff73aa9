/** The Stream button: streaming to the phone starts by itself or on stream(), pauses, and says why. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamState } from '../src/index.js';
import { CODE, cruise, openApp, scratch, startDevice, until } from './helpers.js';

describe('the Stream button (real device)', () => {
  const tmp = scratch();
  let dev: Awaited<ReturnType<typeof startDevice>>;
  beforeAll(async () => {
    dev = await startDevice(tmp.dir);
  });
  afterAll(async () => {
    await dev.device.powerOff();
    tmp.cleanup();
  });

  it('auto-stream off: the link comes up paused; stream() starts the live stream, pauseStream() stops it while events go on', async () => {
    const app = await openApp(tmp.dir, { autoStream: false, autoFillGaps: false });
    const states: StreamState[] = [];
    app.on('stream-state', (s) => states.push(s));
    const frames = () => [...app.ring!.frames({ stream: 'road' })].length;
    try {
      expect(app.autoStream).toBe(false);
      expect(app.streamState.state).toBe('off');
      await app.connect(dev.url, CODE);
      expect(app.connected).toBe(true);
      expect(app.streamState).toEqual({ state: 'paused', why: expect.stringMatching(/auto-stream is off/) });
      await dev.device.run(cruise(3), { speed: 8 });
      expect(frames()).toBe(0); // nothing streams until the button is pressed
      app.stream();
      await until(() => app.streamState.state === 'streaming', 10_000, 'streaming');
      await dev.device.run(cruise(4), { speed: 8 });
      await until(() => frames() > 60, 10_000, 'live frames');
      await app.pauseStream();
      expect(app.streamState).toEqual({ state: 'paused', why: 'paused by the user' });
      const paused = frames();
      // Paused: no video, but the link still carries events (a clip button press on the device).
      dev.device.manualClip(2);
      await dev.device.run(cruise(3), { speed: 8 });
      await until(
        async () => (await app.clips()).some((c) => c.source === 'event'),
        15_000,
        'the event clip while paused',
      );
      expect(frames()).toBe(paused);
      expect(states.map((s) => s.state)).toEqual(['paused', 'connecting', 'streaming', 'paused']);
      await app.disconnect();
      expect(app.streamState.state).toBe('off');
      // The setting is kept.
      app.setAutoStream(true);
      expect(app.autoStream).toBe(true);
    } finally {
      await app.close();
    }
  });
});
