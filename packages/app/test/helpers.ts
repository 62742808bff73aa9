/**
 * Test harness: a real dashcam simulator (packages/device) and a real cloud server
 * (packages/cloud, SQLite + local blobs) on 127.0.0.1, both in-process, and the app.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The sibling packages' sources (their dist/ may lag while they are being built).
import { Dashcam, loadScenario, type DashcamOptions, type Scenario } from '../../device/src/index.js';
import { loadConfig } from '../../cloud/src/config.js';
import { createServer, type Server } from '../../cloud/src/server.js';
import { PhoneApp, type PhoneAppOptions } from '../src/index.js';

export { decodeErrors, ffprobe, frameHashes } from '../../../test/helpers/tools.js';

export const T0 = Date.parse('2026-03-02T08:00:00Z') * 1000;
export const CODE = '424242';

export function scratch(prefix = 'ringclip-app-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startDevice(
  dir: string,
  extra: Partial<DashcamOptions> = {},
): Promise<{ device: Dashcam; url: string }> {
  const device = new Dashcam({
    dataDir: join(dir, 'device'),
    memory: { capacity: '32MiB', segmentSize: '1MiB', protectCap: 0.5 },
    cameras: [
      { name: 'road', width: 320, height: 180, fps: 30 },
      { name: 'cabin', width: 160, height: 96, fps: 15 },
    ],
    clipWindow: { before: 3, after: 3 },
    startTime: T0,
    pairingCode: CODE,
    ...extra,
  });
  await device.powerOn();
  const { url } = await device.startServer();
  return { device, url };
}

export async function startCloud(dir: string): Promise<{ server: Server; url: string; token: string }> {
  const server = await createServer(loadConfig({ dataDir: join(dir, 'cloud'), port: 0, host: '127.0.0.1' }, {}));
  const url = await server.listen();
  const { token } = await server.service.createToken('driver');
  return { server, url, token };
}

export function openApp(dir: string, extra: Partial<PhoneAppOptions> = {}): Promise<PhoneApp> {
  return PhoneApp.open({
    dataDir: join(dir, 'phone'),
    phoneStorage: '48MiB',
    eventPollMs: 150,
    reconnectMs: 200,
    upload: { chunkSize: 64 * 1024, backoffMs: 100, maxBackoffMs: 1000 },
    ...extra,
  });
}

export const drive = (name = 'hard-brake-collision'): Scenario => loadScenario(name);

/** A steady drive without events (for filling stores). */
export const cruise = (seconds: number): Scenario =>
  ({
    name: 'cruise',
    duration: `${seconds}s`,
    steps: [{ at: '0s', type: 'speed', to: 50, accel: 0.2 }],
  }) as unknown as Scenario;

export async function until<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  ms = 30_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
