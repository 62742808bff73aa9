/**
 * A delete reaches every instance: each keeps local copies of clips it served (up to
 * RINGCLIP_CACHE_BYTES) and open views of them, which the deleting instance cannot see.
 * `announce()` tells all instances, this one included, that a clip's stored bytes are gone.
 * One instance (SQLite): a direct call. Several (PostgreSQL): LISTEN/NOTIFY on a channel of
 * the schema, see invalidation-postgres.ts.
 */
export type Forget = (userId: string, clipId: string) => Promise<void>;

export interface Invalidation {
  /**
   * Starts listening; `forget` runs on every instance for every announced delete, `resync`
   * after a gap in listening (announcements may have been missed: check the whole cache).
   */
  start(forget: Forget, resync: () => Promise<void>): Promise<void>;
  announce(userId: string, clipId: string): Promise<void>;
  stop(): Promise<void>;
}

export class LocalInvalidation implements Invalidation {
  #forget: Forget | null = null;
  async start(forget: Forget): Promise<void> {
    this.#forget = forget;
  } // one instance: no gaps
  async announce(userId: string, clipId: string): Promise<void> {
    await this.#forget?.(userId, clipId);
  }
  async stop(): Promise<void> {
    this.#forget = null;
  }
}
