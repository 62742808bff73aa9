/**
 * The phone's link to the cloud: sign-in, the network it is on (uploads run on Wi-Fi, or
 * cellular when allowed), the upload queue, and cloud deletes retried until confirmed.
 */
import type { AppContext, Network } from './app-context.js';
import { CloudClient } from './cloud-client.js';
import { UploadQueue } from './upload-queue.js';

export class CloudLink {
  #ctx: AppContext;
  #client: CloudClient | null = null;
  #network: Network;
  #queue: UploadQueue | null = null;

  constructor(ctx: AppContext) {
    this.#ctx = ctx;
    this.#network = ctx.options.network ?? 'wifi';
  }

  /** The upload queue (created by start()). */
  get queue(): UploadQueue {
    if (!this.#queue) throw new Error('internal: the upload queue is not started');
    return this.#queue;
  }

  /** Starts the upload queue (uploads left from an earlier run resume) and pending deletes. */
  start(): void {
    const { state, emit } = this.#ctx;
    const queue = new UploadQueue(
      state.paths.queue,
      () => this.client(),
      () => this.canUpload,
      this.#ctx.options.upload,
    );
    queue.on('progress', (e) => emit('transfer', { kind: 'upload', id: e.id, done: e.sent, total: e.size }));
    queue.on('uploaded', (e) => {
      const c = state.lib.clips.find((x) => x.id === e.id);
      if (c) {
        c.uploaded = true;
        state.saveLibrary();
      }
      emit('uploaded', { id: e.id });
    });
    queue.on('retry', (e) =>
      emit(
        'error',
        new Error(`upload of ${e.id} failed (attempt ${e.attempts}, retry in ${e.delayMs} ms): ${e.error}`),
      ),
    );
    this.#queue = queue;
    queue.start();
    void this.flushDeletes();
  }

  async stop(): Promise<void> {
    await this.#queue?.stop();
  }

  client(): CloudClient | null {
    const s = this.#ctx.state.settings.cloud;
    if (!s) return null;
    if (!this.#client || this.#client.url !== s.url || this.#client.token !== s.token)
      this.#client = new CloudClient(s.url, s.token);
    return this.#client;
  }

  /** Signs in to the cloud with a token (checked with GET /v1/me). */
  async signIn(url: string, token: string): Promise<{ id: string; name: string }> {
    const { state } = this.#ctx;
    const me = await new CloudClient(url, token).me();
    state.settings.cloud = { url: url.replace(/\/+$/, ''), token };
    state.saveSettings();
    this.queue.poke(true);
    await this.flushDeletes();
    return me;
  }

  get network(): Network {
    return this.#network;
  }
  get allowCellular(): boolean {
    return this.#ctx.state.settings.allowCellular;
  }
  get canUpload(): boolean {
    return this.#network === 'wifi' || (this.#network === 'cellular' && this.allowCellular);
  }

  /** The phone's internet link (simulated): uploads run on Wi-Fi, or cellular if allowed. */
  setNetwork(network: Network): void {
    if (!['wifi', 'cellular', 'offline'].includes(network))
      throw new RangeError(`network is wifi, cellular or offline, got ${network}`);
    this.#network = network;
    this.queue.poke(true);
    if (network !== 'offline') void this.flushDeletes();
  }

  setAllowCellular(allow: boolean): void {
    this.#ctx.state.settings.allowCellular = allow;
    this.#ctx.state.saveSettings();
    this.queue.poke(true);
  }

  /** Cloud deletes are retried until the cloud confirms (offline, not signed in). */
  async flushDeletes(): Promise<void> {
    const { state, emit } = this.#ctx;
    const cloud = this.client();
    if (!cloud || this.#network === 'offline') return;
    for (const id of [...state.lib.pendingDeletes]) {
      try {
        await cloud.remove(id);
        state.lib.pendingDeletes = state.lib.pendingDeletes.filter((x) => x !== id);
        state.saveLibrary();
      } catch (err) {
        emit('error', new Error(`cloud delete of ${id} will be retried: ${(err as Error).message}`));
      }
    }
  }
}
