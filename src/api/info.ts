/**
 * `resque info` and the dashboard's overview: per queue what waits, is delayed, is reserved (taken
 * by a worker, not finished), is done and failed — yii2-queue's `queue/info` labels — with the age
 * of the oldest waiting job, plus the workers busy and idle. Read in a few pipelines:
 *   1. the stats (ResqueStats), the queue names, the registered workers (readWorkers);
 *   2. per queue: LLEN and the head's `queue_time` (php-resque and ours write it);
 *   3. reserved: every worker's in-flight list per queue (ours), else its working-on record (peers);
 *   4. delayed per queue: the delayed items' `queue` field, read from at most DELAYED_SCAN items
 *      (the total is always exact; `delayedExact` says whether the split is);
 *   5. done / failed / retried: our per-queue counters (what our workers settled).
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { delayedTimestamps } from '../store/delayed';
import { pausedAll } from '../store/control';
import { pipelined, replyNumber, replyString } from './fields';
import { readStats, type ResqueStats } from './stats';
import { readWorkers, type RegisteredWorker } from './workers';
import { readQueueCounters } from './history';

/** Delayed items read at most to split the delayed count by queue. */
export const DELAYED_SCAN = 100000;
const CHUNK = 500;

export interface QueueInfo {
  readonly name: string;
  /** Jobs in `queue:NAME`. */
  readonly waiting: number;
  /** Jobs in the delayed queue for it (see ResqueInfo.delayedExact). */
  readonly delayed: number;
  /** Taken by a worker and not finished (our in-flight lists; a peer's current job). */
  readonly reserved: number;
  /** Attempts our workers settled (resque-ts:stat:processed:NAME). */
  readonly done: number;
  /** Of those, the failed ones. */
  readonly failed: number;
  readonly retried: number;
  /** Seconds since the head job was enqueued (its `queue_time`), or null (empty, or no queue_time). */
  readonly oldestAge: number | null;
}

export interface ResqueInfo {
  readonly queues: readonly QueueInfo[];
  readonly workers: { readonly total: number; readonly busy: number; readonly idle: number };
  /** `pause-all-workers` is set (Ruby's, and ours). */
  readonly pausedAll: boolean;
  /** Delayed jobs in all. */
  readonly delayed: number;
  /** false: more than DELAYED_SCAN delayed items, so the per-queue split counts only the first ones. */
  readonly delayedExact: boolean;
  readonly stats: ResqueStats;
}

export async function readInfo(redis: Redis, keys: Keys, server: string, o: { queue?: string; now?: number } = {}): Promise<ResqueInfo> {
  const now = o.now ?? Date.now();
  const [stats, workers, pause] = await Promise.all([readStats(redis, keys, server), readWorkers(redis, keys), redis.get(keys.pauseAll())]);
  const known = (await redis.smembers(keys.queues())).sort();
  const names = o.queue !== undefined ? [o.queue] : known;
  const heads = await pipelined(redis, (p) => { for (const q of names) p.llen(keys.queue(q)).lindex(keys.queue(q), 0); });
  const reserved = await reservedByQueue(redis, keys, workers, known);
  const { perQueue: delayedBy, total: delayed, exact } = await delayedByQueue(redis, keys);
  const counters = await readQueueCounters(redis, keys, names);
  const queues = names.map((name, i): QueueInfo => {
    const c = counters.get(name);
    return {
      name,
      waiting: replyNumber(heads[2 * i], name, []),
      delayed: delayedBy.get(name) ?? 0,
      reserved: reserved.get(name) ?? 0,
      done: c?.processed ?? 0,
      failed: c?.failed ?? 0,
      retried: c?.retried ?? 0,
      oldestAge: ageOf(replyString(heads[2 * i + 1], name, []), now),
    };
  });
  const busy = workers.filter((w) => w.job !== null).length;
  return { queues, workers: { total: workers.length, busy, idle: workers.length - busy }, pausedAll: pausedAll(pause), delayed, delayedExact: exact, stats };
}

/** Seconds since a payload's `queue_time` (unix seconds, maybe fractional), or null. */
export function ageOf(raw: string | null, now: number): number | null {
  if (raw === null) return null;
  try {
    const t = (JSON.parse(raw) as { queue_time?: unknown }).queue_time;
    return typeof t === 'number' && Number.isFinite(t) ? Math.max(0, now / 1000 - t) : null;
  } catch {
    return null;
  }
}

async function reservedByQueue(redis: Redis, keys: Keys, workers: readonly RegisteredWorker[], known: readonly string[]): Promise<Map<string, number>> {
  const pairs: [RegisteredWorker, string][] = [];
  for (const w of workers) for (const q of w.queues.includes('*') ? known : w.queues) pairs.push([w, q]);
  const lens = await pipelined(redis, (p) => { for (const [w, q] of pairs) p.llen(keys.inflight(w.id, q)); });
  const out = new Map<string, number>();
  const held = new Set<string>();
  pairs.forEach(([w, q], i) => {
    const n = replyNumber(lens[i], q, []);
    if (n > 0) {
      out.set(q, (out.get(q) ?? 0) + n);
      held.add(w.id);
    }
  });
  // A peer (no in-flight list): its current job.
  for (const w of workers) {
    const q = w.job?.queue;
    if (q && !held.has(w.id)) out.set(q, (out.get(q) ?? 0) + 1);
  }
  return out;
}

async function delayedByQueue(redis: Redis, keys: Keys): Promise<{ perQueue: Map<string, number>; total: number; exact: boolean }> {
  const stamps = await delayedTimestamps(redis, keys);
  const perQueue = new Map<string, number>();
  let total = 0;
  let read = 0;
  for (let i = 0; i < stamps.length; i += CHUNK) {
    const chunk = stamps.slice(i, i + CHUNK);
    const lens = await pipelined(redis, (p) => { for (const ts of chunk) p.llen(keys.delayed(ts)); });
    const sizes = chunk.map((_, j) => replyNumber(lens[j], 'delayed', []));
    total += sizes.reduce((a, b) => a + b, 0);
    const toRead = chunk.filter((_, j) => read + (sizes.slice(0, j + 1).reduce((a, b) => a + b, 0)) <= DELAYED_SCAN);
    if (toRead.length === 0) continue;
    const items = await pipelined(redis, (p) => { for (const ts of toRead) p.lrange(keys.delayed(ts), 0, -1); });
    for (const [err, list] of items) {
      if (err || !Array.isArray(list)) continue;
      for (const item of list as string[]) {
        read++;
        const q = queueOf(item);
        if (q !== undefined) perQueue.set(q, (perQueue.get(q) ?? 0) + 1);
      }
    }
  }
  return { perQueue, total, exact: read >= total };
}

function queueOf(item: string): string | undefined {
  try {
    const q = (JSON.parse(item) as { queue?: unknown }).queue;
    return typeof q === 'string' ? q : undefined;
  } catch {
    return undefined;
  }
}
