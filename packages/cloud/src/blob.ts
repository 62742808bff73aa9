/**
 * Clip bytes: a local folder (default) or any S3-compatible object store. Keys are made
 * by the server only (see keys below) and checked again here, so nothing a user sends
 * can become a path or an object name.
 */
import type { Readable } from 'node:stream';

export interface BlobStore {
  readonly kind: 'local' | 's3';
  init(): Promise<void>;
  /**
   * Stores a local file under key (atomically: readers see all or nothing). `move`: the
   * caller no longer needs the file, so a store on the same disk may take it by renaming
   * instead of copying (it may then be gone); an S3 store uploads it and leaves it.
   */
  putFile(key: string, file: string, move?: boolean): Promise<void>;
  /** Bytes [start, endExclusive) of an object. */
  readRange(key: string, start: number, endExclusive: number): Promise<Readable>;
  /** Copies the whole object to a local file. */
  download(key: string, file: string): Promise<void>;
  size(key: string): Promise<number | null>;
  delete(key: string): Promise<void>;
  /** Every key under a prefix (tests and sweeps). */
  list(prefix: string): Promise<string[]>;
  /** A local path readable in place (local store), else null. */
  localPath(key: string): string | null;
  close(): Promise<void>;
}

const KEY = /^(clips|parts)\/[0-9a-f-]{36}\/[0-9a-f-]{36}(\.mp4|\/\d+-[0-9a-f]{16})$/;

export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`internal error: refusing blob key ${JSON.stringify(key)}`);
  return key;
}

export const keys = {
  clip: (userId: string, clipId: string) => checkKey(`clips/${userId}/${clipId}.mp4`),
  part: (userId: string, clipId: string, start: number, nonce: string) =>
    checkKey(`parts/${userId}/${clipId}/${start}-${nonce}`),
};
