/**
 * A request budget per user: at most `inFlight` of one user's API requests are worked on at
 * once; more wait in that user's line (first come, first served), and past `queued` waiting
 * ones a request is refused with 429 and Retry-After. One user's load (a dozen connections
 * pulling their longest clip) then takes at most `inFlight` of the server's turns, and
 * another user's list is answered between them instead of behind all of them.
 *
 * The budget is shared fairly: while several users are asking (a request from each in the
 * last SHARE_WINDOW_MS), each may have `inFlight / users` requests worked on at once (at
 * least one). Node serves requests in turns, so a user with four requests in flight gets four
 * turns for another's one: alone a user gets the whole budget, beside another half of it.
 *
 * A slot counts work, not connections: a response waiting for its client to read (a paused
 * <video> holding its response open) gives its slot back until the client reads again
 * (`Slot.idle()`), so a viewer's open videos never keep the same user's next request waiting.
 */
import { performance } from 'node:perf_hooks';
import { HttpError } from './errors.js';

interface UserLine {
  active: number;
  waiting: Array<() => void>;
}

/** One request's place in its user's budget. */
export interface Slot {
  /** Gives the slot back (the response is done); later calls do nothing. */
  release(this: void): void;
  /**
   * Gives the slot back while `client` is pending (the client is not reading), then takes
   * one again, in line with the user's other requests but never refused: a response under
   * way is finished, not cut off.
   */
  idle<T>(client: Promise<T>): Promise<T>;
}

/** The slot each response is worked on under (set by the server's budget hook; read by writeInTurns). */
export const slotOfResponse = new WeakMap<object, Slot>();

/** How long a user's last request keeps them among those the budget is shared with. */
export const SHARE_WINDOW_MS = 1000;

export class UserBudget {
  #lines = new Map<string, UserLine>();
  /** When each user last asked (ms, by `clock`), oldest first: the users the budget is shared among. */
  #asked = new Map<string, number>();
  /** Requests refused because a user's line was full (reported by tests and logs). */
  refused = 0;

  constructor(
    readonly inFlight: number,
    readonly queued: number,
    /** ms; tests pass their own */
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!Number.isInteger(inFlight) || inFlight < 1)
      throw new Error(`the per-user in-flight budget must be a whole number >= 1, got ${inFlight}`);
  }

  /** Waits for one of the user's slots (429 when their line is full). */
  async acquire(userId: string): Promise<Slot> {
    this.#asked.delete(userId); // kept in order of asking: the oldest first
    this.#asked.set(userId, this.clock());
    await this.#take(userId, true);
    let held = true;
    let done = false;
    return {
      release: () => {
        if (done) return;
        done = true;
        if (held) this.#give(userId);
        held = false;
      },
      idle: async <T>(client: Promise<T>): Promise<T> => {
        if (done || !held) return client;
        held = false;
        this.#give(userId);
        try {
          return await client;
        } finally {
          if (!done) {
            await this.#take(userId, false);
            // Released meanwhile (the client went away): the slot just taken goes back.
            if (done) this.#give(userId);
            else held = true;
          }
        }
      },
    };
  }

  async #take(userId: string, refusable: boolean): Promise<void> {
    let line = this.#lines.get(userId);
    if (!line) {
      line = { active: 0, waiting: [] };
      this.#lines.set(userId, line);
    }
    if (line.active < this.share()) {
      line.active++;
      return;
    }
    if (refusable && line.waiting.length >= this.queued) {
      this.refused++;
      throw new HttpError(
        429,
        'too_many_requests',
        `this user has ${line.active} requests in flight and ${line.waiting.length} waiting: retry after a second`,
        { 'retry-after': '1' },
      );
    }
    // The slot is handed over by #give (active already counts it).
    const l = line;
    await new Promise<void>((resolve) => l.waiting.push(resolve));
  }

  #give(userId: string): void {
    const line = this.#lines.get(userId);
    if (!line) return;
    // Waiting requests take the freed slot, and more when the share grew (the others
    // stopped asking); none when the user is over their share now that others ask too.
    line.active--;
    for (const share = this.share(); line.waiting.length > 0 && line.active < share; line.active++)
      line.waiting.shift()!();
    if (line.active === 0) this.#lines.delete(userId);
  }

  /** Requests each user may have worked on at once now: `inFlight` shared among the users asking. */
  share(): number {
    const since = this.clock() - SHARE_WINDOW_MS;
    for (const [user, at] of this.#asked) {
      if (at >= since) break;
      this.#asked.delete(user);
    }
    return Math.max(1, Math.floor(this.inFlight / Math.max(1, this.#asked.size)));
  }

  /** In-flight and waiting requests of a user. */
  load(userId: string): { active: number; waiting: number } {
    const line = this.#lines.get(userId);
    return { active: line?.active ?? 0, waiting: line?.waiting.length ?? 0 };
  }
}
