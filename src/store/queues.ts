/**
 * Queues: `resque:queues` (set of names) and `resque:queue:NAME` (list of payloads).
 *   1. push/pushMany: SADD queues + RPUSH in one MULTI (and the status packet first, so a
 *      fast worker never runs a tracked job before its status exists).
 *   2. size, names, peek: read-only views.
 *   3. dequeue: php-resque's filters, removing matches by their exact bytes (LREM) so no
 *      other item is ever touched or re-encoded.
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { transaction } from '../redis/multi';
import { enqueue } from '../redis/scripts/enqueue';
import { decodePayload, type DecodedJob } from '../payload';

/** One job to push: its payload bytes, and its status key/packet when tracked. */
export interface QueueItem {
  raw: string;
  status?: { key: string; packet: string };
}

/** Lua's unpack() takes a bounded number of values: bigger batches go in several commands. */
const PUSH_CHUNK = 4000;

/** One untracked job: the `enqueue` script with a single payload. */
export function pushOne(redis: Redis, keys: Keys, queue: string, raw: string): Promise<unknown> {
  return enqueue.call(redis, { keys: { queues: keys.queues(), queue: keys.queue(queue) }, args: { name: queue, count: 1 }, restArgs: [raw] });
}

/** Where a push of many items stopped: the first `pushed` items are in Redis; the chunk after them failed with `error`. */
export interface PushStop {
  pushed: number;
  /** How many items after the first `pushed` may have landed all the same (a lost reply), 0 when Redis refused them. */
  uncertain: number;
  error: Error;
}

/**
 * Push items onto one queue: one Lua command per chunk (status packets, SADD, RPUSH). Each chunk
 * is all or nothing: Redis refuses a script at its first write when it is out of memory, and a
 * script that began writing runs to its end. Resolves null, or where it stopped.
 */
export async function pushItems(redis: Redis, keys: Keys, queue: string, items: readonly QueueItem[]): Promise<PushStop | null> {
  for (let i = 0; i < items.length; i += PUSH_CHUNK) {
    const chunk = items.slice(i, i + PUSH_CHUNK);
    const tracked = chunk.filter((it) => it.status);
    try {
      await enqueue.call(redis, {
        keys: { queues: keys.queues(), queue: keys.queue(queue) },
        args: { name: queue, count: chunk.length },
        restKeys: tracked.map((it) => it.status?.key as string),
        restArgs: [...chunk.map((it) => it.raw), ...tracked.map((it) => it.status?.packet as string)],
      });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      // A reply error (OOM, NOPERM, READONLY…) means Redis did not run it; a lost connection may have lost only the reply.
      return { pushed: i, uncertain: error.name === 'ReplyError' ? 0 : chunk.length, error };
    }
  }
  return null;
}

export async function queueSize(redis: Redis, keys: Keys, queue: string): Promise<number> {
  return redis.llen(keys.queue(queue));
}

export async function queueNames(redis: Redis, keys: Keys): Promise<string[]> {
  return redis.smembers(keys.queues());
}

/** Raw payloads from `start`, `count` of them (php-resque `items()` / Ruby `peek`). */
export async function peekRaw(redis: Redis, keys: Keys, queue: string, start = 0, count = 1): Promise<string[]> {
  if (count <= 0) return [];
  return redis.lrange(keys.queue(queue), start, start + count - 1);
}

/**
 * A dequeue filter (php-resque `Resque::dequeue($queue, $items)`):
 * - `'Class'` removes every job of that class (php: `['Class']`);
 * - `{ class, id }` removes the job with that id (php: `['Class' => 'id']`);
 * - `{ class, args }` removes jobs whose `args[0]` entries all appear with equal values in
 *   `args` (php: `['Class' => [...]]`, array_diff semantics).
 */
export type DequeueFilter = string | { class: string; id: string } | { class: string; args: Record<string, unknown> | unknown[] };

export function matchesFilter(job: DecodedJob, filter: DequeueFilter): boolean {
  if (typeof filter === 'string') return job.className === filter;
  if (job.className !== filter.class) return false;
  if ('id' in filter) return job.id === filter.id;
  const jobArgs = job.arg0;
  if (jobArgs === null || typeof jobArgs !== 'object') return false;
  const entries = Object.entries(jobArgs as Record<string, unknown>);
  if (entries.length === 0) return false;
  const wanted = filter.args as Record<string, unknown>;
  return entries.every(([k, v]) => k in wanted && sameJson(v, wanted[k]));
}

function sameJson(a: unknown, b: unknown): boolean {
  const enc = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return enc(a) === enc(b);
}

/** Remove the whole queue's items (no filters) or the matching ones; resolves how many went. */
export async function dequeue(redis: Redis, keys: Keys, queue: string, filters: readonly DequeueFilter[] = []): Promise<number> {
  const key = keys.queue(queue);
  if (filters.length === 0) {
    const [len] = await transaction(redis, (m) => m.llen(key).del(key));
    return Number(len);
  }
  const items = await redis.lrange(key, 0, -1);
  const doomed = new Map<string, number>();
  for (const raw of items) {
    let job: DecodedJob;
    try {
      job = decodePayload(raw);
    } catch {
      continue; // a malformed item matches no filter and is left alone
    }
    if (filters.some((f) => matchesFilter(job, f))) doomed.set(raw, (doomed.get(raw) ?? 0) + 1);
  }
  if (doomed.size === 0) return 0;
  const removed = await transaction(redis, (m) => {
    for (const [raw, count] of doomed) m.lrem(key, count, raw);
  });
  return removed.reduce<number>((sum, n) => sum + Number(n), 0);
}

/** Delete a queue and forget its name; resolves how many items it held. */
export async function removeQueue(redis: Redis, keys: Keys, queue: string): Promise<number> {
  const key = keys.queue(queue);
  const [len] = await transaction(redis, (m) => m.llen(key).del(key).srem(keys.queues(), queue));
  return Number(len);
}

/** Empty a queue, keeping its name in `queues`; resolves how many items it held. */
export async function clearQueue(redis: Redis, keys: Keys, queue: string): Promise<number> {
  const key = keys.queue(queue);
  const [len] = await transaction(redis, (m) => m.llen(key).del(key));
  return Number(len);
}
