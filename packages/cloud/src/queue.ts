/**
 * Background work (trims and deletes). With PostgreSQL it goes through pg-boss so any
 * instance can pick it up; embedded, an in-process queue runs it. Either way the jobs
 * are idempotent and the metadata row is the source of truth: on start every instance
 * re-sends the jobs of rows still 'processing' or 'deleting'.
 */
export type JobName = 'trim' | 'delete';
export interface JobData {
  userId: string;
  clipId: string;
}
export type JobHandler = (name: JobName, data: JobData) => Promise<void>;

export interface Queue {
  readonly kind: 'local' | 'pg-boss';
  start(handler: JobHandler): Promise<void>;
  send(name: JobName, data: JobData): Promise<void>;
  /** resolves when nothing is queued or running (tests) */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** In-process queue: a few workers, retries with backoff, one pending job per (name, clip). */
export class LocalQueue implements Queue {
  readonly kind = 'local' as const;
  #handler: JobHandler | null = null;
  #pending: Array<{ name: JobName; data: JobData; attempt: number }> = [];
  #keys = new Set<string>();
  #running = 0;
  #stopped = false;
  #timers = new Set<NodeJS.Timeout>();
  #waiters: Array<() => void> = [];
  readonly concurrency: number;
  constructor(concurrency = 2) {
    this.concurrency = concurrency;
  }

  async start(handler: JobHandler): Promise<void> {
    this.#handler = handler;
    this.#pump();
  }
  async send(name: JobName, data: JobData): Promise<void> {
    const key = `${name}:${data.userId}:${data.clipId}`;
    if (this.#keys.has(key)) return;
    this.#keys.add(key);
    this.#pending.push({ name, data, attempt: 0 });
    queueMicrotask(() => this.#pump());
  }
  #pump(): void {
    while (!this.#stopped && this.#handler && this.#running < this.concurrency && this.#pending.length) {
      const job = this.#pending.shift()!;
      this.#running++;
      const key = `${job.name}:${job.data.userId}:${job.data.clipId}`;
      this.#handler(job.name, job.data)
        .then(
          () => {
            this.#keys.delete(key);
          },
          (e) => {
            if (job.attempt >= 4 || this.#stopped) {
              this.#keys.delete(key);
              console.error(`ringclip-cloud: ${job.name} job for ${job.data.clipId} failed: ${(e as Error).message}`);
              return;
            }
            const t = setTimeout(
              () => {
                this.#timers.delete(t);
                this.#pending.push({ ...job, attempt: job.attempt + 1 });
                this.#pump();
              },
              200 * 2 ** job.attempt,
            );
            this.#timers.add(t);
          },
        )
        .finally(() => {
          this.#running--;
          this.#pump();
          if (this.#running === 0 && this.#pending.length === 0 && this.#timers.size === 0)
            for (const w of this.#waiters.splice(0)) w();
        });
    }
  }
  idle(): Promise<void> {
    if (this.#running === 0 && this.#pending.length === 0 && this.#timers.size === 0) return Promise.resolve();
    return new Promise((r) => this.#waiters.push(r));
  }
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    while (this.#running > 0) await new Promise((r) => setTimeout(r, 20));
  }
}
