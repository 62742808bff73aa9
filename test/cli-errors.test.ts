// Errors of the `ringclip` CLI that a user can act on: what a file with no H.264 holds, the
// option they probably meant, every form a time takes, what a size resolved to.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { nearestOption } from '../lib/cli/suggest.js';
import { nalUnits } from './helpers/annexb.js';
import { ringclipInProcess } from './helpers/cli.js';
import { FIXTURES, fixture, fixturesDir, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
const readme = new URL('../README.md', import.meta.url).pathname;

// The installed command, in a child process: only for what main.ts itself does.
function ringclipCommand(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ringclip ingest of a file without H.264', () => {
  const store = `${tmp.dir}/bad.ring`;
  const ingest = (file: string) => ringclipInProcess('ingest', store, '--stream', `cam=${file}`, '--fps', '30');

  it('creates the store the cases share', async () => {
    expect(
      (await ringclipInProcess('create', store, '--capacity', '32MiB', '--segment-size', '4MiB', '--stream', 'cam'))
        .status,
    ).toBe(0);
  });

  it('a text file: its size and that it has no start code', async () => {
    const r = await ingest(readme);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `no H.264 access units for 'cam' in ${readme} (${readFileSync(readme).length} bytes, no start code)`,
    );
  });

  it('random bytes with no start code', async () => {
    // A fixed pseudo-random sequence, with no zero byte so that no 00 00 01 occurs.
    const bytes = Buffer.alloc(6000);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = (x >>> 24) | 1;
    }
    const file = `${tmp.dir}/random.bin`;
    writeFileSync(file, bytes);
    const r = await ingest(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('(6000 bytes, no start code)');
  });

  it('an empty file', async () => {
    const file = `${tmp.dir}/empty.h264`;
    writeFileSync(file, '');
    const r = await ingest(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the file is empty (0 bytes)');
  });

  it('an MP4: names it and points to ringclip cut', async () => {
    const source = `${tmp.dir}/source.ring`;
    const mp4 = `${tmp.dir}/clip.mp4`;
    expect(
      (await ringclipInProcess('create', source, '--capacity', '32MiB', '--segment-size', '4MiB', '--stream', 'cam'))
        .status,
    ).toBe(0);
    expect((await ringclipInProcess('ingest', source, '--stream', `cam=${fixturesDir}/${FIXTURES.cabin}`)).status).toBe(
      0,
    );
    expect((await ringclipInProcess('clip', source, '--from', '+0', '--to', '+2', '-o', mp4)).status).toBe(0);
    const r = await ingest(mp4);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("this is an MP4 file (its first box is 'ftyp')");
    expect(r.stderr).toContain(`\`ringclip cut ${mp4}`);
  });

  it('H.264 without an SPS: what it found and what is missing', async () => {
    const units = nalUnits(fixture(FIXTURES.cabin))
      .filter((u) => (u[0] & 0x1f) !== 7)
      .map((u) => Buffer.concat([Buffer.from([0, 0, 1]), u]));
    const file = `${tmp.dir}/no-sps.h264`;
    writeFileSync(file, Buffer.concat(units));
    const r = await ingest(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `found ${units.length} NAL units \\(\\d+ bytes\\) \\(.*IDR slice.*\\), but a stream must start with an SPS`,
      ),
    );
    expect(r.stderr).toContain('missing: SPS');
  });

  it('the store kept nothing from any of them and is intact', async () => {
    const info = JSON.parse((await ringclipInProcess('info', store, '--json')).stdout) as {
      streams: Array<{ frames: number }>;
    };
    expect(info.streams[0].frames).toBe(0);
    expect((await ringclipInProcess('verify', store)).status).toBe(0);
  });
});

