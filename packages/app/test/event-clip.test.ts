import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE, decodeErrors, drive, openApp, scratch, startCloud, startDevice, until } from './helpers.js';

describe('event clips (real device + real cloud)', () => {
  const tmp = scratch();
  let dev: Awaited<ReturnType<typeof startDevice>>;
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  beforeAll(async () => {
    dev = await startDevice(tmp.dir);
    cloud = await startCloud(tmp.dir);
  });
  afterAll(async () => {
    await dev.device.powerOff();
    await cloud.server.close();
    tmp.cleanup();
  });

  it('streams the drive, fetches and acks event clips, uploads them', async () => {
    const app = await openApp(tmp.dir);
    try {
      expect(app.budget().bytes).toBe(24 * 2 ** 20); // 50 % of 48 MiB
      await app.signIn(cloud.url, cloud.token);
      await app.connect(dev.url, CODE);
      await until(() => app.connected, 10_000, 'connected');
      const summary = await dev.device.run(drive(), { speed: 8, duration: '50s' });
      expect(summary.events.map((e) => e.kind)).toEqual(['hard-brake', 'collision']);
      await until(async () => (await app.clips()).filter((c) => c.source === 'event').length === 2, 30_000, 'event clips');
      await app.uploaded(undefined, 30_000);
      // the device released its protections: every event acknowledged
      expect(dev.device.events.every((e) => e.acknowledged && e.protectionId === null)).toBe(true);
      const clips = (await app.clips()).filter((c) => c.source === 'event');
      for (const c of clips) {
        expect(c.local).toBe(true);
        expect(c.uploaded).toBe(true);
        expect(c.cloud?.state).toBe('ready');
        expect(c.cloud?.sha256).toBe(createHash('sha256').update(readFileSync(c.path!)).digest('hex'));
        expect(c.cloud?.tracks.map((t) => t.role).sort()).toEqual(['cabin', 'road']);
        expect(decodeErrors(c.path!)).toBe('');
      }
      // the drive streamed live into the phone's ring: both cameras, one drive
      const drives = app.drives();
      expect(drives.length).toBe(1);
      for (const s of ['road', 'cabin']) {
        const on = drives[0]!.onPhone[s]!;
        const secs = on.reduce((n, x) => n + x.to - x.from, 0) / 1e6;
        expect(secs).toBeGreaterThan(40);
      }
      // a manual clip from the phone's ring decodes
      const d = drives[0]!;
      const m = await app.clip({ from: d.from! + 10e6, to: d.from! + 16e6 });
      expect(m.source).toBe('phone');
      const path = (await app.clips()).find((c) => c.id === m.id)!.path!;
      expect(decodeErrors(path)).toBe('');
      writeFileSync(join(tmp.dir, 'ok'), '1');
    } finally {
      await app.close();
    }
  });
});
