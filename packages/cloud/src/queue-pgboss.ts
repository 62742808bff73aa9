/** Background work in PostgreSQL through pg-boss (schema `${DATABASE_SCHEMA}_queue`). */
import PgBoss from 'pg-boss';
import type { JobData, JobHandler, JobName, Queue } from './queue.js';

const NAMES: JobName[] = ['trim', 'delete'];

export class PgBossQueue implements Queue {
  readonly kind = 'pg-boss' as const;
  readonly boss: PgBoss;
  #workers = new Map<JobName, string>();
  #active = 0;

  constructor(connectionString: string, schema: string, pollSeconds: number) {
    this.boss = new PgBoss({
      connectionString,
      schema,
      max: 4,
      supervise: true,
      schedule: false,
      retryLimit: 4,
      retryDelay: 1,
      retryBackoff: true,
      expireInSeconds: 15 * 60,
      pollingIntervalSeconds: Math.max(0.5, pollSeconds),
    });
    this.boss.on('error', (e) => console.error(`ringclip-cloud: queue: ${e.message}`));
  }

  /**
   * Creates the queue unless it exists. Instances starting together race to create it: the
   * loser sees a unique violation or a deadlock (PostgreSQL picks a victim); the queue exists
   * then, and that is success. Any other failure, or a queue still missing, is thrown.
   */
  async #ensureQueue(name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (await this.boss.getQueue(name)) return;
      try {
        await this.boss.createQueue(name);
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        const race = code === '40P01' || code === '23505' || /already exists/i.test((e as Error).message);
        if (!race || attempt >= 5) throw e;
      }
    }
  }

  async start(handler: JobHandler): Promise<void> {
    await this.boss.start();
    for (const name of NAMES) {
      await this.#ensureQueue(name);
      const id = await this.boss.work<JobData>(name, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async (jobs) => {
        this.#active++;
        try {
          for (const j of jobs) await handler(name, j.data);
        } finally {
          this.#active--;
        }
      });
      this.#workers.set(name, id);
    }
  }
  async send(name: JobName, data: JobData): Promise<void> {
    // singletonKey: at most one queued job per clip and kind of work.
    await this.boss.send(name, data, { singletonKey: `${data.userId}:${data.clipId}` });
    // Wake this instance's worker now rather than at its next poll.
    const id = this.#workers.get(name);
    if (id) this.boss.notifyWorker(id);
  }
  async idle(): Promise<void> {
    for (;;) {
      let n = this.#active;
      for (const name of NAMES) n += await this.boss.getQueueSize(name);
      if (n === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
