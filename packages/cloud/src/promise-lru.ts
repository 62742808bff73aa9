/**
 * A bounded LRU of values made once per key and shared by concurrent requests (virtual MP4s,
 * HLS renditions, decoded and rendered telemetry of stored clips). A make that fails is
 * forgotten, so the next request tries again; an evicted value lives on while requests still
 * hold it. Bounded by count, and optionally by weight (bytes) once a value is made: one
 * rendered CSV of a long trace can be tens of MB.
 */
export interface PromiseLruOptions<T> {
  /** what a made value weighs (its bytes) */
  weight?: (value: T) => number;
  /** the most all made values may weigh; the newest is kept even when it alone weighs more */
  maxWeight?: number;
}

interface Entry<T> {
  value: Promise<T>;
  /** 0 until made */
  weight: number;
}

export class PromiseLru<T> {
  #map = new Map<string, Entry<T>>();
  #weight = 0;
  readonly max: number;
  readonly #options: PromiseLruOptions<T>;
  constructor(max: number, options: PromiseLruOptions<T> = {}) {
    this.max = max;
    this.#options = options;
  }

  get(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.#map.get(key);
    if (hit) {
      this.#map.delete(key);
      this.#map.set(key, hit);
      return hit.value;
    }
    const entry: Entry<T> = { value: make(), weight: 0 };
    this.#map.set(key, entry);
    entry.value.then(
      (made) => {
        const weigh = this.#options.weight;
        if (!weigh || this.#map.get(key) !== entry) return;
        entry.weight = weigh(made);
        this.#weight += entry.weight;
        this.#evict();
      },
      () => {
        if (this.#map.get(key) === entry) this.#remove(key);
      },
    );
    this.#evict();
    return entry.value;
  }

  /** Forgets every entry whose key starts with `prefix` (a deleted clip's). */
  drop(prefix: string): void {
    for (const k of [...this.#map.keys()]) if (k.startsWith(prefix)) this.#remove(k);
  }

  #evict(): void {
    const maxWeight = this.#options.maxWeight ?? Infinity;
    while (this.#map.size > this.max || (this.#map.size > 1 && this.#weight > maxWeight))
      this.#remove(this.#map.keys().next().value!);
  }

  #remove(key: string): void {
    const entry = this.#map.get(key);
    if (!entry) return;
    this.#map.delete(key);
    this.#weight -= entry.weight;
  }
}
