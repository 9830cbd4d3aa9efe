/**
 * Our history of settled attempts, for charts and metrics: written by the very scripts that
 * settle jobs (no round trip of its own), read by the admin API.
 *   1. Per unix minute, a hash `resque-ts:history:M` (TTL HISTORY_TTL): `qp:Q` / `qf:Q` attempts
 *      of queue Q processed / failed in that minute, `cp:C` / `cf:C` the same per job class;
 *   2. per queue, all-time counters `resque-ts:stat:processed:Q` / `resque-ts:stat:failed:Q`;
 *   3. job durations, a histogram per queue and class with fixed buckets (DURATION_BUCKETS,
 *      seconds; the last bucket is +Inf): hash `resque-ts:durations`, fields `["Q","C",i]` → the
 *      attempts that took at most DURATION_BUCKETS[i] (not cumulative), `["Q","C","sum"]` → seconds.
 * Everything is under `resque-ts:`, so the peers' `stat:*` scans never see it. Only what our
 * workers settle is counted (a php-resque worker writes `stat:*` only). A job counts processed
 * on every attempt (a retried attempt too), failed only on its last, as stat:processed does.
 * HistoryBatch collects one settle's attempts (one queue) into the script's argument.
 */
import type { Keys } from '../redis/keys';

/** Upper bounds (seconds) of the duration buckets; one more bucket, +Inf, follows. */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];
/** Seconds a minute's hash is kept (7 days). */
export const HISTORY_TTL = 7 * 86400;

/** The unix minute of `ms`. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / 60000);
}

/** The bucket index of a duration in ms (DURATION_BUCKETS.length = +Inf). */
export function bucketOf(ms: number): number {
  const s = ms / 1000;
  for (let i = 0; i < DURATION_BUCKETS.length; i++) if (s <= (DURATION_BUCKETS[i] as number)) return i;
  return DURATION_BUCKETS.length;
}

/** The durations hash field of queue Q, class C, bucket i (or 'sum'): JSON, so no name can be ambiguous. */
export function durationField(queue: string, className: string, bucket: number | 'sum'): string {
  return JSON.stringify([queue, className, bucket]);
}

interface ClassTally {
  processed: number;
  failed: number;
  sum: number;
  timed: boolean;
  buckets: Map<number, number>;
}

/** One settle's attempts of one queue, as add_history's argument (src/redis/scripts/lua-lib.ts). */
export class HistoryBatch {
  private readonly byClass = new Map<string, ClassTally>();

  constructor(readonly queue: string) {}

  /** One attempt settled: `className` '' counts it for the queue only; `durationMs` undefined: not timed. */
  add(className: string, failed: boolean, durationMs?: number): void {
    let t = this.byClass.get(className);
    if (!t) {
      t = { processed: 0, failed: 0, sum: 0, timed: false, buckets: new Map() };
      this.byClass.set(className, t);
    }
    t.processed++;
    if (failed) t.failed++;
    if (durationMs !== undefined && className !== '' && Number.isFinite(durationMs) && durationMs >= 0) {
      t.timed = true;
      t.sum += durationMs / 1000;
      const b = bucketOf(durationMs);
      t.buckets.set(b, (t.buckets.get(b) ?? 0) + 1);
    }
  }

  /** Add another batch's counts (of the same queue) to this one. */
  merge(other: HistoryBatch): void {
    for (const [c, t] of other.byClass) {
      const mine = this.byClass.get(c);
      if (!mine) {
        this.byClass.set(c, { processed: t.processed, failed: t.failed, sum: t.sum, timed: t.timed, buckets: new Map(t.buckets) });
        continue;
      }
      mine.processed += t.processed;
      mine.failed += t.failed;
      mine.sum += t.sum;
      mine.timed ||= t.timed;
      for (const [b, n] of t.buckets) mine.buckets.set(b, (mine.buckets.get(b) ?? 0) + n);
    }
  }

  get empty(): boolean {
    return this.byClass.size === 0;
  }

  /** The JSON argument ('' when empty). */
  json(): string {
    if (this.byClass.size === 0) return '';
    const e: unknown[] = [];
    for (const [c, t] of this.byClass) {
      const buckets = t.timed ? [...t.buckets].map(([i, n]) => [durationField(this.queue, c, i), n]) : null;
      e.push([c, t.processed, t.failed, t.timed ? Math.round(t.sum * 1e6) / 1e6 : null, buckets, t.timed ? durationField(this.queue, c, 'sum') : null]);
    }
    return JSON.stringify({ q: this.queue, e });
  }
}

/** add_history's KEYS and ARGV for `batch` settled at `now` (ms); history off: absent keys, nothing written. */
export function historyParams(keys: Keys, batch: HistoryBatch | undefined, now = Date.now()): {
  keys: { history: string; durations: string; queueProcessed: string; queueFailed: string };
  args: { historyJson: string; historyTtl: number };
} {
  if (!batch || batch.empty) {
    const a = keys.absent();
    return { keys: { history: a, durations: a, queueProcessed: a, queueFailed: a }, args: { historyJson: '', historyTtl: HISTORY_TTL } };
  }
  return {
    keys: { history: keys.history(minuteOf(now)), durations: keys.durations(), queueProcessed: keys.queueStat('processed', batch.queue), queueFailed: keys.queueStat('failed', batch.queue) },
    args: { historyJson: batch.json(), historyTtl: HISTORY_TTL },
  };
}
