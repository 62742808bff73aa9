/** Share links: a token that shows one ready clip to anyone holding it, until it expires or is revoked. */
import { randomUUID } from 'node:crypto';
import { HttpError, badRequest, notFound } from '../errors.js';
import type { ClipRow, ShareRow, User } from '../meta.js';
import { SHARE_SHAPE, hashToken, newShareToken } from '../tokens.js';
import { parseTime } from '../validate.js';
import { VISIBLE, type ServiceContext } from './context.js';

export class Shares {
  constructor(private readonly ctx: ServiceContext) {}

  async share(user: User, rawId: string, body: Record<string, unknown>, base: string) {
    const row = await this.ctx.clip(user, rawId, ['ready']).catch((e) => {
      if (e instanceof HttpError && e.status === 404)
        return this.ctx.clip(user, rawId).then((r) => {
          throw new HttpError(409, 'not_ready', `the clip is ${r.state}: only ready clips can be shared`);
        });
      throw e;
    });
    let ttl = this.ctx.config.shareTtlDefault;
    if (body.expiresIn !== undefined) {
      const v = body.expiresIn;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > this.ctx.config.shareTtlMax)
        throw badRequest(`expiresIn must be seconds from 1 to ${this.ctx.config.shareTtlMax}`);
      ttl = v;
    }
    if (body.expiresAt !== undefined) {
      const at = parseTime(body.expiresAt, 'expiresAt');
      if (at <= Date.now() || at > Date.now() + this.ctx.config.shareTtlMax * 1000)
        throw badRequest('expiresAt must be in the future and within the longest share lifetime');
      ttl = (at - Date.now()) / 1000;
    }
    const token = newShareToken();
    const now = Date.now();
    const share: ShareRow = {
      id: randomUUID(),
      hash: hashToken(token),
      userId: user.id,
      clipId: row.id,
      createdAt: now,
      expiresAt: Math.round(now + ttl * 1000),
      revokedAt: null,
    };
    await this.ctx.meta.addShare(share);
    return { ...shareView(share), token, url: `${base}/s/${token}` };
  }

  async shares(user: User, rawId: string) {
    const row = await this.ctx.clip(user, rawId, VISIBLE);
    return (await this.ctx.meta.listShares(user.id, row.id)).map(shareView);
  }

  async revokeShare(user: User, rawId: string, shareId: string): Promise<void> {
    const row = await this.ctx.clip(user, rawId, VISIBLE);
    if (!/^[0-9a-f-]{36}$/.test(shareId) || !(await this.ctx.meta.revokeShare(user.id, row.id, shareId, Date.now())))
      throw notFound('share link');
  }

  /** The clip behind a share token; 404 for unknown tokens, 410 for expired or revoked ones. */
  async shared(token: string): Promise<{ share: ShareRow; row: ClipRow }> {
    if (!SHARE_SHAPE.test(token)) throw notFound('share link');
    const share = await this.ctx.meta.shareByHash(hashToken(token));
    if (!share) throw notFound('share link');
    if (share.revokedAt !== null) throw new HttpError(410, 'revoked', 'this share link was revoked');
    if (share.expiresAt <= Date.now()) throw new HttpError(410, 'expired', 'this share link has expired');
    const row = await this.ctx.meta.getClip(share.userId, share.clipId);
    if (!row || row.state !== 'ready') throw new HttpError(410, 'gone', 'the shared clip was deleted');
    return { share, row };
  }
}

function shareView(s: ShareRow) {
  return {
    id: s.id,
    clipId: s.clipId,
    createdAt: new Date(s.createdAt).toISOString(),
    expiresAt: new Date(s.expiresAt).toISOString(),
    revokedAt: s.revokedAt === null ? null : new Date(s.revokedAt).toISOString(),
    active: s.revokedAt === null && s.expiresAt > Date.now(),
  };
}
