/** The OpenAPI description covers every API route the service serves (and nothing it does not). */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteBackend } from './helpers.js';

const yaml = readFileSync(new URL('../../../docs/cloud-openapi.yaml', import.meta.url), 'utf8');
const backend = sqliteBackend();
afterAll(() => backend.cleanup());

/** path -> methods, read from the YAML's layout (two-space path keys, four-space methods) */
function documented(): Set<string> {
  const out = new Set<string>();
  let path = '';
  let inPaths = false;
  for (const line of yaml.split('\n')) {
    if (/^paths:/.test(line)) {
      inPaths = true;
      continue;
    }
    if (/^\S/.test(line)) inPaths = false;
    if (!inPaths) continue;
    const p = /^ {2}(\/\S*):\s*$/.exec(line);
    if (p) {
      path = p[1]!;
      continue;
    }
    const m = /^ {4}(get|put|post|delete|head|patch):\s*$/.exec(line);
    if (m) out.add(`${m[1]!.toUpperCase()} ${path}`);
  }
  return out;
}

describe('docs/cloud-openapi.yaml', () => {
  it('documents exactly the API routes', async () => {
    const s = await backend.start();
    try {
      const served = new Set(
        s.routes
          .filter((r) => r.url.startsWith('/v1/') || r.url.startsWith('/s/'))
          .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`),
      );
      expect([...documented()].sort()).toEqual([...served].sort());
    } finally {
      await s.close();
    }
  });
});
