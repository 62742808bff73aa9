import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DashcamOptions } from '../src/index.js';

export {
  decodeAudio,
  decodeErrors,
  ffmpegPath,
  ffprobe,
  ffprobePath,
  fixturesDir,
  FIXTURES,
  run,
} from '../../../test/helpers/tools.js';

export const T0 = Date.parse('2026-03-02T08:00:00Z') * 1000;

export function scratch(prefix = 'ringclip-device-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small device for tests: small cameras, small memory, short clip windows. */
export function smallDevice(dataDir: string, extra: Partial<DashcamOptions> = {}): DashcamOptions {
  return {
    dataDir,
    memory: { capacity: '32MiB', segmentSize: '1MiB', protectCap: 0.5 },
    cameras: [
      { name: 'road', width: 320, height: 180, fps: 30 },
      { name: 'cabin', width: 160, height: 96, fps: 15 },
    ],
    clipWindow: { before: 3, after: 3 },
    startTime: T0,
    pairingCode: '424242',
    ...extra,
  };
}
