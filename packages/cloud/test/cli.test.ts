/** The CLI: `ringclip-cloud token create USER` and `ringclip-cloud serve`, from the built dist/. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const cli = `${pkg}dist/cli.js`;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const env = { ...process.env, DATABASE_URL: '', S3_BUCKET: '', RINGCLIP_DATA: '' };

describe('ringclip-cloud CLI', () => {
  beforeAll(() => {
    // Build dist/ unless it is newer than every source file.
    const newest = Math.max(
      ...readdirSync(`${pkg}src`, { recursive: true }).map((f) => statSync(`${pkg}src/${f}`).mtimeMs),
    );
    if (existsSync(cli) && statSync(cli).mtimeMs >= newest) return;
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: pkg, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('creates tokens and serves the API with them (embedded default under --data)', async () => {
    const mk = spawnSync(process.execPath, [cli, 'token', 'create', 'dave', '--data', tmp.dir], {
      encoding: 'utf8',
      env,
    });
    expect(mk.status, mk.stderr).toBe(0);
    const token = mk.stdout.trim();
    expect(token).toMatch(/^rc_[A-Za-z0-9_-]{43}$/);
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data', tmp.dir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.stderr.on('data', (d) => {
          out += d;
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
        setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
      });
      const me = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(await me.json()).toMatchObject({ name: 'dave' });
      expect((await fetch(`${url}/v1/me`)).status).toBe(401);
      const page = await fetch(`${url}/`);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      // revoke: the token stops working at once
      const rv = spawnSync(process.execPath, [cli, 'token', 'revoke', token, '--data', tmp.dir], {
        encoding: 'utf8',
        env,
      });
      expect(rv.status, rv.stderr).toBe(0);
      expect((await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('explains bad usage', () => {
    const r = spawnSync(process.execPath, [cli, 'serve', '--port', 'abc'], { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--port must be/);
    const u = spawnSync(process.execPath, [cli, 'frobnicate'], { encoding: 'utf8', env });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/usage/);
  });
});
