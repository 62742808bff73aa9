/**
 * What `npm start` shows, in Chromium: the cloud's viewer on the hard brake's clip of a
 * simulated drive, with both cameras, the route the car drove, its speed and the G-sensor
 * trace of the whole clip, all read from the clip's own camm track. Its screenshot is the
 * README's picture: with RINGCLIP_UPDATE_SCREENSHOT=1 the test writes docs/cloud-viewer.png
 * (a test run otherwise leaves the checkout as it found it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, requireBrowser } from '../../../test/helpers/browser.js';
import { Reporter, parseOptions, runSimulation, type SimulationOptions } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ringclip-viewer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const screenshot =
  process.env.RINGCLIP_UPDATE_SCREENSHOT === '1'
    ? fileURLToPath(new URL('../../../docs/cloud-viewer.png', import.meta.url))
    : join(dir, 'cloud-viewer.png');

describe.skipIf(!haveChromium && !requireBrowser)('npm start in the web viewer', () => {
  it('the hard brake clip of a simulated drive: both cameras, its route, speed and G-sensor trace', async () => {
    // As `npm start -- --scenario hard-brake-collision --duration 62s --speed 50` (the
    // default cameras), serving the viewer afterwards.
    const options = parseOptions([
      '--scenario',
      'hard-brake-collision',
      '--duration',
      '62s',
      '--speed',
      '50',
      '--data',
      join(dir, 'sim'),
    ]) as SimulationOptions;
    const log = new PassThrough();
    log.resume();
    const running = await runSimulation(options, new Reporter(log as unknown as NodeJS.WriteStream));
    const browser = await launchChromium();
    try {
      const clip = running.summary.cloud.clips.find((c) => c.kind === 'hard-brake');
      expect(clip?.state).toBe('ready');
      const context = await browser.newContext({ viewport: { width: 1360, height: 1060 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(running.summary.viewer);
      await page.evaluate(() => (window as unknown as { ringclipReady: Promise<void> }).ringclipReady);
      await page.click(`#clips li[data-id="${clip!.id}"]`);
      await page.waitForSelector('#telemetry[data-loaded="camm"]');
      await page.waitForFunction(
        () => ['road', 'cabin'].every((id) => (document.getElementById(id) as HTMLVideoElement).readyState >= 2),
        null,
        { timeout: 20_000 },
      );
      const seen = await page.evaluate(() => {
        const count = (id: string, match: (r: number, g: number, b: number) => boolean) => {
          const c = document.getElementById(id) as HTMLCanvasElement;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (match(d[i]!, d[i + 1]!, d[i + 2]!)) n++;
          return n;
        };
        const line = document.querySelector('#route polyline');
        return {
          route: line ? line.getAttribute('points')!.split(' ').length : 0,
          routeInfo: document.getElementById('route-info')!.textContent,
          speed: count('speed', (r, g, b) => r > 220 && g > 180 && b < 130),
          gx: count('plot', (r, g, b) => r > 200 && g > 90 && g < 150 && b < 120),
          gz: count('plot', (r, g, b) => r > 90 && r < 150 && g > 140 && b > 220),
          sound: !(document.getElementById('sound') as HTMLButtonElement).hidden,
          widths: ['road', 'cabin'].map((id) => (document.getElementById(id) as HTMLVideoElement).videoWidth),
        };
      });
      // every 10 Hz GPS fix of the clip drawn as the route (the viewer asks for at most 4000 points)
      expect(seen.route).toBeGreaterThanOrEqual(Math.floor(clip!.duration * 10) - 2);
      expect(seen.routeInfo).toMatch(/km$/);
      expect(seen.speed).toBeGreaterThan(50);
      expect(seen.gx).toBeGreaterThan(50);
      expect(seen.gz).toBeGreaterThan(50);
      expect(seen.sound).toBe(true);
      expect(seen.widths).toEqual([1280, 640]);
      // paused just after the brake, for the picture
      const at = (clip!.eventOffset ?? 20) + 0.4;
      const box = (await page.locator('#speed').boundingBox())!;
      // a click on the speed plot seeks both cameras there (the plot spans the clip)
      await page.mouse.click(box.x + 38 + (at / clip!.duration) * (box.width - 38 - 8), box.y + box.height / 2);
      await page.waitForFunction(
        (t) => Math.abs((document.getElementById('road') as HTMLVideoElement).currentTime - t) < 0.5,
        at,
        { timeout: 10_000 },
      );
      await page.waitForTimeout(500);
      await page.screenshot({ path: screenshot });
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await browser.close();
      await running.stop();
    }
  });
});
