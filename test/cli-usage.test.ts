// The `ringclip` CLI's help, usage errors and reports, run in-process (lib/cli/run.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { nalUnitStarts, splitAccessUnits } from './helpers/annexb.js';
import { afterAll, describe, expect, it } from 'vitest';
import { ringclipInProcess as ringclip } from './helpers/cli.js';
import { FIXTURES, fixture, fixturesDir, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('ringclip usage', () => {
  it('--help prints the usage and succeeds; no command prints it and fails', async () => {
    const help = await ringclip('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('ringclip create STORE --capacity SIZE');
    expect(help.stdout).toContain('+SECONDS');
    const none = await ringclip();
    expect(none.status).toBe(2);
    expect(none.stdout).toBe(help.stdout);
  });

  it('a missing target, an unknown command, and bad values are usage errors (status 2)', async () => {
    const cases: Array<[string[], string]> = [
      [['create'], 'create needs a STORE path'],
      [['cut'], 'cut needs an input MP4'],
      [['frobnicate', 'x'], "unknown command 'frobnicate'"],
      [['create', `${tmp.dir}/a.ring`, '--capacity', '32MiB'], 'create needs at least one --stream NAME'],
      [['create', `${tmp.dir}/a.ring`, '--stream', 'cam'], '--capacity is required'],
      [
        ['create', `${tmp.dir}/a.ring`, '--capacity', '32MiB', '--stream', 'cam', '--protect-cap', 'half'],
        "--protect-cap is a share of the capacity from 0 to 0.9, got 'half'",
      ],
      [['ingest', `${tmp.dir}/a.ring`, '--stream', 'cam'], "--stream takes NAME=FILE.h264, got 'cam'"],
      [['ingest', `${tmp.dir}/a.ring`], 'ingest needs at least one --stream NAME=FILE.h264'],
      [['cut', `${tmp.dir}/in.mp4`, '--from', '+0', '--to', '+1'], 'cut needs -o OUT.mp4'],
      [['cut', `${tmp.dir}/in.mp4`, '-o', `${tmp.dir}/out.mp4`], 'cut needs --from and --to'],
      [['info', `${tmp.dir}/a.ring`, '--json=yes'], "Option '--json' does not take an argument"],
    ];
    for (const [args, message] of cases) {
      const r = await ringclip(...args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('(ringclip --help lists the commands)');
    }
  });
});

describe('ringclip reports', () => {
  const store = `${tmp.dir}/report.ring`;

  it('create with a flush policy, ingest, info and verify as text', async () => {
    for (const flush of ['keyframe', '2s']) {
      const path = `${tmp.dir}/flush-${flush}.ring`;
      expect(
        (
          await ringclip(
            'create',
            path,
            '--capacity',
            '32MiB',
            '--segment-size',
            '4MiB',
            '--stream',
            'cam',
            '--flush',
            flush,
          )
        ).status,
      ).toBe(0);
    }
    expect(
      (
        await ringclip(
          'create',
          store,
          '--capacity',
          '32MiB',
          '--segment-size',
          '4MiB',
          '--stream',
          'road',
          '--stream',
          'cabin',
        )
      ).status,
    ).toBe(0);
    const ingest = await ringclip(
      'ingest',
      store,
      '--stream',
      `road=${fixturesDir}/${FIXTURES.road}`,
      '--start',
      '2026-01-01T00:00:00Z',
    );
    expect(ingest.stdout).toBe(`road: stored 300 frames at 30 fps from ${fixturesDir}/${FIXTURES.road}\n`);
    const info = await ringclip('info', store);
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(/^store {5}.*report\.ring \(format \d+\)\n/);
    expect(info.stdout).toMatch(
      /road {5}avc1\.640028 1920x1080 {2}300 frames, 10 key frames, .* 2026-01-01T00:00:00\.000Z \.\. 2026-01-01T00:00:09\.966667Z/,
    );
    expect(info.stdout).toMatch(/cabin {4}\(empty\) 0x0 {2}0 frames/);
    expect(info.stdout).toMatch(
      /drives\n {2}#\d+ {2}2026-01-01T00:00:00\.000Z \.\. 2026-01-01T00:00:09\.966667Z {2}300 frames {2}\(road\)/,
    );
    const verify = await ringclip('verify', store);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^\d+ records, .* checked: clean\n$/);
  });

  it('a relative time on a store with no footage says there is none', async () => {
    const empty = `${tmp.dir}/empty.ring`;
    expect(
      (await ringclip('create', empty, '--capacity', '32MiB', '--segment-size', '4MiB', '--stream', 'cam')).status,
    ).toBe(0);
    const r = await ringclip('clip', empty, '--from', '+0', '--to', '+1', '-o', `${tmp.dir}/none.mp4`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--from '+0' is relative to the first retained frame, but there is no footage");
  });

  it('clip --format other than mp4 or h264 is refused', async () => {
    const r = await ringclip(
      'clip',
      store,
      '--from',
      '+0',
      '--to',
      '+1',
      '--format',
      'webm',
      '-o',
      `${tmp.dir}/x.webm`,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--format is mp4 or h264, got 'webm'");
  });

  it('cut --exact --fragmented of a clip the CLI wrote', async () => {
    const mp4 = `${tmp.dir}/report.mp4`;
    expect(
      (await ringclip('clip', store, '--from', '+0', '--to', '+4', '--streams', 'road', '--exact', '-o', mp4)).status,
    ).toBe(0);
    const out = `${tmp.dir}/cut.mp4`;
    const r = await ringclip('cut', mp4, '--from', '+1', '--to', '+2', '--exact', '--fragmented', '-o', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*cut\.mp4: .*, road 30 frames\n$/);
    const backwards = await ringclip('cut', mp4, '--from', '+2', '--to', '+1', '-o', out);
    expect(backwards.stderr).toMatch(/--to \(.*\) must be after --from \(.*\)/);
  });

  it('an unreadable --stream file is named', async () => {
    const r = await ringclip('ingest', store, '--stream', `road=${tmp.dir}/missing.h264`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cannot read '${tmp.dir}/missing.h264'`);
  });

  it('demo records the fixtures and prints what it made', async () => {
    const dir = `${tmp.dir}/demo`;
    mkdirSync(dir);
    const r = await ringclip('demo', '--dir', dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`recorded 3 minutes of road + cabin into ${dir}/dashcam.ring`);
    expect(r.stdout).toMatch(/cut a 10 s dual clip: .*event\.mp4/);
  });

  it('ingest counts units it could not parse and frames dropped before the first key frame', async () => {
    const units = splitAccessUnits(fixture(FIXTURES.road));
    // The first unit's parameter sets, without its IDR slice: the next 4 frames (non-IDR)
    // are parsed but dropped; without the parameter sets they cannot even be parsed.
    const first = units[0];
    const idr = nalUnitStarts(first).find((n) => (first[n.header] & 0x1f) === 5)!;
    const cases = [
      {
        name: 'dropped',
        bytes: Buffer.concat([first.subarray(0, idr.at), ...units.slice(1)]),
        note: 'dropped 29 before the first key frame',
      },
      { name: 'rejected', bytes: Buffer.concat(units.slice(1)), note: 'rejected 29 unparseable units' },
    ];
    for (const c of cases) {
      const file = `${tmp.dir}/${c.name}.h264`;
      writeFileSync(file, c.bytes);
      const path = `${tmp.dir}/${c.name}.ring`;
      expect(
        (await ringclip('create', path, '--capacity', '32MiB', '--segment-size', '4MiB', '--stream', 'road')).status,
      ).toBe(0);
      const r = await ringclip('ingest', path, '--stream', `road=${file}`);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`road: stored 270 frames at 30 fps from ${file}, ${c.note}\n`);
    }
  });

  it('verify of a store with a damaged payload reports it and fails (status 1)', async () => {
    const path = `${tmp.dir}/damaged.ring`;
    expect(
      (await ringclip('create', path, '--capacity', '32MiB', '--segment-size', '4MiB', '--stream', 'road')).status,
    ).toBe(0);
    expect((await ringclip('ingest', path, '--stream', `road=${fixturesDir}/${FIXTURES.road}`)).status).toBe(0);
    // Payloads are stored as they arrive: flip a byte inside the 11th access unit's slice data.
    const ring = readFileSync(path);
    const unit = splitAccessUnits(fixture(FIXTURES.road))[10];
    const at = ring.indexOf(unit.subarray(unit.length - 64, unit.length - 32));
    expect(at).toBeGreaterThan(0);
    ring[at] ^= 0xff;
    writeFileSync(path, ring);
    const r = await ringclip('verify', path);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^\d+ records, .* checked: 1 bad records\n {2}.+/);
  });

  it('--version in-process, and options after -- are positionals', async () => {
    expect((await ringclip('--version')).stdout).toMatch(/^ringclip \d+\.\d+\.\d+\n$/);
    const short = await ringclip('info', 'x.ring', '-x');
    expect(short.stderr).toContain('unknown option `-x`');
    const dashes = await ringclip('info', '--', '--not-an-option');
    expect(dashes.stderr).not.toContain('unknown option');
    expect(dashes.status).toBe(1);
  });
});
