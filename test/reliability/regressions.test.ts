// Reproductions of problems found while proving reliability, kept as regression tests:
// each script exits 0 once its problem is fixed (see its header for the story).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const scripts = ['repro-writemp4-pins.mjs', 'repro-durable-skip-crc.mjs'];

describe.each(scripts)('%s', (script) => {
  it('stays fixed', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', new URL(script, import.meta.url).pathname], {
      encoding: 'utf8',
    });
    expect(r.stderr + r.stdout).toMatch(/^ok: /m);
    expect(r.status).toBe(0);
  });
});
