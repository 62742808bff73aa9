/**
 * The per-user request budget (issue 17 item 4): one user's load waits in that user's own
 * line. Unit: slots, first-come order, 429 + Retry-After past the queue, the budget shared
 * among the users asking, a slot given back while its client does not read. Service: while
 * alice's budget is full (an upload in the works), her next request waits, the one after is
 * refused with 429, and bob is answered at once; a paused video holds no slot.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARE_WINDOW_MS, UserBudget } from '../src/user-budget.js';
import { Api, makeClip, sqliteBackend, tempDir, until, type Backend } from './helpers.js';
import type { Server } from '../src/server.js';

describe('UserBudget', () => {
  it('gives a slot back while its client does not read, takes one again after, and is never refused for it', async () => {
    const b = new UserBudget(1, 1);
    const video = await b.acquire('alice');
    let reading!: () => void;
    const client = new Promise<void>((r) => (reading = r));
    const idle = video.idle(client);
    expect(b.load('alice')).toEqual({ active: 0, waiting: 0 });
    const list = await b.acquire('alice'); // served while the video waits for its client
    const second = b.acquire('alice'); // waits in line (queue of 1)
    expect(b.load('alice')).toEqual({ active: 1, waiting: 1 });
    reading();
    await Promise.resolve();
    // The video's turn comes after the request already waiting, past the queue's length.
    expect(b.load('alice')).toEqual({ active: 1, waiting: 2 });
    list.release();
    (await second).release();
    await idle;
    expect(b.load('alice')).toEqual({ active: 1, waiting: 0 });
    video.release();
    expect(b.load('alice')).toEqual({ active: 0, waiting: 0 });
    expect(b.refused).toBe(0);
    // Released while idle (the client went away): nothing is taken back.
    const gone = await b.acquire('alice');
    let away!: () => void;
    const idle2 = gone.idle(new Promise<void>((r) => (away = r)));
    gone.release();
    away();
    await idle2;
    expect(b.load('alice')).toEqual({ active: 0, waiting: 0 });
  });

  it('serves inFlight at once per user, then in arrival order, then refuses with 429 and Retry-After', async () => {
    const b = new UserBudget(2, 2);
    const r1 = await b.acquire('alice');
    const r2 = await b.acquire('alice');
    const order: number[] = [];
    const w3 = b.acquire('alice').then((r) => {
      order.push(3);
      return r;
    });
    const w4 = b.acquire('alice').then((r) => {
      order.push(4);
      return r;
    });
    expect(b.load('alice')).toEqual({ active: 2, waiting: 2 });
    await expect(b.acquire('alice')).rejects.toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    expect(b.refused).toBe(1);
    r1.release();
    r1.release(); // a second call gives nothing back twice
    const r3 = await w3;
    expect(b.load('alice')).toEqual({ active: 2, waiting: 1 });
    r2.release();
    const r4 = await w4;
    expect(order).toEqual([3, 4]);
    r3.release();
    r4.release();
    expect(b.load('alice')).toEqual({ active: 0, waiting: 0 });
  });

  it('shares the budget among the users asking: alone the whole of it, beside another half, whole again after the window', async () => {
    let now = 0;
    const b = new UserBudget(4, 8, () => now);
    const alice = await Promise.all([1, 2, 3, 4].map(() => b.acquire('alice')));
    expect(b.share()).toBe(4);
    let served = 0;
    const waiting = [1, 2, 3].map(() => b.acquire('alice').then((r) => (served++, r)));
    // Bob asks: he is served at once (his line is empty), and alice's share is now 2.
    now += 10;
    const bob = await b.acquire('bob');
    expect(b.share()).toBe(2);
    // Alice's first two answers do not pass their slots on: she is over her share.
    alice[0]!.release();
    alice[1]!.release();
    await Promise.resolve();
    expect(served).toBe(0);
    expect(b.load('alice')).toEqual({ active: 2, waiting: 3 });
    // At her share, a slot passes to her next request.
    alice[2]!.release();
    await waiting[0];
    expect(served).toBe(1);
    expect(b.load('alice')).toEqual({ active: 2, waiting: 2 });
    bob.release();
    // Bob has not asked for a second: alice has the whole budget again, from her next answer on.
    now += SHARE_WINDOW_MS + 1;
    expect(b.share()).toBe(4);
    alice[3]!.release();
    const rest = await Promise.all(waiting.slice(1));
    expect(served).toBe(3);
    expect(b.load('alice')).toEqual({ active: 3, waiting: 0 });
    for (const r of [await waiting[0], ...rest]) r.release();
    expect(b.load('alice')).toEqual({ active: 0, waiting: 0 });
    // Never less than one at once, however many users ask.
    for (let u = 0; u < 10; u++) (await b.acquire(`user${u}`)).release();
    expect(b.share()).toBe(1);
  });
});

describe('the budget in the service', () => {
  const tmp = tempDir();
  let backend: Backend;
  let server: Server;
  let alice: Api;
  let bob: Api;
  let big: string;
  beforeAll(async () => {
    backend = sqliteBackend();
    // One slot and one place in line per user, so a single request in the works fills alice's budget.
    server = await backend.start({ userInFlight: 1, userQueue: 1 });
    alice = new Api(server.url, (await server.service.createToken('alice')).token);
    bob = new Api(server.url, (await server.service.createToken('bob')).token);
    big = randomUUID();
    expect((await alice.upload(big, (await makeClip(tmp.dir, 20)).bytes)).status).toBe(201);
    expect((await bob.upload(randomUUID(), (await makeClip(tmp.dir, 1)).bytes)).status).toBe(201);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await backend?.cleanup();
    tmp.cleanup();
  });

  it("holds alice's extra requests in her line, refuses past it with 429 + Retry-After, and answers bob meanwhile", async () => {
    // Alice's upload is worked on while its body arrives: half of it is sent, then nothing.
    const body = (await makeClip(tmp.dir, 2)).bytes;
    const upload = request(`${server.url}/v1/clips/${randomUUID()}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${alice.token}`,
        'content-type': 'application/octet-stream',
        'content-length': body.length,
      },
    });
    const uploaded = new Promise<number>((resolve, reject) => {
      upload.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      upload.on('error', reject);
    });
    upload.write(body.subarray(0, body.length >> 1));
    const aliceId = (await server.service.authenticate(`Bearer ${alice.token}`)).id;
    await until(async () => server.service.budget.load(aliceId).active === 1);
    let waitedDone = false;
    const waited = alice.json('/v1/clips').then((r) => {
      waitedDone = true;
      return r;
    });
    await until(async () => server.service.budget.load(aliceId).waiting === 1);
    const refused = await alice.json('/v1/clips');
    expect(refused.status).toBe(429);
    expect(refused.res.headers.get('retry-after')).toBe('1');
    expect(refused.body.error).toMatchObject({ code: 'too_many_requests' });
    expect(refused.body.error.message).toMatch(/in flight/);
    // Bob is not in alice's line.
    const b = await bob.json('/v1/clips');
    expect(b.status).toBe(200);
    expect(b.body.clips).toHaveLength(1);
    expect(waitedDone).toBe(false);
    // The rest of the upload arrives: it is stored, then her waiting request is served.
    upload.end(body.subarray(body.length >> 1));
    expect(await uploaded).toBe(201);
    const w = await waited;
    expect(w.status).toBe(200);
    expect(w.body.clips).toHaveLength(2);
    expect(server.service.budget.refused).toBe(1);
  }, 60_000);

  it("does not count a response whose client is not reading: alice's paused video leaves her slot free", async () => {
    // A paused <video> keeps its response open and reads nothing (tens of MB are left to send).
    const hold = new AbortController();
    const open = await alice.fetch(`/v1/clips/${big}/video?track=both`, { signal: hold.signal });
    expect(open.status).toBe(200);
    const aliceId = (await server.service.authenticate(`Bearer ${alice.token}`)).id;
    // Once the sockets' buffers are full the response waits for its client, off the budget.
    await until(async () => server.service.budget.load(aliceId).active === 0);
    const list = await alice.json('/v1/clips');
    expect(list.status).toBe(200);
    // The client reads again: the response takes a slot again and finishes whole.
    const bytes = Buffer.from(await open.arrayBuffer());
    expect(bytes.length).toBe(Number(open.headers.get('content-length')));
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    await until(async () => server.service.budget.load(aliceId).active === 0);
    expect(server.service.budget.refused).toBe(1); // the one of the test before
  }, 60_000);
});
