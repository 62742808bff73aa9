// Serving video over HTTP: the cloud's GET /v1/clips/:id/video against nginx (sendfile) serving
// the very same bytes, both on 127.0.0.1 in processes of their own, with keep-alive and 4
// connections from a bounded load generator (wrk, one thread, a fixed number of seconds).
//  - per-track MP4 (track=road: a virtual MP4 the engine builds over the stored file), full GETs
//  - the same, 1 MiB range GETs at offsets spread over the file
//  - the stored dual-track file as is (track=both), full GETs
// Ratio = cloud req/s / nginx req/s (target ≥ 0.8). Where nginx is not installed the baseline is
// Node's static file serving (fs streams) in the bench process, and the row says so.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SegmentStore } from '../../dist/index.js';
import { T0, fmt, recordDual, row } from '../lib/common.js';
import { nginxBinary, startNginx, startNodeStatic } from '../lib/nginx.js';

export const title = 'serve: cloud video GETs vs nginx sendfile';

const CONNECTIONS = 4;
const MiB = 1 << 20;

async function dualMp4(dir, seconds) {
  const store = await SegmentStore.create(join(dir, 'serve.ring'), {
    capacity: '128MiB',
    segmentSize: '4MiB',
    streams: ['road', 'cabin'],
  });
  recordDual(store, seconds + 1);
  const clip = store.clip({ from: T0, to: T0 + seconds * 1e6 });
  const path = join(dir, 'serve-source.mp4');
  await clip.writeMP4(path);
  clip.release();
  await store.close();
  return path;
}

