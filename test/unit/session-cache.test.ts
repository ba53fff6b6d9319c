import { describe, expect, it } from 'vitest';
import { SessionCache } from '../../activities/session-cache.ts';

/** A fake session factory: records which sessions were made and which were released. */
function fakeSessions() {
  const created: string[] = [];
  const released: string[] = [];
  const create = (key: string) => async () => {
    created.push(key);
    return {
      key,
      release: async () => {
        released.push(key);
      },
    };
  };
  return { created, released, create };
}

/** Lets the releases the cache started (after the session promise) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SessionCache', () => {
  it('reuses a cached session and makes it once for concurrent users', async () => {
    const cache = new SessionCache(4);
    const f = fakeSessions();
    const [a, b] = await Promise.all([
      cache.acquire('m', f.create('m')),
      cache.acquire('m', f.create('m')),
    ]);
    expect(a.session).toBe(b.session);
    a.release();
    b.release();
    const c = await cache.acquire('m', f.create('m'));
    expect(c.session).toBe(a.session);
    expect(f.created).toEqual(['m']);
  });

  it('never releases a session in use: it stays cached past the cap until its user releases it', async () => {
    const cache = new SessionCache(2);
    const f = fakeSessions();
    const busy = await cache.acquire('busy', f.create('busy'));
    for (const key of ['a', 'b', 'c']) (await cache.acquire(key, f.create(key))).release();
    await settle();
    expect(f.released).not.toContain('busy');
    expect(cache.keys()).toContain('busy');
    expect(cache.size).toBe(2);
    // the busy session is still usable, and is reused rather than made again
    const again = await cache.acquire('busy', f.create('busy'));
    expect(again.session).toBe(busy.session);
    busy.release();
    again.release();
    await settle();
    expect(f.created.filter((k) => k === 'busy')).toEqual(['busy']);
    expect(f.released).not.toContain('busy');
  });

  it('holds more than the cap only while more sessions than the cap are in use', async () => {
    const cache = new SessionCache(2);
    const f = fakeSessions();
    const leases = await Promise.all(
      ['a', 'b', 'c', 'd'].map((k) => cache.acquire(k, f.create(k))),
    );
    await settle();
    expect(cache.size).toBe(4);
    expect(f.released).toEqual([]);
    leases[1]!.release(); // b is the only idle one: it goes, though a, c and d are older
    await settle();
    expect(cache.size).toBe(3);
    expect(f.released).toEqual(['b']);
    for (const lease of leases) lease.release();
    await settle();
    // releasing a, c, d in that order: a goes (the cap is 2 again), c and d stay
    expect(cache.keys()).toEqual(['c', 'd']);
    expect(f.released).toEqual(['b', 'a']);
  });

  it('evicts the least recently used idle session, not the oldest', async () => {
    const cache = new SessionCache(3);
    const f = fakeSessions();
    for (const key of ['a', 'b', 'c']) (await cache.acquire(key, f.create(key))).release();
    (await cache.acquire('a', f.create('a'))).release(); // a is now the most recently used
    (await cache.acquire('d', f.create('d'))).release();
    await settle();
    expect(f.released).toEqual(['b']);
    expect(cache.keys()).toEqual(['c', 'a', 'd']);
    (await cache.acquire('e', f.create('e'))).release();
    await settle();
    expect(f.released).toEqual(['b', 'c']);
    expect(cache.size).toBe(3);
  });

  it('releases each lease once and forgets a session whose creation failed', async () => {
    const cache = new SessionCache(1);
    const f = fakeSessions();
    const a = await cache.acquire('a', f.create('a'));
    a.release();
    a.release(); // a second release must not count for another user
    const b = await cache.acquire('a', f.create('a'));
    (await cache.acquire('x', f.create('x'))).release();
    await settle();
    expect(f.released).toEqual(['x']); // a is in use by b: the idle x goes instead
    b.release();
    await settle();
    expect(cache.keys()).toEqual(['a']);

    await expect(cache.acquire('bad', () => Promise.reject(new Error('no model')))).rejects.toThrow(
      'no model',
    );
    expect(cache.keys()).not.toContain('bad');
    const retried = await cache.acquire('bad', f.create('bad'));
    expect(f.created).toContain('bad');
    retried.release();
  });
});
