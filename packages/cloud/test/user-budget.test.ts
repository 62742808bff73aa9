/**
 * The per-user request budget (issue 17 item 4): one user's load waits in that user's own
 * line. Unit: slots, first-come order, 429 + Retry-After past the queue. Service: while
 * alice's budget is full (an open video response), her next request waits, the one after is
 * refused with 429, and bob is answered at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserBudget } from '../src/user-budget.js';
import { Api, makeClip, sqliteBackend, tempDir, type Backend } from './helpers.js';
import type { Server } from '../src/server.js';

describe('UserBudget', () => {
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
    // Another user is not in alice's line.
    const bob = await b.acquire('bob');
    bob();
    r1();
    r1(); // a second call gives nothing back twice
    const r3 = await w3;
    expect(b.load('alice')).toEqual({ active: 2, waiting: 1 });
    r2();
    const r4 = await w4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(b.load('alice')).toEqual({ active: 0, waiting: 0 });
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
    // One slot and one place in line per user, so a single open response fills alice's budget.
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
    // Alice's video response stays open while her client does not read it (tens of MB).
    const hold = new AbortController();
    const open = await alice.fetch(`/v1/clips/${big}/video?track=both`, { signal: hold.signal });
    expect(open.status).toBe(200);
    expect(server.service.budget.load((await server.service.authenticate(`Bearer ${alice.token}`)).id)).toEqual({
      active: 1,
      waiting: 0,
    });
    let waitedDone = false;
    const waited = alice.json('/v1/clips').then((r) => {
      waitedDone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
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
    // Alice's client lets go of the open response: her waiting request is served.
    hold.abort();
    const w = await waited;
    expect(w.status).toBe(200);
    expect(w.body.clips.map((c: { id: string }) => c.id)).toEqual([big]);
    expect(server.service.budget.refused).toBe(1);
  }, 60_000);
});