describe('ringclip options', () => {
  it('an unknown option names the nearest known one, in balanced quotes', async () => {
    const size = await ringclipInProcess('create', `${tmp.dir}/x.ring`, '--size', '1GB');
    expect(size.status).toBe(2);
    expect(size.stderr).toContain('unknown option `--size`: did you mean `--capacity`?');
    const typo = await ringclipInProcess('clip', `${tmp.dir}/x.ring`, '--form', '+1');
    expect(typo.stderr).toContain('unknown option `--form`: did you mean `--from`?');
    const far = await ringclipInProcess('info', `${tmp.dir}/x.ring`, '--colour');
    expect(far.status).toBe(2);
    expect(far.stderr).toMatch(/unknown option `--colour`\n/);
    for (const r of [size, typo, far]) expect(r.stderr.split('`').length % 2).toBe(1);
  });

  it('a value that starts with a dash is not taken for an option', async () => {
    const r = await ringclipInProcess(
      'clip',
      `${tmp.dir}/none.ring`,
      '--from',
      '-5',
      '--to',
      '+1',
      '-o',
      `${tmp.dir}/y.mp4`,
    );
    expect(r.stderr).not.toContain('unknown option');
  });

  it('nearestOption: synonyms, typos, and nothing for a far word', async () => {
    const known = ['capacity', 'segment-size', 'from', 'to', 'o', 'fps'];
    expect(nearestOption('size', known)).toBe('capacity');
    expect(nearestOption('output', known)).toBe('o');
    expect(nearestOption('segmentsize', known)).toBe('segment-size');
    expect(nearestOption('FPS', known)).toBe('fps');
    expect(nearestOption('colour', known)).toBeUndefined();
    expect(nearestOption('size', ['from'])).toBeUndefined();
  });

  it('--version prints the package version (the installed command)', async () => {
    const r = ringclipCommand('--version');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`ringclip ${pkg.version}\n`);
  });

  it('a size with a unit is echoed as the byte count it resolved to', async () => {
    const r = await ringclipInProcess(
      'create',
      `${tmp.dir}/mb.ring`,
      '--capacity',
      '256MB',
      '--segment-size',
      '4MiB',
      '--stream',
      'cam',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--capacity 256MB = 256000000 bytes (decimal MB; 256MiB would be 268435456 bytes)');
    expect(r.stdout).toContain('--segment-size 4MiB = 4194304 bytes (4.0 MiB)');
    const plain = await ringclipInProcess(
      'create',
      `${tmp.dir}/bytes.ring`,
      '--capacity',
      '33554432',
      '--segment-size',
      '4MiB',
      '--stream',
      'cam',
    );
    expect(plain.stdout).not.toContain('--capacity');
  });
});

describe('ringclip time errors', () => {
  const store = `${tmp.dir}/times.ring`;

  it('name every accepted form and show times as ISO', async () => {
    expect(
      (await ringclipInProcess('create', store, '--capacity', '32MiB', '--segment-size', '4MiB', '--stream', 'cam'))
        .status,
    ).toBe(0);
    const ingest = await ringclipInProcess(
      'ingest',
      store,
      '--stream',
      `cam=${fixturesDir}/${FIXTURES.cabin}`,
      '--start',
      '2026-01-01T00:00:00Z',
    );
    expect(ingest.status).toBe(0);
    const word = await ringclipInProcess('clip', store, '--from', 'yesterday', '--to', '+1', '-o', `${tmp.dir}/t.mp4`);
    expect(word.status).toBe(2);
    expect(word.stderr).toContain("--from 'yesterday' is not a time: use an ISO-8601 time with a zone");
    expect(word.stderr).toContain('or +SECONDS from the first retained frame');
    const badRelative = await ringclipInProcess('clip', store, '--from', '+', '--to', '+1', '-o', `${tmp.dir}/t.mp4`);
    expect(badRelative.stderr).toContain('+SECONDS takes a non-negative number');
    const backwards = await ringclipInProcess('clip', store, '--from', '+5', '--to', '+1', '-o', `${tmp.dir}/t.mp4`);
    expect(backwards.status).toBe(2);
    expect(backwards.stderr).toContain(
      '--to (2026-01-01T00:00:01.000Z) must be after --from (2026-01-01T00:00:05.000Z)',
    );
    const early = await ringclipInProcess(
      'clip',
      store,
      '--from',
      '1900-01-01T00:00:00Z',
      '--to',
      '+1',
      '-o',
      `${tmp.dir}/t.mp4`,
    );
    expect(early.stderr).toContain(
      "--from '1900-01-01T00:00:00Z' is outside the times ringclip holds: 1970-01-01T00:00:00.000Z to 2255-06-05T23:47:34.740991Z",
    );
    const start = await ringclipInProcess('ingest', store, '--stream', `cam=${readme}`, '--start', '1234');
    expect(start.stderr).toContain("--start '1234' is not a time: use an ISO-8601 time with a zone");
    expect(start.stderr).not.toContain('+SECONDS');
    for (const r of [word, backwards, early, start]) expect(r.stderr).not.toMatch(/\d{13,}/);
  });
});
