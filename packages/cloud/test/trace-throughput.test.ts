/**
 * A 200,000-sample trace does not change its owner's request rate (issue 16/17): the trace
 * lives in the clip file's camm track, and a legacy gsensor metadata field of the same size
 * is not kept in the row. Two users with the same clips, one of them also holding a clip
 * whose file carries 200,000 accelerometer samples and whose metadata carried a 200,000-sample
 * trace: the same number of list and ranged-video requests take within 2x as long for
 * both (a ratio measured in this run, on 127.0.0.1, never an absolute time).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { Api, makeClip, useSqliteService } from './helpers.js';
import { makeTelemetryClip } from './telemetry-fixture.js';

const svc = useSqliteService();
const SAMPLES = 200_000;
let plainUser: Api;
let traceUser: Api;
let plainClip: string;
let traceClip: string;

async function upload(api: Api, bytes: Buffer): Promise<string> {
  const id = randomUUID();
  const r = await api.upload(id, bytes);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return id;
}

/** `n` requests, `concurrency` at a time: how long they took (ms). Every answer must be `status`. */
async function timed(
  n: number,
  concurrency: number,
  request: () => Promise<Response>,
  status: number,
): Promise<number> {
  let left = n;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const r = await request();
        await r.arrayBuffer();
        expect(r.status).toBe(status);
      }
    }),
  );
  return performance.now() - t0;
}

/** Durations of the same work for both, alternating (a warm-up round first, not counted). */
async function compare(
  plain: () => Promise<Response>,
  heavy: () => Promise<Response>,
  status: number,
): Promise<{ plain: number; heavy: number; ratio: number }> {
  await timed(20, 4, plain, status);
  await timed(20, 4, heavy, status);
  // Short alternating rounds, the ratio their median: a burst of load from elsewhere on the
  // machine lands on one round, not on one side.
  let p = 0;
  let h = 0;
  const ratios: number[] = [];
  for (let round = 0; round < 10; round++) {
    const a = await timed(30, 4, plain, status);
    const b = await timed(30, 4, heavy, status);
    p += a;
    h += b;
    ratios.push(b / a);
  }
  ratios.sort((x, y) => x - y);
  return { plain: p, heavy: h, ratio: (ratios[4]! + ratios[5]!) / 2 };
}

beforeAll(async () => {
  plainUser = new Api(svc.server.url, (await svc.server.service.createToken('plain-owner')).token);
  traceUser = new Api(svc.server.url, (await svc.server.service.createToken('trace-owner')).token);
  const small = (await makeClip(svc.tmp.dir, 3)).bytes;
  const heavy = await makeTelemetryClip(svc.tmp.dir, { seconds: 4, accelSamples: SAMPLES, gpsHz: 10 });
  expect(heavy.accelCount).toBe(SAMPLES);
  for (const api of [plainUser, traceUser]) for (let i = 0; i < 5; i++) await upload(api, small);
  plainClip = await upload(plainUser, small);
  traceClip = await upload(traceUser, heavy.bytes);
  // The trace a legacy app sends with it: 200,000 samples, as compact as JSON gets (3.4 MB).
  const gsensor = Array.from({ length: SAMPLES }, (_, i) => [Math.round(i) / 100, 0, -1, 0]);
  const m = await traceUser.metadata(traceClip, { kind: 'hard_brake', gsensor });
  expect(m.status, JSON.stringify(m.body).slice(0, 300)).toBe(200);
  const tel = await traceUser.json(`/v1/clips/${traceClip}/telemetry?maxPoints=10`);
  expect(tel.body.accel.samples).toBe(SAMPLES);
}, 180_000);

describe('a 200,000-sample trace', () => {
  it("leaves its owner's list rate within 2x of an owner without one", async () => {
    const r = await compare(
      () => plainUser.fetch('/v1/clips'),
      () => traceUser.fetch('/v1/clips'),
      200,
    );
    console.log(
      `list: 300 requests ${r.plain.toFixed(0)} ms without a trace, ${r.heavy.toFixed(0)} ms with one (median ratio of 10 alternating rounds ${r.ratio.toFixed(2)})`,
    );
    expect(r.ratio).toBeLessThan(2);
    const row = (await traceUser.json('/v1/clips')).body.clips.find((c: { id: string }) => c.id === traceClip);
    expect(row).toMatchObject({ hasTrace: true });
    expect(JSON.stringify(row).length).toBeLessThan(3000);
  });

  it("leaves its owner's ranged-video rate within 2x of an owner without one", async () => {
    const range = { headers: { range: 'bytes=0-65535' } };
    for (const track of ['road', 'both']) {
      const r = await compare(
        () => plainUser.fetch(`/v1/clips/${plainClip}/video?track=${track}`, range),
        () => traceUser.fetch(`/v1/clips/${traceClip}/video?track=${track}`, range),
        206,
      );
      console.log(
        `ranged video (${track}): 300 requests ${r.plain.toFixed(0)} ms without a trace, ${r.heavy.toFixed(0)} ms with one (median ratio of 10 alternating rounds ${r.ratio.toFixed(2)})`,
      );
      expect(r.ratio).toBeLessThan(2);
    }
  });
});

