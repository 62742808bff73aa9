/**
 * The clip service: uploads (resumable, idempotent, validated by the engine), listing,
 * metadata, streaming sources, trims, share links and deletes. Routes are thin wrappers.
 * Each concern lives in service/ (uploads, trims, shares, auth, views); this class holds
 * them together, with what spans them: start and stop, the job queue, deletes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { HlsRendition } from 'ringclip';
import type { BlobStore } from './blob.js';
import { keys } from './blob.js';
import type { Config } from './config.js';
import { HttpError, notFound } from './errors.js';
import { LocalInvalidation, type Invalidation } from './invalidation.js';
import { LocalCopies } from './local-copies.js';
import { HlsCache, VirtualCache } from './media.js';
import type { ClipMeta, ClipRow, ClipState, MetaStore, User } from './meta.js';
import type { JobData, JobName, Queue } from './queue.js';
import { Auth } from './service/auth.js';
import { HlsViews } from './service/hls.js';
import { ServiceContext, copyName, type Track } from './service/context.js';
import { Shares } from './service/shares.js';
import { TelemetryService } from './service/telemetry.js';
import { Trims } from './service/trims.js';
import { Uploads, type ContentRange } from './service/uploads.js';
import { Views, type VideoSource } from './service/views.js';
import { UrlSigner } from './tokens.js';
import { UserBudget } from './user-budget.js';
import { clipId } from './validate.js';

export type { ContentRange, Track, VideoSource };

/** What authentication reads of a request (a FastifyRequest). */
export interface AuthRequest {
  raw: object;
  headers: { authorization?: string };
  params: unknown;
  query: unknown;
  routeOptions: { url?: string };
}
export { uploadHeaders } from './service/uploads.js';

export class Service {
  readonly config: Config;
  readonly meta: MetaStore;
  readonly blobs: BlobStore;
  readonly queue: Queue;
  readonly copies: LocalCopies;
  readonly virtual = new VirtualCache();
  readonly hlsCache = new HlsCache();
  #ctx: ServiceContext;
  #hls: HlsViews;
  #auth: Auth;
  #views: Views;
  #uploads: Uploads;
  #trims: Trims;
  #shares: Shares;
  /** Telemetry series and exports, read from the clips' camm tracks (decoded once per stored file). */
  readonly telemetry: TelemetryService;

  /** Tells every instance about deletes (their local copies); one instance: a direct call. */
  readonly invalidation: Invalidation;
  /** Requests served at once per user (server.ts applies it after authentication). */
  readonly budget: UserBudget;
  /** Who each request in flight is (authenticated once, by the budget's hook). */
  #who = new WeakMap<object, Promise<User | null>>();

  constructor(
    config: Config,
    meta: MetaStore,
    blobs: BlobStore,
    queue: Queue,
    invalidation: Invalidation = new LocalInvalidation(),
  ) {
    this.config = config;
    this.invalidation = invalidation;
    this.budget = new UserBudget(config.userInFlight, config.userQueue);
    this.meta = meta;
    this.blobs = blobs;
    this.queue = queue;
    this.copies = new LocalCopies(blobs, join(config.dataDir, 'cache'), config.cacheBytes);
    this.#ctx = new ServiceContext(
      config,
      meta,
      blobs,
      queue,
      this.copies,
      this.virtual,
      join(config.dataDir, 'staging'),
    );
    this.#auth = new Auth(this.#ctx);
    this.#views = new Views(this.#ctx, this.#auth);
    this.#hls = new HlsViews(this.#ctx, this.hlsCache);
    this.#uploads = new Uploads(this.#ctx);
    this.#trims = new Trims(this.#ctx);
    this.#shares = new Shares(this.#ctx);
    this.telemetry = new TelemetryService(this.#ctx);
  }

  #sweeper: NodeJS.Timeout | null = null;

