/**
 * What the clip service's parts share: the stores, the queue, the caches, the staging
 * folder and the URL signer. service.ts makes one; uploads, trims, shares, auth and views
 * each take it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { BlobStore } from '../blob.js';
import type { Config } from '../config.js';
import { notFound } from '../errors.js';
import type { LocalCopies } from '../local-copies.js';
import type { VirtualCache } from '../media.js';
import type { ClipRow, ClipState, MetaStore, User } from '../meta.js';
import type { Queue } from '../queue.js';
import type { UrlSigner } from '../tokens.js';
import { clipId } from '../validate.js';

export type Track = 'road' | 'cabin' | 'both' | 'audio';

/** The states a user sees; 'uploading' only where asked, 'deleting' never. */
export const VISIBLE: ClipState[] = ['ready', 'processing', 'failed'];

export class ServiceContext {
  /** Set by Service.start(): the secret may come from the metadata store. */
  signer!: UrlSigner;
  /** Best-effort steps that failed (their work is redone later or was only a speed-up). */
  backgroundFailures = 0;

  constructor(
    readonly config: Config,
    readonly meta: MetaStore,
    readonly blobs: BlobStore,
    readonly queue: Queue,
    readonly copies: LocalCopies,
    readonly virtual: VirtualCache,
    readonly staging: string,
  ) {}

  /**
   * Runs a best-effort step (dropping parts a finished upload no longer needs, keeping a
   * local copy): its failure does not fail the request, but it is counted and reported.
   */
  async bestEffort(what: string, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.backgroundFailures++;
      console.error(
        `ringclip-cloud: ${what} failed (${this.backgroundFailures} best-effort failures so far): ${(err as Error).message}`,
      );
    }
  }

  /** A fresh file name in the staging folder. */
  tmp(): string {
    return join(this.staging, `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }

  /** The clip if it exists for this user and is not being deleted; 404 otherwise. */
  async clip(user: User, id: string, states: ClipState[] = ['uploading', ...VISIBLE]): Promise<ClipRow> {
    const row = await this.meta.getClip(user.id, clipId(id));
    if (!row || !states.includes(row.state)) throw notFound();
    return row;
  }
}

/** The name of a ready clip's local copy (its content hash makes a re-upload a new copy). */
export function copyName(row: ClipRow): string {
  return `${row.userId}-${row.id}-${row.sha256!.slice(0, 16)}`;
}

/** A new row of an upload that has not received a byte. */
export function newRow(user: User, id: string): ClipRow {
  const now = Date.now();
  return {
    userId: user.id,
    id,
    state: 'uploading',
    time: now,
    kind: 'manual',
    meta: {},
    size: null,
    received: 0,
    parts: [],
    sha256: null,
    duration: null,
    tracks: [],
    blobKey: null,
    trim: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    version: 0,
  };
}
