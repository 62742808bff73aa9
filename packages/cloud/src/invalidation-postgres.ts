/**
 * Deletes announced to every instance with PostgreSQL NOTIFY on `<schema>_deleted`; each
 * instance LISTENs on a connection of its own. A notification missed while that connection
 * was down is made up for by `resync` (the service then checks its whole local cache
 * against the metadata), so a lost connection never leaves a deleted clip on disk for good.
 */
import pg from 'pg';
import type { Forget, Invalidation } from './invalidation.js';

export class PostgresInvalidation implements Invalidation {
  readonly channel: string;
  #url: string;
  #client: pg.Client | null = null;
  #forget: Forget | null = null;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;
  #resync: () => Promise<void> = async () => {};
  /** Failures of the listening connection and of handling a notification, counted and reported. */
  failures = 0;

  #pool: pg.Pool;

  /** pool: where notifications are sent from (the metadata store's) */
  constructor(url: string, schema: string, pool: pg.Pool) {
    this.#url = url;
    this.#pool = pool;
    this.channel = `${schema}_deleted`;
  }

  async start(forget: Forget, resync: () => Promise<void>): Promise<void> {
    this.#forget = forget;
    this.#resync = resync;
    await this.#listen();
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel || !msg.payload) return;
      const { userId, clipId } = JSON.parse(msg.payload) as { userId: string; clipId: string };
      this.#forget?.(userId, clipId).catch((e: unknown) =>
        this.#failed('dropping the local copy of a deleted clip', e),
      );
    });
    client.on('error', (e) => {
      this.#failed('the LISTEN connection', e);
      this.#client = null;
      client.end().catch((err: unknown) => this.#failed('closing the broken LISTEN connection', err));
      this.#reconnectSoon();
    });
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.#client = client;
  }

  #reconnectSoon(): void {
    if (this.#stopped || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#listen()
        .then(() => this.#resync())
        .catch((e: unknown) => {
          this.#failed('reconnecting the LISTEN connection', e);
          this.#reconnectSoon();
        });
    }, 1000);
    this.#retry.unref();
  }

  #failed(what: string, e: unknown): void {
    this.failures++;
    console.error(
      `ringclip-cloud: ${what} failed (${this.failures} invalidation failures so far): ${(e as Error).message}`,
    );
  }

  async announce(userId: string, clipId: string): Promise<void> {
    await this.#pool.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify({ userId, clipId })]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    const c = this.#client;
    this.#client = null;
    await c?.end();
  }
}
