/**
 * When COUNT > 1, how soon a worker that could not reach Redis is started again, and when the
 * process gives up: 1 s, 2 s, 4 s … at most 30 s between starts, and once Redis has been out for
 * --redis-timeout (counted from the first failure, or from the start of the outage a running
 * worker gave up on), every worker stops and the process exits 1 — a systemd or Kubernetes restart
 * takes it from there. One per seat of the fleet (src/worker/fleet.ts) or of the supervisor.
 */
import { backoffMs, type Backoff } from '../backoff';
import { isRedisFailure } from '../redis/cause';

export const RESTART_BACKOFF: Backoff = { baseMs: 1000, maxMs: 30_000 };

/** A worker's end, as the restart policy sees it. */
export interface RedisDown {
  /** When the outage began (epoch ms). */
  readonly since: number;
  /** What the worker said (`Could not connect to Redis at ADDR: connection refused (ECONNREFUSED)`). */
  readonly message: string;
}

/** Whether a worker ended on `error` because of Redis, and since when; undefined: another cause. */
export function redisDownOf(error: unknown, redisTimeout: number, now = Date.now()): RedisDown | undefined {
  if (!isRedisFailure(error)) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  // A running worker gives up after --redis-timeout of errors: that is how long it has lasted.
  const since = (error as { name?: unknown }).name === 'RedisOutageError' ? now - redisTimeout * 1000 : now;
  return { since, message };
}

export class RestartBackoff {
  private since: number | undefined;
  private failures = 0;

  constructor(private readonly redisTimeout: number, private readonly clock: () => number = Date.now) {}

  /** A worker started (it reached Redis): the outage, if any, is over. */
  started(): void {
    this.since = undefined;
    this.failures = 0;
  }

  /**
   * A worker ended because Redis was down: the milliseconds to wait before starting the next one,
   * or undefined once the outage has lasted --redis-timeout (0: never give up).
   */
  failed(down: RedisDown): number | undefined {
    const now = this.clock();
    this.since = Math.min(this.since ?? down.since, down.since);
    const deadline = this.since + this.redisTimeout * 1000;
    if (this.redisTimeout > 0 && now >= deadline) return undefined;
    const ms = backoffMs(this.failures++, RESTART_BACKOFF);
    return this.redisTimeout > 0 ? Math.min(ms, deadline - now) : ms;
  }

  /** `*** Redis has been out for more than N s (…): stopping` — the give-up line. */
  giveUp(down: RedisDown): string {
    return `*** Redis has been out for more than ${this.redisTimeout} s (${down.message}): stopping every worker`;
  }
}
