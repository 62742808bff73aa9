/**
 * Pairing with the phone: the device shows a 6-digit code (on a real device, over
 * Bluetooth); `POST /pair` with that code returns a bearer token that every other API
 * call needs. Tokens are kept (hashed) next to the store, so the phone stays paired
 * across power cycles. Wrong codes are rate-limited.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from './persist.js';

interface PairingFile {
  version: 1;
  tokens: Array<{ sha256: string; pairedAt: string; name?: string }>;
}

const MAX_FAILURES = 5;
const LOCKOUT_MS = 30_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class Pairing {
  readonly path: string;
  readonly code: string;
  #tokens: PairingFile['tokens'];
  #failures = 0;
  #lockedUntil = 0;

  constructor(dir: string, code?: string) {
    this.path = join(dir, 'pairing.json');
    if (code !== undefined && !/^\d{6}$/.test(code))
      throw new RangeError(`a pairing code is 6 digits, got ${JSON.stringify(code)}`);
    this.code = code ?? String(randomInt(0, 1_000_000)).padStart(6, '0');
    this.#tokens = readJson<PairingFile>(this.path, { version: 1, tokens: [] }).tokens;
  }

  /** A token for the right code; 'locked' after too many wrong codes; null for a wrong one. */
  pair(code: unknown, name?: string): { token: string } | { locked: number } | null {
    const now = Date.now();
    if (now < this.#lockedUntil) return { locked: Math.ceil((this.#lockedUntil - now) / 1000) };
    const given = Buffer.from(typeof code === 'string' || typeof code === 'number' ? String(code) : '');
    const want = Buffer.from(this.code);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      if (++this.#failures >= MAX_FAILURES) {
        this.#failures = 0;
        this.#lockedUntil = now + LOCKOUT_MS;
      }
      return null;
    }
    this.#failures = 0;
    const token = randomBytes(32).toString('base64url');
    this.#tokens.push({
      sha256: sha256(token),
      pairedAt: new Date().toISOString(),
      ...(name ? { name: String(name).slice(0, 64) } : {}),
    });
    writeJsonAtomic(this.path, { version: 1, tokens: this.#tokens } satisfies PairingFile);
    return { token };
  }

  verify(token: string | undefined): boolean {
    if (!token) return false;
    const h = Buffer.from(sha256(token), 'hex');
    return this.#tokens.some((t) => timingSafeEqual(Buffer.from(t.sha256, 'hex'), h));
  }

  get paired(): number {
    return this.#tokens.length;
  }
}
