/**
 * The emergency live relay: a publisher (the phone, or a dashcam with its own connectivity)
 * sends the device's live fragmented MP4; any number of viewers holding the share link
 * watch it with a few seconds of latency, until the link expires (default 1 h) or is revoked.
 *
 * The relay runs on the engine, like every other hop: each link has a small ring store of
 * its own (RINGCLIP's SegmentStore, a fixed file), the publisher's bytes go in through
 * `createFragmentedWriteStream()` (prft capture times kept to the µs), and each viewer gets
 * `liveMP4({ from: 'keyframe' })`: the init segment, then the latest key frame on. So:
 * - a late viewer starts at the newest GOP boundary, not at the start of the stream;
 * - memory is bounded by design: the ring's capacity per link, and per viewer one socket
 *   buffer — a viewer that stops draining for `slowViewerMs`, or lets more than
 *   `maxBufferedBytes` pile up, is dropped (its follower would otherwise skip ahead anyway);
 * - links live in this instance's memory: a scale-out deployment routes /l/ and the
 *   publisher of one link to one instance (documented limit).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SegmentStore, type FragmentedWriteStats, type FragmentedWriteStream, type LiveMP4Stream } from 'ringclip';
import { HttpError, badRequest, notFound } from '../errors.js';
import type { User } from '../meta.js';
import { SHARE_SHAPE, hashToken, newShareToken } from '../tokens.js';
import { parseContacts, type Delivery, type Notifier } from './notifier.js';

export interface LiveRelayOptions {
  /** ring file per link (default 64 MiB: ~25 s of the default road + cabin cameras) */
  ringBytes?: number;
  /** default link lifetime, seconds (3600) and the longest (86400) */
  ttlDefault?: number;
  ttlMax?: number;
  /** a viewer whose socket has not drained for this long is dropped (10 s) */
  slowViewerMs?: number;
  /** ... or that has more than this waiting in its socket buffer (8 MiB) */
  maxBufferedBytes?: number;
  /** links live at once on this instance (100) */
  maxLinks?: number;
  /** viewers of one link at once (100): a leaked link cannot open followers without bound */
  maxViewers?: number;
}

export const LIVE_STREAMS = ['road', 'cabin'] as const;

type EndReason = 'expired' | 'revoked' | 'closed';

interface Viewer {
  live: LiveMP4Stream;
  res: ServerResponse;
  stream: string;
}

interface Link {
  id: string;
  hash: string;
  userId: string;
  streams: string[];
  createdAt: number;
  expiresAt: number;
  ended: EndReason | null;
  endedAt: number | null;
  event: { kind: string; time: string } | null;
  store: SegmentStore | null;
  path: string;
  publisher: Readable | null;
  /** the publisher's ingest while it sends (its fragments count in stats) */
  writer: FragmentedWriteStream | null;
  ingest: Promise<unknown> | null;
  viewers: Set<Viewer>;
  timer: NodeJS.Timeout | null;
  notified: Delivery[];
  stats: {
    fragments: number;
    bytesIn: number;
    viewersServed: number;
    viewersDropped: number;
    publishes: number;
    publisherDrops: number;
  };
}

/** Ended links answer 410 for a day, then 404 (they hold no footage: the ring is deleted). */
const TOMBSTONE_MS = 86_400_000;

export class LiveRelay {
  readonly dir: string;
  readonly #opts: Required<LiveRelayOptions>;
  readonly #notifier: Notifier;
  readonly #byId = new Map<string, Link>();
  readonly #byHash = new Map<string, Link>();
  /** failures the relay met outside a request (a webhook, closing a ring): counted and logged */
  readonly problems: string[] = [];

