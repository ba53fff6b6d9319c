/** What the cache needs of a session: a way to free it (onnxruntime's InferenceSession.release). */
export interface Releasable {
  release(): Promise<void>;
}

/** A session held by one user until it calls `release` (once; later calls do nothing). */
export interface SessionLease<S> {
  readonly session: S;
  release(): void;
}

interface Entry<S> {
  readonly session: Promise<S>;
  /** Leases not yet released: while any is out, the session is never evicted nor released. */
  users: number;
}

/**
 * Sessions shared by the activities of one worker, keyed by model and options, counted while in
 * use. At most `capacity` sessions stay cached once idle: when an acquire or a release leaves more,
 * the least recently used idle ones are evicted and released. A session in use is never evicted,
 * so the cache holds more than `capacity` only while more than `capacity` sessions are in use at
 * once. A session whose creation fails is forgotten (the next acquire tries again).
 */
export class SessionCache<S extends Releasable> {
  // Map order is recency order: every acquire and release moves its entry to the end.
  readonly #entries = new Map<string, Entry<S>>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new RangeError(`Expected a session cache capacity from 0 and up, got ${capacity}`);
  }

  /** The number of sessions cached, in use or idle (creating ones included). */
  get size(): number {
    return this.#entries.size;
  }

  /** The keys cached, least recently used first. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** The session under `key` (made by `create` when not cached), held until the lease is released. */
  async acquire(key: string, create: () => Promise<S>): Promise<SessionLease<S>> {
    let entry = this.#entries.get(key);
    if (entry) this.#entries.delete(key);
    else entry = { session: create(), users: 0 };
    entry.users++;
    this.#entries.set(key, entry);
    this.#trim();
    let session: S;
    try {
      session = await entry.session;
    } catch (error) {
      entry.users--;
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw error;
    }
    let released = false;
    return {
      session,
      release: () => {
        if (released) return;
        released = true;
        entry.users--;
        if (this.#entries.get(key) === entry) {
          this.#entries.delete(key);
          this.#entries.set(key, entry);
        }
        this.#trim();
      },
    };
  }

  /** Evicts and releases idle sessions, least recently used first, down to the capacity. */
  #trim(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.capacity) return;
      if (entry.users > 0) continue;
      this.#entries.delete(key);
      void entry.session.then((s) => s.release()).catch(() => undefined);
    }
  }
}
