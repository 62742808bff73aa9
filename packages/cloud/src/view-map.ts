/** The engine's zero-copy send of a file's bytes [start, end) to a socket: the bytes it took. */
export type SendTo = (socket: number, start: number, end: number) => number;

/**
 * A video as the list of its views (engine: VirtualMP4.views() for a per-track MP4,
 * Mp4Source.views() for the stored file), made once per file and sliced per request: a range
 * GET finds its first view by binary search and hands subarrays of the mapped file to the
 * socket. No copy, no allocation per byte served. With `sendTo` (the engine object the views
 * came from), a response sends its bytes by sendfile instead, and writes views only while
 * the socket is full (http-range.ts).
 */
export class ViewMap {
  readonly size: number;
  readonly sendTo: SendTo | undefined;
  /** views[i] starts at offsets[i] of the file */
  readonly #views: Uint8Array[];
  readonly #offsets: number[] = [];

  constructor(views: Uint8Array[], sendTo?: SendTo) {
    this.sendTo = sendTo;
    this.#views = views;
    let at = 0;
    for (const v of views) {
      this.#offsets.push(at);
      at += v.byteLength;
    }
    this.size = at;
  }

  /** Views covering [start, end), in order. */
  slice(start: number, end: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (end <= start) return out;
    let lo = 0;
    let hi = this.#offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#offsets[mid]! <= start) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; i < this.#views.length && this.#offsets[i]! < end; i++) {
      const at = this.#offsets[i]!;
      const v = this.#views[i]!;
      out.push(v.subarray(Math.max(0, start - at), Math.min(v.byteLength, end - at)));
    }
    return out;
  }
}