  async start(): Promise<void> {
    // Staging holds only files of requests in flight: what a crash left there is garbage.
    await rm(this.#ctx.staging, { recursive: true, force: true });
    await mkdir(this.#ctx.staging, { recursive: true });
    await this.copies.init();
    await this.invalidation.start(
      (userId, id) => this.#forgetLocal(userId, id),
      async () => {
        await this.reconcileCopies();
      },
    );
    // Deletes announced while this instance was down: its cache is checked against the rows.
    await this.reconcileCopies();
    const secret =
      this.config.secret ?? (await this.meta.setting('url-signing-secret', randomBytes(32).toString('base64url')));
    this.#ctx.signer = new UrlSigner(secret);
    await this.queue.start((name, data) => this.#runJob(name, data));
    // Jobs interrupted by a restart: the rows say what is left to do.
    for (const [state, job] of [
      ['processing', 'trim'],
      ['deleting', 'delete'],
    ] as const) {
      for (const row of await this.meta.clipsInState(state, 10_000))
        await this.queue.send(job, { userId: row.userId, clipId: row.id });
    }
    await this.sweepAbandoned();
    this.#sweeper = setInterval(() => {
      void this.#ctx.bestEffort('sweeping abandoned uploads', () => this.sweepAbandoned());
    }, 3600_000);
    this.#sweeper.unref();
  }

  /** Uploads nobody touched for `abandonedUploadSeconds` are deleted with their parts. */
  async sweepAbandoned(): Promise<number> {
    const before = Date.now() - this.config.abandonedUploadSeconds * 1000;
    let n = 0;
    for (const row of await this.meta.clipsInState('uploading', 10_000)) {
      if (row.updatedAt >= before) continue;
      row.state = 'deleting';
      if (await this.meta.updateClip(row)) {
        await this.queue.send('delete', { userId: row.userId, clipId: row.id });
        n++;
      }
    }
    return n;
  }

  // ---- users and tokens (service/auth.ts) --------------------------------------------

  createToken(userName: string, label = 'cli'): Promise<{ user: User; token: string }> {
    return this.#auth.createToken(userName, label);
  }
  /** The user of a bearer token (401 otherwise); with `req`, the one its hook found already. */
  authenticate(header: string | undefined, req?: AuthRequest): Promise<User> {
    const known = req && this.#who.get(req.raw);
    if (known) return known.then((u) => u ?? this.#auth.authenticate(header));
    return this.#auth.authenticate(header);
  }
  /**
   * Who a request is: its bearer token's user (401 for a bad token), a signed video URL's
   * user, or null (the route refuses it). Looked up once per request.
   */
  whoIs(req: AuthRequest): Promise<User | null> {
    let p = this.#who.get(req.raw);
    if (!p) {
      const header = req.headers.authorization;
      const params = req.params as { id?: string };
      if (header) p = this.#auth.authenticate(header);
      else if (
        (req.routeOptions.url === '/v1/clips/:id/video' || req.routeOptions.url === '/v1/clips/:id/hls/:file') &&
        params.id
      )
        p = this.#auth.userFromSignature(params.id, req.query as Record<string, unknown>);
      else p = Promise.resolve(null);
      this.#who.set(req.raw, p);
    }
    return p;
  }
  videoUrl(row: ClipRow, track: Track, base = ''): string {
    return this.#auth.videoUrl(row, track, base);
  }
  /** A signed video URL's user, when its signature and expiry hold. */
  userFromSignature(id: string, q: Record<string, unknown>): Promise<User | null> {
    return this.#auth.userFromSignature(id, q);
  }

  // ---- reading clips (service/views.ts) -----------------------------------------------

  /** The clip if it exists for this user and is not being deleted; 404 otherwise. */
  clip(user: User, id: string, states?: ClipState[]): Promise<ClipRow> {
    return this.#ctx.clip(user, id, states);
  }
  list(user: User, q: Record<string, unknown>) {
    return this.#views.list(user, q);
  }
  /** JSON of a clip (the API's Clip object). */
  view(r: ClipRow, videoBase: ((t: Track) => string) | null = null) {
    return this.#views.view(r, videoBase);
  }
  /** What GET …/video serves: the stored file as is (both) or a per-track virtual MP4 cut by the engine. */
  video(row: ClipRow, track: string): Promise<VideoSource> {
    return this.#views.video(row, track);
  }
  /** One camera of a clip (with its audio) as an HLS rendition. */
  hls(row: ClipRow, role: string): Promise<HlsRendition> {
    return this.#hls.rendition(row, role);
  }
  /** Part of a rendition's fMP4 (a segment, the init, the whole file) as a range-readable source. */
  hlsVideo(row: ClipRow, role: string, hls: HlsRendition, part: { start: number; end: number }): VideoSource {
    return this.#hls.video(row, role, hls, part);
  }
  /** The signed query every URI of a clip's HLS playlists carries. */
  hlsQuery(row: ClipRow): string {
    return this.#auth.hlsQuery(row);
  }
  /** GET …/download: the stored file (both) or one camera with the clip's audio and telemetry. */
  download(row: ClipRow, track: string): Promise<VideoSource> {
    return this.#hls.download(row, track, () => this.#views.video(row, 'both'));
  }

  // ---- uploads (service/uploads.ts) ---------------------------------------------------

  /** PUT /v1/clips/:id/metadata: replaces the clip's metadata (before, during or after the upload). */
  putMetadata(user: User, rawId: string, meta: ClipMeta): Promise<ClipRow> {
    return this.#uploads.putMetadata(user, rawId, meta);
  }
  /** PUT /v1/clips/:id: one chunk (Content-Range) or the whole file; whether it completed the upload. */
  receive(user: User, rawId: string, range: ContentRange, body: Readable): Promise<{ row: ClipRow; created: boolean }> {
    return this.#uploads.receive(user, rawId, range, body);
  }

  // ---- trims (service/trims.ts) -------------------------------------------------------

  trim(user: User, rawId: string, body: Record<string, unknown>): Promise<ClipRow> {
    return this.#trims.trim(user, rawId, body);
  }
  /** Polls a clip until it leaves 'processing' (any instance may be doing the work). */
  waitFor(user: User, id: string, seconds: number): Promise<ClipRow> {
    return this.#trims.waitFor(user, id, seconds);
  }

  async #runJob(name: JobName, data: JobData): Promise<void> {
    if (name === 'trim') return this.#trims.run(data);
    return this.#deleteJob(data);
  }

  // ---- delete -------------------------------------------------------------------------

  /** DELETE: at once invisible (404) with share links dead; the bytes go in a queued job. */
  async remove(user: User, rawId: string): Promise<void> {
    const id = clipId(rawId);
    for (let i = 0; i < 20; i++) {
      const row = await this.meta.getClip(user.id, id);
      if (!row || row.state === 'deleting') throw notFound();
      row.state = 'deleting';
      row.updatedAt = Date.now();
      if (await this.meta.updateClip(row)) {
        await this.meta.revokeShares(user.id, id, Date.now());
        if (row.sha256) {
          this.virtual.drop(copyName(row));
          this.telemetry.drop(copyName(row));
          this.hlsCache.drop(copyName(row));
        }
        await this.queue.send('delete', { userId: user.id, clipId: id });
        // Every instance stops serving from its views and drops its local copy now, not
        // when the job runs (the job announces it again once the bytes are gone).
        await this.#ctx.bestEffort('announcing a delete', () => this.invalidation.announce(user.id, id));
        return;
      }
    }
    throw new HttpError(503, 'busy', 'the clip is being changed concurrently: retry');
  }

  async #deleteJob({ userId, clipId: id }: JobData): Promise<void> {
    const row = await this.meta.getClip(userId, id);
    if (!row || row.state !== 'deleting') return;
    const key = keys.clip(userId, id);
    await this.blobs.delete(key);
    for (const k of await this.blobs.list(`parts/${userId}/${id}/`)) await this.blobs.delete(k);
    for (const p of row.parts) await this.blobs.delete(p.key);
    await this.meta.deleteClip(userId, id);
    await this.invalidation.announce(userId, id);
  }

