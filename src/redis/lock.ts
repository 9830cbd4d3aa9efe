/**
 * A lock on one Redis key: `SET key token NX PX ttl` to take it, compare-and-delete to release it
 * (never another holder's), an expiry should its holder die. Used by recovery (one worker prunes
 * the dead at a time); the scheduler's leader lock is the next user.
 *   withLock(redis, key, owner, fn, { ttlMs, wait }): runs `fn` holding the lock and resolves its
 *   result; when the lock is taken it resolves null at once, or with `wait` polls every 100 ms
 *   until it is free (at most ttlMs).
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface LockOptions {
  /** How long the lock lives should its holder die without releasing it. */
  ttlMs: number;
  /** Wait for a taken lock (polling every 100 ms, at most ttlMs) instead of giving up at once. */
  wait?: boolean;
}

export async function withLock<T>(redis: Redis, key: string, owner: string, fn: () => Promise<T>, opts: LockOptions): Promise<T | null> {
  const token = `${owner} ${randomBytes(6).toString('hex')}`;
  const until = Date.now() + opts.ttlMs;
  while ((await redis.set(key, token, 'PX', opts.ttlMs, 'NX')) !== 'OK') {
    if (!opts.wait || Date.now() > until) return null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    return await fn();
  } finally {
    // Lost connection: the lock expires. A refusal (NOPERM for EVAL, say) would keep it taken
    // for its whole TTL after every turn, so it is told, not swallowed.
    await redis.eval(RELEASE, 1, key, token).catch((e: unknown) => {
      if ((e as { name?: unknown }).name === 'ReplyError') throw e;
    });
  }
}
