/**
 * The emergency contacts' side of a live link, for the simulation: a webhook on 127.0.0.1
 * that receives the notices, and viewers that watch the link through the cloud. A viewer
 * feeds what it receives into a small ringclip store (the engine reads the fMP4 and its
 * prft capture times; nothing is parsed here) and notes, at each arrival, how far the newest
 * picture is behind the dashcam's clock — the relay's latency, before any player buffer
 * (the browser figure is measured by packages/app/test/live-link.test.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SegmentStore } from 'ringclip';

export interface Notice {
  type: string;
  contact: string;
  url: string;
  expiresAt: string;
  event: { kind: string; time: string } | null;
}

/** Receives the cloud's webhook notices (JSON POSTs). */
export class NoticeInbox {
  readonly notices: Notice[] = [];
  readonly #server: Server;
  url = '';

  constructor(onNotice: (n: Notice) => void) {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const n = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Notice;
          this.notices.push(n);
          onNotice(n);
          res.writeHead(204).end();
        } catch (err) {
          res.writeHead(400).end((err as Error).message);
        }
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/emergency`;
    return this.url;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

export interface ViewerResult {
  name: string;
  /** fragments the viewer stored, and the HTTP status at the end (when it asked again) */
  fragments: number;
  bytes: number;
  /** seconds behind the dashcam's clock at each arrival (real time: device time ÷ speed) */
  lags: number[];
  /** capture time (µs) of the first picture it got */
  first: number | null;
  ended: 'revoked' | 'expired' | 'closed' | null;
}

/** One viewer of `url` (the share link) for `stream`, until the link ends or `stop()`. */
export class LinkViewer {
  readonly result: ViewerResult;
  readonly #abort = new AbortController();
  #done: Promise<void> | null = null;

  constructor(
    name: string,
    private readonly url: string,
    private readonly dir: string,
    private readonly deviceNow: () => number,
    private readonly speed: number,
  ) {
    this.result = { name, fragments: 0, bytes: 0, lags: [], first: null, ended: null };
  }

  start(): void {
    this.#done = this.#watch();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }

  /** Resolves when the stream ended by itself (a revoked or expired link). */
  get done(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  async #watch(): Promise<void> {
    const store = await SegmentStore.create(join(this.dir, `${this.result.name}.ring`), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['road', 'cabin'],
    });
    try {
      const res = await fetch(`${this.url}/stream?stream=road`, { signal: this.#abort.signal });
      if (!res.ok || !res.body) throw new Error(`the live link answered ${res.status}`);
      const ingest = store.createFragmentedIngest();
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.result.bytes += value.length;
        ingest.push(value);
        const road = ingest.stats.tracks.find((t) => t.stream === 'road');
        if (road?.last != null && ingest.stats.fragments > this.result.fragments) {
          this.result.fragments = ingest.stats.fragments;
          this.result.first ??= road.first;
          this.result.lags.push((this.deviceNow() - road.last) / 1e6 / this.speed);
        }
      }
      const again = await fetch(`${this.url}/info`);
      this.result.ended =
        again.status === 410
          ? ((await again.json()) as { error: { message: string } }).error.message.includes('revoked')
            ? 'revoked'
            : 'expired'
          : 'closed';
    } catch (err) {
      if (!this.#abort.signal.aborted) throw err;
    } finally {
      await store.close();
    }
  }
}

export const median = (xs: number[]): number | null =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null;
