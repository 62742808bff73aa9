/**
 * Secrets: bearer tokens and share tokens are 256 random bits (base64url), stored only as
 * SHA-256 hashes; video URLs for <video> elements are signed with HMAC-SHA256 and expire.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const newBearerToken = () => `rc_${randomBytes(32).toString('base64url')}`;
export const newShareToken = () => randomBytes(32).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Bearer tokens and share tokens have a fixed shape: anything else is rejected before a lookup. */
export const BEARER_SHAPE = /^rc_[A-Za-z0-9_-]{43}$/;
export const SHARE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export class UrlSigner {
  #key: Buffer;
  constructor(secret: string) {
    this.#key = Buffer.from(secret, 'utf8');
  }
  sign(parts: string[]): string {
    return createHmac('sha256', this.#key).update(parts.join('\n')).digest('base64url');
  }
  verify(parts: string[], sig: string): boolean {
    const want = Buffer.from(this.sign(parts));
    const got = Buffer.from(sig);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
