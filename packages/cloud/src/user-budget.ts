/**
 * A request budget per user: at most `inFlight` of one user's API requests are served at
 * once; more wait in that user's queue (first come, first served), and past `queued` waiting
 * ones a request is refused with 429 and Retry-After. One user's load (a dozen connections
 * pulling their longest clip) then takes at most `inFlight` of the server's turns, and
 * another user's list is answered between them instead of behind all of them.
 */
import { HttpError } from './errors.js';

interface UserLine {
  active: number;
  waiting: Array<() => void>;
}

export class UserBudget {
  #lines = new Map<string, UserLine>();
  /** Requests refused because a user's queue was full (reported by tests and logs). */
  refused = 0;

  constructor(
    readonly inFlight: number,
    readonly queued: number,
  ) {
    if (!Number.isInteger(inFlight) || inFlight < 1)
      throw new Error(`the per-user in-flight budget must be a whole number >= 1, got ${inFlight}`);
  }

  /** Waits for one of the user's slots; the returned function gives it back (call it exactly once). */
  async acquire(userId: string): Promise<() => void> {
    let line = this.#lines.get(userId);
    if (!line) {
      line = { active: 0, waiting: [] };
      this.#lines.set(userId, line);
    }
    if (line.active >= this.inFlight) {
      if (line.waiting.length >= this.queued) {
        this.refused++;
        throw new HttpError(
          429,
          'too_many_requests',
          `this user has ${line.active} requests in flight and ${line.waiting.length} waiting: retry after a second`,
          { 'retry-after': '1' },
        );
      }
      await new Promise<void>((resolve) => line.waiting.push(resolve));
    } else {
      line.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = line.waiting.shift();
      // The slot passes straight to the next waiting request (active stays the same).
      if (next) next();
      else if (--line.active === 0) this.#lines.delete(userId);
    };
  }

  /** In-flight and waiting requests of a user. */
  load(userId: string): { active: number; waiting: number } {
    const line = this.#lines.get(userId);
    return { active: line?.active ?? 0, waiting: line?.waiting.length ?? 0 };
  }
}
