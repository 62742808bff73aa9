/** Who is asking: bearer tokens of users, and the signed video URLs a page may embed. */
import { HttpError, badRequest } from '../errors.js';
import type { ClipRow, User } from '../meta.js';
import type { ServiceContext, Track } from './context.js';
import { BEARER_SHAPE, hashToken, newBearerToken } from '../tokens.js';

export class Auth {
  constructor(private readonly ctx: ServiceContext) {}

  async createToken(userName: string, label = 'cli'): Promise<{ user: User; token: string }> {
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(userName))
      throw badRequest('user names are 1-64 characters: letters, digits, . _ @ -');
    const user = await this.ctx.meta.ensureUser(userName);
    const token = newBearerToken();
    await this.ctx.meta.addToken(hashToken(token), user.id, label);
    return { user, token };
  }

  async authenticate(header: string | undefined): Promise<User> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const fail = new HttpError(
      401,
      'unauthorized',
      header ? 'the bearer token is not valid' : 'this needs Authorization: Bearer TOKEN',
      { 'www-authenticate': 'Bearer realm="ringclip"' },
    );
    if (!m || !BEARER_SHAPE.test(m[1])) throw fail;
    const user = await this.ctx.meta.userByToken(hashToken(m[1]));
    if (!user) throw fail;
    return user;
  }

  videoUrl(row: ClipRow, track: Track, base = ''): string {
    const exp = Math.floor(Date.now() / 1000) + this.ctx.config.videoUrlTtl;
    const sig = this.ctx.signer.sign(['video', row.userId, row.id, track, String(exp)]);
    return `${base}/v1/clips/${row.id}/video?track=${track}&u=${row.userId}&exp=${exp}&sig=${sig}`;
  }

  /** The query of a signed HLS link (every playlist and fMP4 of the clip): `track=hls&u=…&exp=…&sig=…`. */
  hlsQuery(row: ClipRow): string {
    const exp = String(Math.floor(Date.now() / 1000) + this.ctx.config.videoUrlTtl);
    const sig = this.ctx.signer.sign(['video', row.userId, row.id, 'hls', exp]);
    return new URLSearchParams({ track: 'hls', u: row.userId, exp, sig }).toString();
  }

  /** A signed video URL's user, when its signature and expiry hold. */
  async userFromSignature(id: string, q: Record<string, unknown>): Promise<User | null> {
    const { u, exp, sig, track } = q as Record<string, string | undefined>;
    if (!u || !exp || !sig || !track || !/^\d{1,12}$/.test(exp)) return null;
    if (Number(exp) < Date.now() / 1000)
      throw new HttpError(403, 'expired', 'this video link has expired: reload the page');
    if (!this.ctx.signer.verify(['video', u, id.toLowerCase(), track, exp], sig)) return null;
    return this.ctx.meta.getUser(u);
  }
}
