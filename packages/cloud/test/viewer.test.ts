/**
 * The web viewer in a real browser (Chromium via playwright-core): the clip list, road and
 * cabin playing side by side within a frame of each other, the G-sensor plot and its
 * cursor, the cabin microphone (muted until a click, then not silent by a WebAudio level
 * check), the route and speed drawn from the clip's camm telemetry, seeking by a click on
 * the route or a plot, scrub previews, share (opening the read-only shared viewer) and delete.
 * Takes a screenshot into its temporary folder (the README's picture is what `npm start`
 * shows: packages/simulation/test/viewer.test.ts makes it).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, requireBrowser } from '../../../test/helpers/browser.js';
import type { Server } from '../src/server.js';
import { Api, makeClip, sqliteBackend, tempDir, type Backend } from './helpers.js';
import { makeTelemetryClip } from './telemetry-fixture.js';

const tmp = tempDir();
const screenshot = `${tmp.dir}/cloud-viewer.png`;

describe.skipIf(!haveChromium && !requireBrowser)('web viewer in Chromium', () => {
  let backend: Backend;
  let server: Server;
  let api: Api;
  let token: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const ids = { older: randomUUID(), newer: randomUUID() };

  beforeAll(async () => {
    backend = sqliteBackend();
    server = await backend.start();
    token = (await server.service.createToken('erin')).token;
    api = new Api(server.url, token);
    const older = await makeClip(tmp.dir, 4);
    // Road, cabin, cabin audio (a click each second) and camm telemetry (GPS along a route,
    // a hard brake at 4 s on the accelerometer).
    const newer = await makeTelemetryClip(tmp.dir, { seconds: 8, audio: true, brakeAt: 4 });
    await api.metadata(ids.older, { kind: 'manual', time: '2026-05-02T08:15:00Z' });
    expect((await api.upload(ids.older, older.bytes)).status).toBe(201);
    await api.metadata(ids.newer, {
      kind: 'hard_brake',
      time: '2026-05-03T17:42:10Z',
      eventOffset: 4,
      title: 'Hard brake on A100',
      location: { lat: 52.4862, lon: 13.4287 },
    });
    expect((await api.upload(ids.newer, newer.bytes)).status).toBe(201);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await backend?.cleanup();
    tmp.cleanup();
  });

  it('streams both cameras as HLS through hls.js (Stream button), in sync, and seeks', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 1060 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text());
    });
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    const segments = new Set<string>();
    page.on('request', (r) => {
      const m = /\/hls\/((?:road|cabin)-\d+\.m4s)\?/.exec(r.url());
      if (m) segments.add(m[1]!);
    });
    await page.goto(`${server.url}/?token=${token}`);
    await page.evaluate(() => (window as unknown as { ringclipReady: Promise<void> }).ringclipReady);
    expect(await page.locator('#clip-title').textContent()).toBe('Hard brake on A100');
    expect(await page.isVisible('#streaming')).toBe(true);
    await page.click('#streaming');
    expect(await page.getAttribute('#streaming', 'aria-pressed')).toBe('true');
    // Each camera plays from a MediaSource that hls.js fills segment by segment.
    const state = () =>
      page.evaluate(() =>
        ['road', 'cabin'].map((id) => {
          const v = document.getElementById(id) as HTMLVideoElement;
          return `${id}: src ${v.src.slice(0, 60)} readyState ${v.readyState} error ${v.error?.code ?? '-'} t ${v.currentTime}`;
        }),
      );
    await page
      .waitForFunction(
        () =>
          ['road', 'cabin'].every((id) => {
            const v = document.getElementById(id) as HTMLVideoElement;
            return v.src.startsWith('blob:') && v.readyState >= 2;
          }),
        null,
        { timeout: 20_000 },
      )
      .catch(async (e: Error) => {
        throw new Error(
          `${e.message}\n${(await state()).join('\n')}\nconsole: ${warnings.join('\n')}\nfailed: ${failed.join(', ')}\nsegments: ${[...segments].join(' ')}`,
        );
      });
    await page.click('#play');
    const played = await page.evaluate(async () => {
      const road = document.getElementById('road') as HTMLVideoElement;
      const cabin = document.getElementById('cabin') as HTMLVideoElement;
      const out: Array<{ road: number; cabin: number }> = [];
      const start = performance.now();
      while (road.currentTime < 2.5 && performance.now() - start < 20_000) {
        await new Promise((r) => setTimeout(r, 150));
        out.push({ road: road.currentTime, cabin: cabin.currentTime });
      }
      return { out, errors: [road.error?.code, cabin.error?.code], widths: [road.videoWidth, cabin.videoWidth] };
    });
    expect(played.errors).toEqual([undefined, undefined]);
    expect(played.widths).toEqual([1920, 1280]);
    const steady = played.out.filter((s) => s.road > 0.5);
    expect(steady.at(-1)!.road).toBeGreaterThan(2);
    const drift = Math.max(...steady.map((s) => Math.abs(s.road - s.cabin)));
    console.log(`viewer over HLS: largest road/cabin difference ${(drift * 1000).toFixed(1)} ms`);
    expect(drift).toBeLessThanOrEqual(2 / 30);
    // Seeking with the timeline: both cameras land at 6 s of the 8 s clip and play on.
    await page.evaluate(() => {
      const seek = document.getElementById('seek') as HTMLInputElement;
      seek.value = '750';
      seek.dispatchEvent(new Event('input'));
      seek.dispatchEvent(new Event('change'));
    });
    await page.waitForFunction(
      () =>
        ['road', 'cabin'].every((id) => {
          const v = document.getElementById(id) as HTMLVideoElement;
          return v.currentTime > 6 && v.currentTime < 7.5 && v.readyState >= 2;
        }),
      null,
      { timeout: 20_000 },
    );
    // Segments of both cameras came from the clip's HLS, including ones after the seek.
    expect([...segments].filter((s) => s.startsWith('road-')).length).toBeGreaterThan(1);
    expect([...segments].some((s) => s.startsWith('cabin-'))).toBe(true);
    // Off again: each camera is back on its file, at the same moment.
    const before = await page.evaluate(() => (document.getElementById('road') as HTMLVideoElement).currentTime);
    await page.click('#streaming');
    await page.waitForFunction(
      () =>
        document.getElementById('streaming')!.getAttribute('aria-busy') === 'false' &&
        ['road', 'cabin'].every((id) => /\/video\?track=/.test((document.getElementById(id) as HTMLVideoElement).src)),
      null,
      { timeout: 20_000 },
    );
    const after = await page.evaluate(() => (document.getElementById('road') as HTMLVideoElement).currentTime);
    expect(Math.abs(after - before)).toBeLessThan(1);
    expect(errors).toEqual([]);
    expect(failed).toEqual([]);
    expect(warnings).toEqual([]);
    await context.close();
  });

  it('lists clips, plays road and cabin in sync with the plot cursor, shares and deletes', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 1060 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/?token=${token}`);
    await page.evaluate(() => (window as unknown as { ringclipReady: Promise<void> }).ringclipReady);
    // the token left the address bar and sits in localStorage
    expect(new URL(page.url()).search).toBe('');
    expect(await page.evaluate(() => localStorage.getItem('ringclip.token'))).toBe(token);
    // newest first, with kind, time and duration
    const items = await page
      .locator('#clips li')
      .evaluateAll((lis) => lis.map((li) => ({ id: (li as HTMLElement).dataset.id, text: li.textContent })));
    expect(items.map((i) => i.id)).toEqual([ids.newer, ids.older]);
    expect(items[0]!.text).toMatch(/hard brake/i);
    expect(items[0]!.text).toMatch(/8\.0 s/);
    expect(await page.locator('#clip-title').textContent()).toBe('Hard brake on A100');

    // play: both videos advance together
    await page.waitForFunction(
      () => ['road', 'cabin'].every((id) => (document.getElementById(id) as HTMLVideoElement).readyState >= 2),
      null,
      { timeout: 20_000 },
    );
    await page.click('#play');
    const samples = await page.evaluate(async () => {
      const road = document.getElementById('road') as HTMLVideoElement;
      const cabin = document.getElementById('cabin') as HTMLVideoElement;
      const out: Array<{ road: number; cabin: number; cursor: number }> = [];
      const start = performance.now();
      while (road.currentTime < 3.5 && performance.now() - start < 20_000) {
        await new Promise((r) => setTimeout(r, 150));
        out.push({
          road: road.currentTime,
          cabin: cabin.currentTime,
          cursor: Number((document.getElementById('plot') as HTMLCanvasElement).dataset.cursor),
        });
      }
      return {
        out,
        errors: [road.error?.code, cabin.error?.code],
        widths: [road.videoWidth, cabin.videoWidth],
        paused: [road.paused, cabin.paused],
      };
    });
    expect(samples.errors).toEqual([undefined, undefined]);
    expect(samples.widths).toEqual([1920, 1280]);
    expect(samples.paused).toEqual([false, false]);
    const last = samples.out.at(-1)!;
    expect(last.road).toBeGreaterThan(3);
    // after the first half second (start-up), every sample is within one frame (1/30 s)
    const steady = samples.out.filter((s) => s.road > 0.5);
    expect(steady.length).toBeGreaterThan(5);
    const drift = Math.max(...steady.map((s) => Math.abs(s.road - s.cabin)));
    console.log(
      `viewer: ${steady.length} samples while playing, largest road/cabin difference ${(drift * 1000).toFixed(1)} ms`,
    );
    expect(drift).toBeLessThanOrEqual(1 / 30);
    // the plot's cursor follows playback
    expect(Math.abs(last.cursor - last.road)).toBeLessThan(0.5);
    expect(steady[0]!.cursor).toBeLessThan(last.cursor);

    // the plot renders: the canvas has the three trace colours
    const colours = await page.evaluate(() => {
      const c = document.getElementById('plot') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = { x: 0, y: 0, z: 0 };
      for (let i = 0; i < d.length; i += 4) {
        const [r, g, b] = [d[i]!, d[i + 1]!, d[i + 2]!];
        if (r > 200 && g > 90 && g < 150 && b < 120) seen.x++;
        if (r < 120 && g > 180 && b > 90 && b < 160) seen.y++;
        if (r > 90 && r < 150 && g > 140 && b > 220) seen.z++;
      }
      return { ...seen, w: c.width, h: c.height };
    });
    expect(colours.w).toBeGreaterThan(300);
    for (const k of ['x', 'y', 'z'] as const) expect(colours[k], k).toBeGreaterThan(50);

    // sound: muted until a real click on the sound button, then the cabin microphone's audio
    // is not silent (a WebAudio analyser on the <audio> element that plays it)
    expect(await page.isVisible('#sound')).toBe(true);
    expect(await page.evaluate(() => (document.getElementById('sound-track') as HTMLAudioElement).muted)).toBe(true);
    await page.click('#sound');
    const level = await page.evaluate(async () => {
      const withSound = document.getElementById('sound-track') as HTMLAudioElement;
      const ctx = new AudioContext();
      await ctx.resume();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 2048;
      ctx.createMediaElementSource(withSound).connect(analyser);
      analyser.connect(ctx.destination);
      const buf = new Float32Array(analyser.fftSize);
      let peakRms = 0;
      const start = performance.now();
      while (performance.now() - start < 1500) {
        await new Promise((r) => setTimeout(r, 40));
        analyser.getFloatTimeDomainData(buf);
        peakRms = Math.max(peakRms, Math.sqrt(buf.reduce((s, v) => s + v * v, 0) / buf.length));
      }
      return {
        peakRms,
        behind: (document.getElementById('road') as HTMLVideoElement).currentTime - withSound.currentTime,
        muted: withSound.muted,
        paused: withSound.paused,
        pressed: document.getElementById('sound')!.getAttribute('aria-pressed'),
      };
    });
    console.log(`viewer: cabin microphone level (peak RMS over 1.5 s, unmuted by a click) ${level.peakRms.toFixed(3)}`);
    expect(level).toMatchObject({ muted: false, paused: false, pressed: 'true' });
    expect(level.peakRms).toBeGreaterThan(0.02);
    expect(Math.abs(level.behind)).toBeLessThan(0.1); // the audio follows the videos' clock

    // telemetry: the route is drawn from the GPS fixes (80 at 10 Hz over 8 s), the speed plot has its line
    await page.waitForSelector('#telemetry[data-loaded="camm"]');
    const drawn = await page.evaluate(() => {
      const line = document.querySelector('#route polyline')!;
      const c = document.getElementById('speed') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let yellow = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! > 220 && d[i + 1]! > 180 && d[i + 2]! < 130) yellow++;
      const box = (line as SVGGraphicsElement).getBBox();
      return {
        points: line.getAttribute('points')!.split(' ').length,
        yellow,
        box: { w: box.width, h: box.height },
        info: document.getElementById('route-info')!.textContent,
      };
    });
    expect(drawn.points).toBe(80);
    expect(drawn.yellow).toBeGreaterThan(50);
    expect(drawn.box.h).toBeGreaterThan(100); // the route runs north: it fills the panel's height
    expect(drawn.info).toMatch(/^0\.\d\d km$/);

    // clicking the route seeks both cameras to the fix clicked (the one at 1.5 s; playback had passed 5 s)
    await page.click('#play'); // pause
    const at = await page.evaluate(() => {
      const svg = document.getElementById('route') as unknown as SVGSVGElement;
      const [x, y] = document
        .querySelector('#route polyline')!
        .getAttribute('points')!
        .split(' ')[15]!
        .split(',')
        .map(Number);
      const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM()!);
      return { x: p.x, y: p.y };
    });
    await page.mouse.click(at.x, at.y);
    await page
      .waitForFunction(
        () =>
          ['road', 'cabin'].every(
            (id) => Math.abs((document.getElementById(id) as HTMLVideoElement).currentTime - 1.5) < 0.04,
          ) && Math.abs(Number(document.getElementById('route')!.dataset.cursor) - 1.5) < 0.04,
        null,
        { timeout: 10_000 },
      )
      .catch(async (e: Error) => {
        const now = await page.evaluate(() =>
          ['road', 'cabin'].map((id) => {
            const v = document.getElementById(id) as HTMLVideoElement;
            return { id, t: v.currentTime, seeking: v.seeking, paused: v.paused, rs: v.readyState };
          }),
        );
        throw new Error(`${e.message}: ${JSON.stringify(now)}`);
      });
    const afterRoute = await page.evaluate(() => ({
      road: (document.getElementById('road') as HTMLVideoElement).currentTime,
      cabin: (document.getElementById('cabin') as HTMLVideoElement).currentTime,
      marker: Number(document.getElementById('route')!.dataset.cursor),
    }));
    expect(afterRoute.cabin).toBeCloseTo(1.5, 1);
    expect(afterRoute.marker).toBeCloseTo(1.5, 1);
    // clicking the speed plot at 7 s seeks both cameras there
    const box = (await page.locator('#speed').boundingBox())!;
    const t1 = 8;
    await page.mouse.click(box.x + 38 + (7 / t1) * (box.width - 38 - 8), box.y + box.height / 2);
    await page.waitForFunction(
      () =>
        ['road', 'cabin'].every(
          (id) => Math.abs((document.getElementById(id) as HTMLVideoElement).currentTime - 7) < 0.1,
        ),
      null,
      { timeout: 10_000 },
    );
    await page.click('#play'); // play again, as before

    // scrub preview: hovering the timeline shows the road camera at the time under the pointer,
    // decoded in the browser from the stored file (the server stores no preview pictures)
    const seekBox = (await page.locator('#seek').boundingBox())!;
    const previewAt = async (fraction: number) => {
      await page.mouse.move(seekBox.x + seekBox.width * fraction, seekBox.y + seekBox.height / 2);
      await page.waitForFunction(
        (want) => Math.abs(Number(document.getElementById('preview')!.dataset.time) - want) < 0.1,
        fraction * 8,
        { timeout: 10_000 },
      );
      return page.evaluate(() => {
        const c = document.getElementById('preview-canvas') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let sum = 0,
          sq = 0;
        const luma: number[] = [];
        for (let i = 0; i < d.length; i += 4) {
          const l = (d[i]! + d[i + 1]! + d[i + 2]!) / 3;
          luma.push(l);
          sum += l;
          sq += l * l;
        }
        const n = luma.length;
        return {
          luma,
          sd: Math.sqrt(sq / n - (sum / n) ** 2),
          visible: !document.getElementById('preview')!.hidden,
          caption: document.getElementById('preview-time')!.textContent,
        };
      });
    };
    const early = await previewAt(0.25);
    const late = await previewAt(0.75);
    expect(early.visible && late.visible).toBe(true);
    expect(late.caption).toBe('0:06.0');
    expect(Math.min(early.sd, late.sd)).toBeGreaterThan(5); // pictures, not a flat canvas
    // The 6 s preview is the road camera's picture at 6 s: the same as a separate decode of
    // the file there, and closer to it than the 2 s preview (the test scene moves little).
    const at6 = await page.evaluate(async () => {
      const v = document.createElement('video');
      v.muted = true;
      v.preload = 'auto';
      v.src = (document.getElementById('road') as HTMLVideoElement).src;
      await new Promise((r) => v.addEventListener('loadeddata', r, { once: true }));
      v.currentTime = 6;
      await new Promise((r) => v.addEventListener('seeked', r, { once: true }));
      const c = document.createElement('canvas');
      c.width = 192;
      c.height = 108;
      const g = c.getContext('2d')!;
      g.drawImage(v, 0, 0, c.width, c.height);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const luma: number[] = [];
      for (let i = 0; i < d.length; i += 4) luma.push((d[i]! + d[i + 1]! + d[i + 2]!) / 3);
      return luma;
    });
    const distance = (a: number[], b: number[]) => a.reduce((n, l, i) => n + Math.abs(l - b[i]!), 0) / a.length;
    const same = distance(late.luma, at6);
    const other = distance(early.luma, at6);
    console.log(
      `viewer: scrub preview at 6 s vs a decode at 6 s: ${same.toFixed(2)} (the 2 s preview: ${other.toFixed(2)})`,
    );
    expect(same).toBeLessThan(0.5);
    expect(other).toBeGreaterThan(same + 0.2);
    await page.mouse.move(seekBox.x + seekBox.width / 2, seekBox.y - 200);
    expect(await page.isVisible('#preview')).toBe(false);

    // pause near the event for the README screenshot
    await page.click('#play');
    await page.evaluate(async () => {
      const seek = document.getElementById('seek') as HTMLInputElement;
      seek.value = String(Math.round((4.2 / 8) * 1000));
      seek.dispatchEvent(new Event('input'));
      seek.dispatchEvent(new Event('change'));
      await new Promise((r) => setTimeout(r, 800));
    });
    await page.screenshot({ path: screenshot });

    // share: the link opens the read-only viewer of this clip only
    await page.click('#share');
    await page.waitForSelector('#share-box:not([hidden])');
    const link = await page.inputValue('#share-url');
    expect(link).toMatch(new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{43}$`));
    const anon = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const shared = await anon.newPage();
    await shared.goto(link);
    await shared.evaluate(() => (window as unknown as { ringclipReady: Promise<void> }).ringclipReady);
    expect(await shared.locator('#clip-title').textContent()).toBe('Hard brake on A100');
    expect(await shared.isVisible('#delete')).toBe(false);
    expect(await shared.isVisible('#share')).toBe(false);
    expect(await shared.isVisible('#list-pane')).toBe(false);
    expect(await shared.evaluate(() => localStorage.getItem('ringclip.token'))).toBeNull();
    await shared.waitForFunction(() => (document.getElementById('cabin') as HTMLVideoElement).readyState >= 2, null, {
      timeout: 20_000,
    });
    await shared.click('#play');
    await shared.waitForFunction(() => (document.getElementById('road') as HTMLVideoElement).currentTime > 1, null, {
      timeout: 20_000,
    });
    await anon.close();

    // delete, with confirmation: dismissing keeps the clip, accepting removes it everywhere
    page.once('dialog', (d) => d.dismiss());
    await page.click('#delete');
    expect((await api.json(`/v1/clips/${ids.newer}`)).status).toBe(200);
    page.once('dialog', (d) => d.accept());
    await page.click('#delete');
    await page.waitForFunction((id) => !document.querySelector(`#clips li[data-id="${id}"]`), ids.newer);
    expect((await api.json(`/v1/clips/${ids.newer}`)).status).toBe(404);
    expect([404, 410]).toContain((await fetch(link)).status); // 410 until the queued delete removes the link, then 404
    expect(await page.locator('#clips li').count()).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('asks for a token when there is none, and refuses a wrong one', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.evaluate(() => (window as unknown as { ringclipReady: Promise<void> }).ringclipReady);
    expect(await page.isVisible('#login')).toBe(true);
    await page.fill('#token', 'rc_wrongwrongwrongwrongwrongwrongwrongwrongwro');
    await page.click('#login-form button');
    await page.waitForFunction(() => document.getElementById('login-error')!.textContent !== '');
    expect(await page.isVisible('#app')).toBe(false);
    await page.fill('#token', token);
    await page.click('#login-form button');
    await page.waitForSelector('#clips li');
    expect(await page.textContent('#user')).toBe('erin');
    await context.close();
  });
});
