import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudClient } from '../src/index.js';
import { cruise, CODE, decodeErrors, drive, openApp, scratch, startCloud, startDevice, until } from './helpers.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('budget, loop recording and deletion rules (real device + real cloud)', () => {
  const tmp = scratch();
  let dev: Awaited<ReturnType<typeof startDevice>>;
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  let api: CloudClient;
  beforeAll(async () => {
    dev = await startDevice(tmp.dir);
    cloud = await startCloud(tmp.dir);
    api = new CloudClient(cloud.url, cloud.token);
  });
  afterAll(async () => {
    await dev.device.powerOff();
    await cloud.server.close();
    tmp.cleanup();
  });

  it('loop-records old drives away on the phone, never an un-uploaded clip; overwrite never touches the cloud', async () => {
    const dataDir = join(tmp.dir, 'phone-loop');
    const app = await openApp(tmp.dir, { dataDir, phoneStorage: '24MiB', network: 'offline' });
    const overwrites: unknown[] = [];
    const evicted: Array<{ what: string; id: string }> = [];
    app.on('overwrite', (e) => overwrites.push(e));
    app.on('evicted', (e) => evicted.push(e));
    app.on('error', () => {});
    const full: unknown[] = [];
    app.on('storage-full', (e) => full.push(e));
    try {
      expect(app.budget().bytes).toBe(12 * 2 ** 20); // default: 50 % of the phone
      await app.signIn(cloud.url, cloud.token).catch(() => {}); // offline: sign-in is checked online
      app.setNetwork('wifi');
      await app.signIn(cloud.url, cloud.token);
      app.setNetwork('offline'); // clips stay un-uploaded
      await app.connect(dev.url, CODE);
      await until(() => app.connected, 10_000, 'connected');
      const first = await dev.device.run(drive(), { speed: 10, duration: '45s' });
      await until(
        async () => (await app.clips()).filter((c) => c.source === 'event').length === first.events.length,
        20_000,
        'event clips',
      );
      const eventClips = (await app.clips()).filter((c) => c.source === 'event');
      expect(eventClips.length).toBe(2);
      // keep driving until the phone's ring has wrapped
      for (let i = 0; i < 6 && overwrites.length === 0; i++) {
        await dev.device.run(cruise(40), { speed: 12 });
      }
      await until(() => overwrites.length > 0, 10_000, 'phone ring wraps');
      const d = app.drives();
      const oldest = Math.min(...d.map((x) => x.onPhone.road![0]?.from ?? Infinity));
      expect(oldest).toBeGreaterThan(first.from + 5e6); // the start of the drive is gone from the phone
      // ...but the event clips (not uploaded) are all still there
      for (const c of eventClips) expect(existsSync(c.path!)).toBe(true);
      // un-uploaded clips beyond the clip reserve are kept even past the budget: the app says so
      if (app.budget().used > app.budget().bytes) expect(full.length).toBeGreaterThan(0);
      // back online: they upload
      app.setNetwork('wifi');
      await app.uploaded(undefined, 30_000);
      for (const c of eventClips) expect((await api.get(c.id))?.state).toBe('ready');
      // shrinking the budget evicts uploaded clips from the phone and drops old drive footage; the cloud keeps the clips
      const before = app.ring!.info().capacity;
      const b = await app.setBudget('20%');
      expect(b.bytes).toBe(Math.floor(24 * 2 ** 20 * 0.2));
      // The ring shrinks while the drive still streams in; the migration loses the oldest
      // footage, and its overwrite events reach the app (re-emitting them once looped forever).
      expect(app.ring!.info().capacity).toBeLessThan(before);
      expect(b.used).toBeLessThanOrEqual(b.bytes + 4 * 2 ** 20 + 65536); // the ring never goes below 4 segments
      const after = await app.clips();
      for (const c of eventClips) {
        const v = after.find((x) => x.id === c.id)!;
        expect(v.local).toBe(false);
        expect(v.cloud?.state).toBe('ready');
        expect(existsSync(c.path!)).toBe(false);
      }
      expect(evicted.some((e) => e.what === 'clip')).toBe(true);
      // the newest footage survived the migration and still decodes
      const last = app.drives().at(-1)!;
      const end = last.onPhone.road!.at(-1)!.to;
      const m = await app.clip({ from: end - 4e6, to: end - 1e6 });
      const mp = (await app.clips()).find((x) => x.id === m.id)!.path!;
      expect(decodeErrors(mp)).toBe('');
    } finally {
      await app.close();
    }
  });

  it('resumes an interrupted upload without a duplicate; delete removes the cloud copy; uninstall + reinstall lists the cloud clips', async () => {
    const dataDir = join(tmp.dir, 'phone-upload');
    let app = await openApp(tmp.dir, {
      dataDir,
      network: 'offline',
      upload: { chunkSize: 16 * 1024, backoffMs: 100, maxBackoffMs: 500 },
    });
    await app.connect(dev.url, CODE);
    await until(() => app.connected, 10_000, 'connected');
    await dev.device.run(cruise(12), { speed: 10 });
    await app.refreshDeviceDrives();
    const d = app.drives().at(-1)!;
    const clip = await app.clip({ from: d.to! - 9e6, to: d.to! - 3e6, fromDevice: true });
    const path = (await app.clips()).find((c) => c.id === clip.id)!.path!;
    expect(clip.bytes).toBeGreaterThan(5 * 16 * 1024);
    // online, signed in: interrupt (close the app) after some chunks
    app.setNetwork('wifi');
    const partial = new Promise<number>((resolve) =>
      app.on('transfer', (e) => {
        if (e.kind === 'upload' && e.done >= 3 * 16 * 1024 && e.done < e.total!) resolve(e.done);
      }),
    );
    await app.signIn(cloud.url, cloud.token);
    await partial;
    await app.close();
    const mid = await api.offset(clip.id);
    expect(mid?.state).toBe('uploading');
    expect(mid!.offset).toBeGreaterThan(0);
    expect(mid!.offset).toBeLessThan(clip.bytes);
    // reopen: the queue survived and resumes from the server's offset
    app = await openApp(tmp.dir, { dataDir });
    const sent: number[] = [];
    app.on('transfer', (e) => {
      if (e.kind === 'upload') sent.push(e.done);
    });
    await app.uploaded(clip.id, 30_000);
    expect(sent[0]).toBe(mid!.offset);
    const listed = (await api.list()).filter((c) => c.id === clip.id);
    expect(listed.length).toBe(1);
    expect(listed[0]!.sha256).toBe(sha(path));
    // a second clip, uploaded, then deleted manually: gone from the phone and the cloud
    const doomed = await app.clip({ from: d.to! - 6e6, to: d.to! - 4e6 });
    await app.uploaded(doomed.id, 30_000);
    expect((await api.get(doomed.id))?.state).toBe('ready');
    const doomedPath = (await app.clips()).find((c) => c.id === doomed.id)!.path!;
    await app.delete(doomed.id);
    expect(existsSync(doomedPath)).toBe(false);
    expect(await api.get(doomed.id)).toBeNull();
    expect((await app.clips()).some((c) => c.id === doomed.id)).toBe(false);
    // uninstall: every local video goes; the cloud keeps the clips
    await app.uninstall();
    expect(existsSync(dataDir)).toBe(false);
    expect((await api.get(clip.id))?.state).toBe('ready');
    // reinstall + sign in: the cloud clips are listed and playable
    app = await openApp(tmp.dir, { dataDir });
    try {
      expect(await app.clips()).toEqual([]);
      await app.signIn(cloud.url, cloud.token);
      const again = await app.clips();
      const v = again.find((c) => c.id === clip.id)!;
      expect(v).toBeDefined();
      expect(v.local).toBe(false);
      expect(v.source).toBe('cloud');
      expect(again.some((c) => c.id === doomed.id)).toBe(false);
      const url = await app.playUrl(clip.id);
      expect(url).toMatch(/^http/);
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      const file = join(tmp.dir, 'played.mp4');
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      expect(sha(file)).toBe(sha256Of(listed[0]!.sha256!));
      expect(decodeErrors(file)).toBe('');
    } finally {
      await app.close();
    }
  });
});

const sha256Of = (s: string) => s;