  /** A deleted clip's local copy and views on this instance. */
  async #forgetLocal(userId: string, id: string): Promise<void> {
    this.virtual.drop(`${userId}-${id}-`);
    this.telemetry.drop(`${userId}-${id}-`);
    this.hlsCache.drop(`${userId}-${id}-`);
    await this.copies.drop(`${userId}-${id}-`);
  }

  /** Drops local copies of clips that are gone or being deleted; returns how many. */
  async reconcileCopies(): Promise<number> {
    let dropped = 0;
    for (const { userId, clipId: id } of await this.copies.clips()) {
      const row = await this.meta.getClip(userId, id);
      if (row && row.state !== 'deleting') continue;
      await this.#forgetLocal(userId, id);
      dropped++;
    }
    return dropped;
  }

  // ---- shares (service/shares.ts) -----------------------------------------------------

  share(user: User, rawId: string, body: Record<string, unknown>, base: string) {
    return this.#shares.share(user, rawId, body, base);
  }
  shares(user: User, rawId: string) {
    return this.#shares.shares(user, rawId);
  }
  revokeShare(user: User, rawId: string, shareId: string): Promise<void> {
    return this.#shares.revokeShare(user, rawId, shareId);
  }
  /** The clip behind a share token; 404 for unknown tokens, 410 for expired or revoked ones. */
  shared(token: string) {
    return this.#shares.shared(token);
  }

  async stop(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    await this.queue.stop();
    await this.invalidation.stop();
  }
}
