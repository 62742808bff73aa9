/**
 * A bounded LRU of values made once per key and shared by concurrent requests (virtual MP4s,
 * HLS renditions, decoded telemetry of stored clips). A make that fails is forgotten, so the
 * next request tries again; an evicted value lives on while requests still hold it.
 */
export class PromiseLru<T> {
  #map = new Map<string, Promise<T>>();
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }

  get(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.#map.get(key);
    if (hit) {
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit;
    }
    const p = make();
    this.#map.set(key, p);
    p.catch(() => this.#map.delete(key));
    while (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!);
    return p;
  }

  /** Forgets every entry whose key starts with `prefix` (a deleted clip's). */
  drop(prefix: string): void {
    for (const k of [...this.#map.keys()]) if (k.startsWith(prefix)) this.#map.delete(k);
  }
}