  constructor(dir: string, notifier: Notifier, options: LiveRelayOptions = {}) {
    this.dir = dir;
    this.#notifier = notifier;
    this.#opts = {
      ringBytes: options.ringBytes ?? 64 * 2 ** 20,
      ttlDefault: options.ttlDefault ?? 3600,
      ttlMax: options.ttlMax ?? 86_400,
      slowViewerMs: options.slowViewerMs ?? 10_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 8 * 2 ** 20,
      maxLinks: options.maxLinks ?? 100,
      maxViewers: options.maxViewers ?? 100,
    };
  }

  async start(): Promise<void> {
    // Rings of links from an earlier run: their viewers and publishers are gone with it.
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true });
  }

  /** POST /v1/live: a new link (its token shown once); the contacts are notified in the background. */
  async create(user: User, body: Record<string, unknown>, base: string) {
    this.#prune();
    const live = [...this.#byId.values()].filter((l) => !l.ended).length;
    if (live >= this.#opts.maxLinks)
      throw new HttpError(503, 'too_many_links', `this instance relays ${live} live links already: try again later`);
    let ttl = this.#opts.ttlDefault;
    if (body.expiresIn !== undefined) {
      const v = body.expiresIn;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > this.#opts.ttlMax)
        throw badRequest(`expiresIn must be seconds from 1 to ${this.#opts.ttlMax}`);
      ttl = v;
    }
    const streams = body.streams === undefined ? ['road'] : body.streams;
    if (
      !Array.isArray(streams) ||
      streams.length === 0 ||
      streams.some((s) => !LIVE_STREAMS.includes(s as 'road')) ||
      new Set(streams).size !== streams.length
    ) {
      throw badRequest(
        `streams must list road and/or cabin (cabin only when the driver allows it), got ${JSON.stringify(body.streams)}`,
      );
    }
    const contacts = parseContacts(body.contacts);
    let event: Link['event'] = null;
    if (body.event !== undefined) {
      const e = body.event as Record<string, unknown>;
      if (
        !e ||
        typeof e.kind !== 'string' ||
        typeof e.time !== 'string' ||
        e.kind.length > 40 ||
        Number.isNaN(Date.parse(e.time))
      )
        throw badRequest('event must be { kind, time } (time in ISO-8601)');
      event = { kind: e.kind, time: e.time };
    }
    const token = newShareToken();
    const id = randomUUID();
    const now = Date.now();
    const path = join(this.dir, `${id}.ring`);
    const store = await SegmentStore.create(path, {
      capacity: this.#opts.ringBytes,
      segmentSize: '4MiB',
      streams: streams as string[],
    });
    const link: Link = {
      id,
      hash: hashToken(token),
      userId: user.id,
      streams: streams as string[],
      createdAt: now,
      expiresAt: now + Math.round(ttl * 1000),
      ended: null,
      endedAt: null,
      event,
      store,
      path,
      publisher: null,
      writer: null,
      ingest: null,
      viewers: new Set(),
      timer: null,
      notified: [],
      stats: { fragments: 0, bytesIn: 0, viewersServed: 0, viewersDropped: 0, publishes: 0, publisherDrops: 0 },
    };
    link.timer = setTimeout(() => {
      void this.#end(link, 'expired');
    }, link.expiresAt - now);
    link.timer.unref();
    this.#byId.set(id, link);
    this.#byHash.set(link.hash, link);
    const url = `${base}/l/${token}`;
    const notice = { url, expiresAt: new Date(link.expiresAt).toISOString(), from: user.name, event };
    for (const c of contacts) {
      void this.#notifier.notify(c, notice).then(
        (d) => {
          link.notified.push(...d);
          for (const x of d) if (!x.ok) this.#problem(`notifying ${x.contact} by ${x.via}: ${x.error ?? 'failed'}`);
        },
        (err: unknown) => {
          link.notified.push({ contact: c.name, via: 'log', ok: false, error: String(err) });
          this.#problem(`notifying ${c.name}: ${String(err)}`);
        },
      );
    }
    return { ...this.#view(link), token, url, ingest: `/v1/live/${id}/stream`, contacts: contacts.length };
  }

  list(user: User) {
    this.#prune();
    return [...this.#byId.values()].filter((l) => l.userId === user.id).map((l) => this.#view(l));
  }

  get(user: User, id: string) {
    return this.#view(this.#own(user, id));
  }

  /** DELETE /v1/live/:id: the link stops at once (viewers cut off, the publisher too). */
  async revoke(user: User, id: string): Promise<void> {
    const link = this.#own(user, id);
    if (!link.ended) await this.#end(link, 'revoked');
  }

  /**
   * PUT /v1/live/:id/stream: the publisher's fMP4, stored until the body ends or the link
   * does. One publisher at a time; a new one after a drop continues (skipStored).
   */
  async publish(user: User, id: string, body: Readable): Promise<FragmentedWriteStats & { ended: EndReason | null }> {
    const link = this.#own(user, id);
    this.#usable(link);
    if (link.publisher) throw new HttpError(409, 'publishing', 'this link has a publisher already: stop it first');
    const w = link.store!.createFragmentedWriteStream();
    link.writer = w;
    body.on('data', (c: Buffer) => {
      link.stats.bytesIn += c.length;
    });
    link.publisher = body;
    link.stats.publishes++;
    const done = pipeline(body, w);
    link.ingest = done.then(
      () => undefined,
      () => undefined,
    ); // #end waits for it; the error goes to the caller below
    try {
      await done;
    } catch (err) {
      // The link's own end cut the body (not the publisher's fault), or the publisher went
      // away mid-stream (a lost connection: it may come back and continue). Both are counted.
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' || (err as Error).message === 'aborted')
        link.stats.publisherDrops++;
      // (known by its stable code: a test run may load the engine's JS twice, so not instanceof)
      else if ((err as { code?: string }).code === 'ERR_INVALID_DATA')
        throw new HttpError(422, 'invalid_video', `not a live fragmented MP4: ${(err as Error).message}`);
      else if (!link.ended) throw err;
    } finally {
      link.stats.fragments += w.stats.fragments;
      link.writer = null;
      link.publisher = null;
      link.ingest = null;
    }
    return { ...w.stats, ended: link.ended };
  }

  /** The public side: a token's link, or 404 (unknown) / 410 (revoked, expired). */
  byToken(token: string) {
    if (!SHARE_SHAPE.test(token)) throw notFound('live link');
    const link = this.#byHash.get(hashToken(token));
    if (!link) throw notFound('live link');
    this.#usable(link);
    return { ...this.#view(link), link };
  }

  /** GET /l/:token/stream: one viewer, from the latest key frame on; dropped when too slow. */
  watch(token: string, stream: string, res: ServerResponse): void {
    const { link } = this.byToken(token);
    if (!link.streams.includes(stream))
      throw new HttpError(404, 'no_such_stream', `this link shows ${link.streams.join(' and ')}, not ${stream}`);
    // The publisher's fragments arrive a GOP at a time: flush soon after a burst ends instead
    // of waiting for the next GOP (the default 500 ms would add that much latency).
    if (link.viewers.size >= this.#opts.maxViewers) {
      throw new HttpError(
        503,
        'too_many_viewers',
        `this live link has ${link.viewers.size} viewers already: try again later`,
      );
    }
    const live = link.store!.liveMP4({ streams: [stream], from: 'keyframe', idleFlushMs: 100 });
    const viewer: Viewer = { live, res, stream };
    link.viewers.add(viewer);
    link.stats.viewersServed++;
    res.writeHead(200, {
      'content-type': 'video/mp4',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    // Headers now: a viewer may open the link before the publisher's first picture arrives.
    res.flushHeaders();
    let stalled: NodeJS.Timeout | null = null;
    const drop = (why: string) => {
      link.stats.viewersDropped++;
      this.#problem(`dropped a viewer of live link ${link.id}: ${why}`);
      res.destroy();
    };
    live.on('data', (chunk: Buffer) => {
      if (res.write(chunk)) return;
      if (res.writableLength > this.#opts.maxBufferedBytes)
        return drop(`${res.writableLength} bytes waiting in its socket`);
      live.pause();
      stalled = setTimeout(
        () => drop(`its socket did not drain for ${this.#opts.slowViewerMs} ms`),
        this.#opts.slowViewerMs,
      );
      res.once('drain', () => {
        if (stalled) clearTimeout(stalled);
        stalled = null;
        live.resume();
      });
    });
    live.once('end', () => res.end());
    live.once('error', (err: Error) => {
      if (!link.ended) this.#problem(`live link ${link.id} viewer: ${err.message}`);
      res.destroy();
    });
    res.once('close', () => {
      if (stalled) clearTimeout(stalled);
      live.destroy();
      link.viewers.delete(viewer);
    });
  }

  async close(): Promise<void> {
    for (const l of this.#byId.values()) if (!l.ended) await this.#end(l, 'closed');
  }

  #own(user: User, id: string): Link {
    const link = this.#byId.get(id);
    if (!link || link.userId !== user.id) throw notFound('live link');
    return link;
  }

  #usable(link: Link): void {
    if (link.ended === null && Date.now() >= link.expiresAt) void this.#end(link, 'expired');
    if (link.ended)
      throw new HttpError(
        410,
        'gone',
        link.ended === 'revoked' ? 'this live link was revoked' : 'this live link has expired',
      );
  }

  async #end(link: Link, why: EndReason): Promise<void> {
    if (link.ended) return;
    link.ended = why;
    link.endedAt = Date.now();
    if (link.timer) clearTimeout(link.timer);
    // Viewers get a clean end of stream (the player then asks and learns why); one whose
    // socket is full cannot take even that, and is cut off.
    for (const v of link.viewers) {
      v.live.destroy();
      v.res.end();
      setTimeout(() => v.res.destroy(), 1000).unref();
    }
    link.viewers.clear();
    link.publisher?.destroy();
    await link.ingest;
    const store = link.store;
    link.store = null;
    try {
      await store?.close();
      await rm(link.path, { force: true });
    } catch (err) {
      this.#problem(`closing the ring of live link ${link.id}: ${(err as Error).message}`);
    }
  }

  #prune(): void {
    const before = Date.now() - TOMBSTONE_MS;
    for (const l of this.#byId.values()) {
      if (l.ended && l.endedAt! < before) {
        this.#byId.delete(l.id);
        this.#byHash.delete(l.hash);
      }
    }
  }

  #problem(text: string): void {
    this.problems.push(text);
    if (this.problems.length > 100) this.problems.shift();
    process.stderr.write(`ringclip-cloud: ${text}\n`);
  }

  #view(l: Link) {
    const state = l.ended ?? (Date.now() >= l.expiresAt ? 'expired' : l.publisher ? 'live' : 'waiting');
    return {
      id: l.id,
      state,
      streams: l.streams,
      event: l.event,
      createdAt: new Date(l.createdAt).toISOString(),
      expiresAt: new Date(l.expiresAt).toISOString(),
      endedAt: l.endedAt === null ? null : new Date(l.endedAt).toISOString(),
      viewers: l.viewers.size,
      notified: l.notified,
      stats: { ...l.stats, fragments: l.stats.fragments + (l.writer?.stats.fragments ?? 0) },
    };
  }
}
