/**
 * +Connectivity: a dashcam that uploads its event clips by itself, with the app's resumable
 * upload queue. Each clip ends up in the cloud exactly once, whether the phone is away
 * (it connects later and finds them there), in the car at the same time (it fetches the same
 * clip under the same cloud id), or takes over when the month's cellular data runs out.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Connectivity, type Dashcam } from '../../device/src/index.js';
import type { Server } from '../../cloud/src/server.js';
import type { PhoneApp } from '../src/index.js';
import { CloudClient } from '../src/index.js';
import { CODE, cruise, decodeErrors, drive, openApp, scratch, startCloud, startDevice, until } from './helpers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// Retries are the protocol at work (e.g. the phone and the dashcam appending to one upload at
// once: the cloud answers 409 to the one that lost the race, which asks again); these are not.
const permanent = (e: string) => !/retry in \d+ ms/.test(e);

describe('a dashcam with +Connectivity', () => {
  let tmp: ReturnType<typeof scratch>;
  let cloud: Server;
  let device: Dashcam;
  let uplink: Connectivity | null = null;
  let app: PhoneApp | null = null;
  afterEach(async () => {
    await app?.close();
    await uplink?.stop();
    await device?.powerOff();
    await cloud?.close();
    tmp?.cleanup();
    app = uplink = null;
  });

  async function setup(monthlyBudget = '1GiB', chunkSize = 256 * 1024) {
    tmp = scratch('ringclip-uplink-');
    const c = await startCloud(tmp.dir);
    cloud = c.server;
    ({ device } = await startDevice(tmp.dir));
    uplink = new Connectivity(device, { cloudUrl: c.url, token: c.token, monthlyBudget, chunkSize, backoffMs: 50 });
    const errors: string[] = [];
    uplink.on('error', (e) => errors.push(e.message));
    uplink.start();
    return { ...c, errors, client: new CloudClient(c.url, c.token) };
  }

  it('uploads its event clips with no phone; the phone connects later, sees them in the cloud and uploads none again', async () => {
    const { url, token, errors, client } = await setup();
    const uploaded: string[] = [];
    uplink!.on('uploaded', (u) => uploaded.push(u.clip));
    await device.run(drive('hard-brake-collision'), { speed: 50 });
    await uplink!.drained(60_000);
    const events = device.events;
    expect(events.map((e) => e.kind)).toEqual(['hard-brake', 'collision']);
    // the device acknowledged them itself: the cloud keeps them, the protection is released
    expect(events.every((e) => e.acknowledged && e.protectionId === null && uploaded.includes(e.cloudClip!))).toBe(
      true,
    );
    const inCloud = await client.list();
    expect(inCloud.map((c) => c.id).sort()).toEqual([...uploaded].sort());
    expect(inCloud.map((c) => c.kind).sort()).toEqual(['collision', 'hard-brake']);
    // the same metadata the phone would send: the event time and where it sits in the clip
    const collision = inCloud.find((c) => c.kind === 'collision')!;
    expect(Math.abs(Date.parse(collision.time) * 1000 - events[1]!.time)).toBeLessThan(1000);
    expect(uplink!.status().used).toBeGreaterThanOrEqual(inCloud.reduce((n, c) => n + c.size!, 0));

    // The phone, later: nothing to fetch, nothing to upload; its clip list shows the cloud's.
    app = await openApp(tmp.dir);
    await app.signIn(url, token);
    const deviceUrl = (await device.startServer()).url;
    await app.connect(deviceUrl, CODE);
    await app.syncEvents();
    expect(app.uploads.entries).toEqual([]);
    expect(
      (await app.clips())
        .filter((c) => c.cloud)
        .map((c) => c.id)
        .sort(),
    ).toEqual([...uploaded].sort());
    expect((await client.list()).length).toBe(2);
    expect(errors.filter(permanent)).toEqual([]);
  });

  it('with the phone in the car at the same time: the same bytes under the same cloud id, one clip each', async () => {
    // Small chunks: the dashcam is still uploading when the phone fetches the clip, so both
    // send the same clip to the same id at once (the cloud keeps the bytes it has, once).
    const { url, token, errors, client } = await setup('1GiB', 16 * 1024);
    app = await openApp(tmp.dir);
    await app.signIn(url, token);
    await app.connect((await device.startServer()).url, CODE);
    await device.run(drive('hard-brake-collision'), { speed: 50 });
    await until(
      () => device.events.length === 2 && device.events.every((e) => e.acknowledged),
      60_000,
      'both events handled',
    );
    await uplink!.drained(60_000);
    await app.uploaded(undefined, 60_000);
    const inCloud = await client.list();
    expect(inCloud.map((c) => c.kind).sort()).toEqual(['collision', 'hard-brake']);
    expect(inCloud.map((c) => c.id).sort()).toEqual(device.events.map((e) => e.cloudClip!).sort());
    // whatever the phone fetched is the clip the device uploaded, byte for byte
    const fetched = (await app.clips()).filter((c) => c.source === 'event' && c.path);
    expect(fetched.length).toBe(2);
    for (const rec of fetched) {
      const cloudClip = inCloud.find((c) => c.id === rec.id)!;
      expect(sha(readFileSync(rec.path!))).toBe(cloudClip.sha256);
    }
    expect(errors.filter(permanent)).toEqual([]);
  });

  it('publishes its own emergency live link after a collision; the phone leaves it to the dashcam', async () => {
    tmp = scratch('ringclip-uplink-');
    const c = await startCloud(tmp.dir);
    cloud = c.server;
    ({ device } = await startDevice(tmp.dir));
    uplink = new Connectivity(device, {
      cloudUrl: c.url,
      token: c.token,
      contacts: [{ name: 'Sam', phone: '+1 555 0100' }],
      backoffMs: 50,
    });
    const links: string[] = [];
    const errors: string[] = [];
    uplink.on('error', (e) => errors.push(e.message));
    uplink.on('live-link', (l) => links.push(l.id));
    uplink.start();
    app = await openApp(tmp.dir);
    await app.signIn(c.url, c.token);
    app.setEmergency({ contacts: [{ name: 'Sam' }] });
    const phoneLinks: string[] = [];
    app.on('live-link', (l) => phoneLinks.push(l.id));
    await app.connect((await device.startServer()).url, CODE);
    await device.run(drive('hard-brake-collision'), { speed: 20 });
    await until(() => links.length === 1, 10_000, "the dashcam's live link");
    const me = await cloud.service.authenticate(`Bearer ${c.token}`);
    // the relay has the dashcam's fragments (the cellular data counts them)
    await until(() => cloud.live.get(me, links[0]!).stats.fragments > 0, 10_000, 'fragments at the relay');
    expect(device.events.find((e) => e.kind === 'collision')!.liveFromDevice).toBe(true);
    expect(uplink.status().live.map((l) => l.id)).toEqual(links);
    await until(() => device.events.every((e) => e.acknowledged), 30_000, 'both events handled');
    expect(phoneLinks).toEqual([]); // one link per collision: the dashcam's
    expect(cloud.live.list(me).map((l) => l.id)).toEqual(links);
    expect(errors.filter(permanent)).toEqual([]);
  });

  it('stops at its monthly data budget; the phone uploads the rest under the same id', async () => {
    const { url, token, client } = await setup('256KiB', 64 * 1024);
    let exhausted = 0;
    uplink!.on('budget-exhausted', () => exhausted++);
    await device.run(cruise(6), { speed: 50 });
    const ev = device.manualClip(5);
    await device.run(cruise(2), { speed: 50 });
    await until(() => exhausted > 0, 30_000, 'the budget to run out');
    const status = uplink!.status();
    expect(status.used).toBeGreaterThanOrEqual(status.budget);
    expect(status.used).toBeLessThan(status.budget + 64 * 1024 + 1); // at most one chunk past it
    const partial = await client.offset(device.event(ev.id)!.cloudClip!);
    expect(partial?.state).toBe('uploading');

    app = await openApp(tmp.dir);
    await app.signIn(url, token);
    await app.connect((await device.startServer()).url, CODE);
    await until(() => device.event(ev.id)?.acknowledged, 30_000, 'the phone to take the clip');
    await app.uploaded(undefined, 30_000);
    const inCloud = await client.list();
    expect(inCloud.map((c) => c.id)).toEqual([device.event(ev.id)!.cloudClip]);
    expect(decodeErrors((await app.clips()).find((c) => c.id === inCloud[0]!.id)!.path!)).toBe('');
  });
});
