/**
 * Our history (src/store/history.ts) as the admin API shows it: per-minute series for charts,
 * all-time per-queue counters, and the job-duration histograms for the metrics.
 *   1. readHistory: the last N minutes, one pipeline of HGETALLs (a missing minute is zeros);
 *   2. readQueueCounters: processed / failed / retried of each queue our workers settled;
 *   3. readDurations: the `resque-ts:durations` hash as cumulative histograms per queue and class.
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { DURATION_BUCKETS, minuteOf } from '../store/history';
import { pipelined, replyHash, replyNumber } from './fields';

/** One minute of history. */
export interface HistoryMinute {
  /** Unix seconds of the minute's start. */
  readonly at: number;
  readonly processed: number;
  readonly failed: number;
  /** Per queue: attempts processed / failed in that minute. */
  readonly queues: Readonly<Record<string, { readonly processed: number; readonly failed: number }>>;
  /** Per job class. */
  readonly classes: Readonly<Record<string, { readonly processed: number; readonly failed: number }>>;
}

/** The last `minutes` minutes, oldest first, up to the current one; optionally one queue's only. */
export async function readHistory(redis: Redis, keys: Keys, o: { minutes?: number; queue?: string; now?: number } = {}): Promise<HistoryMinute[]> {
  const minutes = Math.min(Math.max(Math.floor(o.minutes ?? 60), 1), 7 * 24 * 60);
  const last = minuteOf(o.now ?? Date.now());
  const wanted: number[] = [];
  for (let m = last - minutes + 1; m <= last; m++) wanted.push(m);
  const replies = await pipelined(redis, (p) => { for (const m of wanted) p.hgetall(keys.history(m)); });
  return wanted.map((m, i) => {
    const h = replyHash(replies[i], keys.history(m), []) ?? {};
    const queues: Record<string, { processed: number; failed: number }> = {};
    const classes: Record<string, { processed: number; failed: number }> = {};
    let processed = 0;
    let failed = 0;
    for (const [field, text] of Object.entries(h)) {
      const n = Number(text);
      if (!Number.isFinite(n)) continue;
      const kind = field.slice(0, 3);
      const name = field.slice(3);
      const into = kind[0] === 'q' ? queues : kind[0] === 'c' ? classes : undefined;
      if (!into || (kind !== 'qp:' && kind !== 'qf:' && kind !== 'cp:' && kind !== 'cf:')) continue;
      const e = (into[name] ??= { processed: 0, failed: 0 });
      if (kind[1] === 'p') e.processed += n;
      else e.failed += n;
    }
    const list = o.queue !== undefined ? (queues[o.queue] ? [queues[o.queue] as { processed: number; failed: number }] : []) : Object.values(queues);
    for (const q of list) {
      processed += q.processed;
      failed += q.failed;
    }
    return { at: m * 60, processed, failed, queues: o.queue !== undefined ? pick(queues, o.queue) : queues, classes: o.queue !== undefined ? {} : classes };
  });
}

function pick<T>(o: Record<string, T>, k: string): Record<string, T> {
  return o[k] === undefined ? {} : { [k]: o[k] as T };
}

/** A queue's all-time counters, as our workers settled its attempts. */
export interface QueueCounters {
  readonly processed: number;
  readonly failed: number;
  readonly retried: number;
}

export async function readQueueCounters(redis: Redis, keys: Keys, queues: readonly string[]): Promise<Map<string, QueueCounters>> {
  const replies = await pipelined(redis, (p) => {
    for (const q of queues) p.get(keys.queueStat('processed', q)).get(keys.queueStat('failed', q)).get(keys.retried(q));
  });
  const out = new Map<string, QueueCounters>();
  queues.forEach((q, i) => {
    const num = (j: number): number => replyNumber(replies[3 * i + j], q, []);
    out.set(q, { processed: num(0), failed: num(1), retried: num(2) });
  });
  return out;
}

/** One histogram: cumulative counts per upper bound (seconds; the last is +Inf), the count and the sum. */
export interface DurationHistogram {
  readonly queue: string;
  readonly className: string;
  /** [upper bound, attempts that took at most that long]; the last bound is Infinity. */
  readonly buckets: readonly (readonly [number, number])[];
  readonly count: number;
  readonly sum: number;
}

export async function readDurations(redis: Redis, keys: Keys): Promise<DurationHistogram[]> {
  const h = (await redis.hgetall(keys.durations())) ?? {};
  const byPair = new Map<string, { queue: string; className: string; counts: number[]; sum: number }>();
  for (const [field, text] of Object.entries(h)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(field);
    } catch {
      continue;
    }
    if (!Array.isArray(parsed) || parsed.length !== 3 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') continue;
    const [queue, className, which] = parsed as [string, string, unknown];
    const id = JSON.stringify([queue, className]);
    let e = byPair.get(id);
    if (!e) {
      e = { queue, className, counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0 };
      byPair.set(id, e);
    }
    const n = Number(text);
    if (!Number.isFinite(n)) continue;
    if (which === 'sum') e.sum = n;
    else if (typeof which === 'number' && Number.isInteger(which) && which >= 0 && which <= DURATION_BUCKETS.length) e.counts[which] = n;
  }
  const out: DurationHistogram[] = [];
  for (const e of byPair.values()) {
    let running = 0;
    const buckets = e.counts.map((c, i): [number, number] => {
      running += c;
      return [i < DURATION_BUCKETS.length ? (DURATION_BUCKETS[i] as number) : Infinity, running];
    });
    out.push({ queue: e.queue, className: e.className, buckets, count: running, sum: e.sum });
  }
  return out.sort((a, b) => (a.queue === b.queue ? (a.className < b.className ? -1 : 1) : a.queue < b.queue ? -1 : 1));
}
