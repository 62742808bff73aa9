import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatVersion } from '../lib/index.js';

// `npm run test:asan` sets RINGCLIP_BINDING to the sanitized build: make sure the suite
// really runs against it (and the ASan runtime), never silently against the release build.
describe('the loaded binding', () => {
  it('is the one asked for', () => {
    expect(formatVersion).toBe(4);
    const maps = readFileSync('/proc/self/maps', 'utf8');
    const loaded = [
      ...new Set(
        maps
          .split('\n')
          .map((l) => l.split(/\s+/).pop() ?? '')
          .filter((p) => p.endsWith('ringclip.node')),
      ),
    ];
    expect(loaded).toHaveLength(1);
    if (process.env.RINGCLIP_BINDING) {
      expect(loaded[0]).toBe(process.env.RINGCLIP_BINDING);
      expect(maps).toMatch(/libasan\.so/);
    } else {
      expect(loaded[0]).toMatch(/(build\/Release|prebuilds\/linux-x64)\//);
    }
  });
});