/** A user's load from a process of its own (load-user.mjs), steered by 'go' and 'pause'. */
async function loadOf(api: Api, connections: number, paths: string[]) {
  const child = spawn(
    process.execPath,
    [new URL('./load-user.mjs', import.meta.url).pathname, api.base, api.token!, String(connections), ...paths],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  // A user's client runs on their own machine, not beside the server: here it shares two
  // cores with it, so it runs at a lower priority, and what is measured is how the server
  // shares its turns, not how the kernel shares the cores with a reader of GB/s.
  setPriority(child.pid!, 10);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const report = async () => {
    child.stdin.write('report\n');
    const line = await lines.next();
    if (line.done) throw new Error('the load process ended before it reported');
    return JSON.parse(line.value) as {
      requests: number;
      bytes: number;
      statuses: Record<string, number>;
      inFlight: number;
    };
  };
  return {
    go: () => child.stdin.write('go\n'),
    /** Pauses, and waits until its requests in flight are answered. */
    pause: async () => {
      child.stdin.write('pause\n');
      for (let r = await report(); r.inFlight > 0; r = await report()) await new Promise((ok) => setTimeout(ok, 20));
    },
    report,
    stop: async () => {
      const exited = once(child, 'exit');
      child.stdin.end();
      const [code] = await exited;
      expect(code).toBe(0);
    },
  };
}

/** Latencies (ms) of `n` requests one after another; every answer must be 200. */
async function latencies(n: number, request: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await request();
    await r.arrayBuffer();
    out.push(performance.now() - t0);
    expect(r.status).toBe(200);
  }
  return out;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

describe("one user's load on their heaviest clip", () => {
  it("leaves another user's list latency within 2x of what it is without that load", async () => {
    // The trace owner pulls everything of the clip with the 200,000-sample trace over 8
    // connections (twice the per-user budget): the clip's JSON, its telemetry as JSON, GPX
    // and CSV, the dual-track file whole, and 1 MiB ranges of one camera.
    const clip = `/v1/clips/${traceClip}`;
    const load = await loadOf(traceUser, 8, [
      clip,
      `${clip}/telemetry`,
      `${clip}/video?track=both`,
      `${clip}/telemetry.gpx`,
      `${clip}/video?track=road bytes=0-1048575`,
      `${clip}/telemetry.csv`,
      `${clip}/video?track=road bytes=1048576-2097151`,
    ]);
    try {
      const list = () => plainUser.fetch('/v1/clips');
      await latencies(20, list); // warm-up
      const ratios: number[] = [];
      const alone: number[] = [];
      const loaded: number[] = [];
      // Alternating rounds: a burst from elsewhere on the machine lands on one round, not on
      // one side; the verdict is the median of the rounds' ratios. Eleven of them: on two
      // cores shared with another test file and alice's own reader, single rounds ranged
      // 0.96-3.08 while the medians of seven ranged 1.31-2.07.
      for (let round = 0; round < 11; round++) {
        const a = await latencies(25, list);
        load.go();
        await new Promise((ok) => setTimeout(ok, 100));
        const b = await latencies(25, list);
        await load.pause();
        alone.push(...a);
        loaded.push(...b);
        ratios.push(median(b) / median(a));
      }
      const r = await load.report();
      console.log(
        `bob's list: median ${median(alone).toFixed(2)} ms alone, ${median(loaded).toFixed(2)} ms while alice loads her heaviest clip (round ratios ${ratios.map((x) => x.toFixed(2)).join(' ')}); alice: ${r.requests} requests, ${(r.bytes / 1e6).toFixed(0)} MB, statuses ${JSON.stringify(r.statuses)}`,
      );
      // The load was real: alice's requests were answered (429s allowed: her line is full).
      expect(r.statuses['200'] ?? 0).toBeGreaterThan(20);
      expect(median(ratios)).toBeLessThan(2);
    } finally {
      await load.stop();
    }
  }, 120_000);
});