async function startCloud(root, dir, mp4) {
  const child = spawn(process.execPath, [join(root, 'bench/lib/serve-cloud.js'), dir, mp4], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the cloud exited (${code}) before serving`);
    }),
  ]);
  return {
    ...JSON.parse(line),
    stop: async () => {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

/**
 * wrk (C, one thread) for `seconds` over CONNECTIONS keep-alive connections; each request's
 * Range cycles through `ranges` when given. A JS load generator (autocannon was tried) parses
 * the bodies it receives at ~50 MB/s here and would measure itself, not the servers.
 */
async function load(ctx, url, seconds, headers = {}, ranges = null, connections = CONNECTIONS) {
  const script = join(ctx.dir, `wrk-${process.pid}-${++scripts}.lua`);
  const lua = (v) => JSON.stringify(v); // a JSON string is a valid Lua string literal here (ASCII)
  writeFileSync(
    script,
    `local ranges = { ${(ranges ?? []).map(lua).join(', ')} }
local i = 0
request = function()
  local h = { ${Object.entries(headers)
    .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
    .join(', ')} }
  if #ranges > 0 then i = i + 1; h["Range"] = ranges[(i % #ranges) + 1] end
  return wrk.format("GET", nil, h)
end
`,
  );
  const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`wrk ${url}: ${stderr || stdout}`);
  const num = (re) => Number((re.exec(stdout) ?? [])[1]);
  const bad = num(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const errors = /Socket errors: (.*)/.exec(stdout)?.[1];
  if (bad || errors) throw new Error(`${url}: ${bad} non-2xx responses; socket errors: ${errors ?? 'none'}\n${stdout}`);
  const rate = num(/Requests\/sec:\s+([\d.]+)/);
  if (!(rate > 0)) throw new Error(`wrk ${url}: no requests/sec in\n${stdout}`);
  const p99 = /^\s+99%\s+(\S+)/m.exec(stdout)?.[1];
  return { rate, p99 };
}
let scripts = 0;

export async function run(ctx) {
  if (spawnSync('wrk', ['-v']).error)
    throw new Error('wrk is not installed: apt-get install wrk (.ci/run installs it)');
  const dir = join(ctx.dir, 'serve');
  const www = join(dir, 'www');
  mkdirSync(www, { recursive: true });
  const mp4 = await dualMp4(dir, 16);
  const cloud = await startCloud(ctx.root, join(dir, 'cloud'), mp4);
  const auth = { authorization: `Bearer ${cloud.token}` };
  const video = (track) => `${cloud.url}/v1/clips/${cloud.id}/video?track=${track}`;
  // The baseline serves the bytes the cloud serves: fetched once from it.
  const sizes = {};
  for (const track of ['road', 'both']) {
    const res = await fetch(video(track), { headers: auth });
    if (res.status !== 200) throw new Error(`GET ${track}: HTTP ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    writeFileSync(join(www, `${track}.mp4`), bytes);
    sizes[track] = bytes.length;
  }
  const nginx = nginxBinary();
  const base = nginx ? await startNginx(nginx, join(dir, 'nginx'), www) : await startNodeStatic(www);
  const baseName = nginx ? 'nginx (sendfile, 1 worker)' : 'Node static files (nginx not installed)';
  const size = sizes.road;
  const ranges = [];
  for (let at = 0; at + MiB <= size; at += MiB) ranges.push(`bytes=${at}-${at + MiB - 1}`);
  const seconds = ctx.ci ? 3 : 10;
  const rows = [];
  try {
    const cases = [
      {
        name: 'serve: full GETs of a per-track MP4 (track=road), 4 connections',
        cloud: video('road'),
        base: `${base.url}/road.mp4`,
        size: sizes.road,
      },
      {
        name: 'serve: 1 MiB range GETs of a per-track MP4 (track=road), 4 connections',
        cloud: video('road'),
        base: `${base.url}/road.mp4`,
        ranges,
      },
      {
        name: 'serve: full GETs of the stored dual-track MP4 (track=both), 4 connections',
        cloud: video('both'),
        base: `${base.url}/both.mp4`,
        size: sizes.both,
      },
    ];
    for (const c of cases) {
      // warm-up: JIT, page cache, the cloud's virtual file cache, connection setup
      await load(ctx, c.cloud, 1, auth, c.ranges);
      await load(ctx, c.base, 1, {}, c.ranges);
      const ours = await load(ctx, c.cloud, seconds, auth, c.ranges);
      const theirs = await load(ctx, c.base, seconds, {}, c.ranges);
      const ratio = ours.rate / theirs.rate;
      if (ctx.verbose)
        console.log(
          `\n    ${c.name}: cloud ${fmt(ours.rate)} req/s (p99 ${ours.p99}), ${baseName} ${fmt(theirs.rate)} req/s (p99 ${theirs.p99})`,
        );
      rows.push(
        row({
          name: c.name,
          value: ours.rate,
          unit: 'req/s',
          extra: `${fmt((ours.rate * (c.ranges ? MiB : c.size)) / 1e6)} MB/s`,
          baseline: baseName,
          baselineValue: theirs.rate,
          ratio,
          target: { text: '≥ 0.8× nginx', ok: ratio >= 0.8 },
        }),
      );
    }
    // Another user's list while one user streams video over 4 connections: one user's load
    // must not starve the others (issue 17 item 4). Ratio = list req/s under load / alone.
    const list = `${cloud.url}/v1/clips`;
    const bob = { authorization: `Bearer ${cloud.otherToken}` };
    await load(ctx, list, 1, bob, null, 2);
    const alone = await load(ctx, list, seconds, bob, null, 2);
    const [loaded] = await Promise.all([
      load(ctx, list, seconds, bob, null, 2),
      load(ctx, video('road'), seconds, auth),
    ]);
    const ratio = loaded.rate / alone.rate;
    if (ctx.verbose)
      console.log(
        `\n    list: alone ${fmt(alone.rate)} req/s (p99 ${alone.p99}), while video streams ${fmt(loaded.rate)} req/s (p99 ${loaded.p99})`,
      );
    rows.push(
      row({
        name: 'list: GET /v1/clips (2 connections) while another user streams video (4 connections)',
        value: loaded.rate,
        unit: 'req/s',
        extra: `p99 ${loaded.p99}`,
        baseline: 'the same list with no other load',
        baselineValue: alone.rate,
        ratio,
        target: { text: '≥ 0.5 (within 2× of alone)', ok: ratio >= 0.5 },
      }),
    );
  } finally {
    await base.stop();
    await cloud.stop();
  }
  return rows;
}
