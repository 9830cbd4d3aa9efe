/**
 * Queues as the admin API shows them: `resque:queues` and `resque:queue:NAME` (WIRE.md §2, §3).
 *   1. listQueues: every known name, sorted like Resque#queues(), with its size, in one pipeline.
 *   2. peekQueue: items by position, each decoded with decodePayload; an item that is not a job
 *      is returned with its bytes and the reason (never skipped, never thrown). Nothing is removed.
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { peekRaw, queueNames } from '../store/queues';
import { decodePayload, type DecodedJob } from '../payload';
import { pipelined, replyNumber } from './fields';

/** One queue and how many jobs wait in it. */
export interface QueueSummary {
  readonly name: string;
  readonly size: number;
  /** Why the size could not be read (e.g. the key is not a list), or null. */
  readonly error: string | null;
}

/** One queue item by position: the decoded job, or why it is not one. Both keep the exact bytes. */
export type PeekedItem =
  | { readonly index: number; readonly raw: string; readonly job: DecodedJob; readonly error: null }
  | { readonly index: number; readonly raw: string; readonly job: null; readonly error: string };

export async function listQueues(redis: Redis, keys: Keys): Promise<QueueSummary[]> {
  const names = (await queueNames(redis, keys)).sort();
  const replies = await pipelined(redis, (p) => { for (const q of names) p.llen(keys.queue(q)); });
  return names.map((name, i) => {
    const problems: string[] = [];
    const size = replyNumber(replies[i], `${keys.queue(name)}`, problems);
    return { name, size, error: problems[0] ?? null };
  });
}

export async function peekQueue(redis: Redis, keys: Keys, queue: string, start: number, count: number): Promise<PeekedItem[]> {
  checkRange(start, count);
  const raws = await peekRaw(redis, keys, queue, start, count);
  return raws.map((raw, i) => decodeItem(start + i, raw));
}

/** A list item decoded, or its error. */
export function decodeItem(index: number, raw: string): PeekedItem {
  try {
    return { index, raw, job: decodePayload(raw), error: null };
  } catch (e) {
    return { index, raw, job: null, error: (e as Error).message };
  }
}

/** Positions are list indexes from the head: `start` ≥ 0, `count` ≥ 0, both integers. */
export function checkRange(start: number, count: number): void {
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`start must be an integer ≥ 0, got ${start}`);
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be an integer ≥ 0, got ${count}`);
}
