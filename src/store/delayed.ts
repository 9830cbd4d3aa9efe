/**
 * Delayed jobs (WIRE.md §11): `delayed:TS` lists, the `delayed_queue_schedule` sorted set
 * (member = score = TS) and resque-scheduler's `timestamps:<item>` index — what php-resque's
 * Scheduler, php-resque-scheduler, resque-scheduler and node-resque all read and write.
 *   1. dueSecond: the TS of a time, rounded up, so a job never runs before the time asked for;
 *   2. scheduleItems: items with their index (and a tracked job's status) in one step each;
 *   3. moveDue: due items of every flavour onto their queues, atomically, in batches;
 *   4. read views: how many jobs wait, at which seconds, which items;
 *   5. the scheduler's leadership (ours, plus resque-scheduler's and node-resque's locks).
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { schedule } from '../redis/scripts/schedule';
import { moveDue as moveDueScript } from '../redis/scripts/move-due';
import { lead, resign } from '../redis/scripts/lead';
import { microtime, newJobId } from '../payload';
import { phpJsonEncode } from '../json';

/** One item to schedule: its bytes, the second it is due, and its status key/packet when tracked. */
export interface DelayedItem {
  ts: number;
  raw: string;
  status?: { key: string; packet: string };
}

/** Unix second TS for a job wanted at `at` (a Date, or unix seconds): rounded up, never early. */
export function dueSecond(at: Date | number): number {
  const seconds = at instanceof Date ? at.getTime() / 1000 : at;
  if (!Number.isFinite(seconds)) throw new TypeError(`A time to run at must be a Date or unix seconds, got ${String(at)}`);
  return Math.ceil(seconds);
}

/** Items per script call (three keys and three arguments each). */
const SCHEDULE_CHUNK = 1000;

export async function scheduleItems(redis: Redis, keys: Keys, items: readonly DelayedItem[]): Promise<void> {
  for (let i = 0; i < items.length; i += SCHEDULE_CHUNK) {
    const chunk = items.slice(i, i + SCHEDULE_CHUNK);
    await schedule.call(redis, {
      keys: { schedule: keys.delayedSchedule(), wake: keys.schedulerWake() },
      args: { count: chunk.length },
      restKeys: chunk.flatMap((it) => [keys.delayed(it.ts), keys.timestamps(it.raw), it.status?.key ?? keys.absent()]),
      restArgs: chunk.flatMap((it) => [it.ts, it.raw, it.status?.packet ?? '']),
    });
  }
}

export interface MoveResult {
  /** Items pushed onto their queues. */
  moved: number;
  /** Items that were no job objects, kept in `resque-ts:delayed:invalid`. */
  invalid: number;
  /** The earliest TS still scheduled, if any. */
  next: number | undefined;
}

/** Move up to `max` items due at or before unix second `now` onto their queues (one atomic script). */
export async function moveDue(redis: Redis, keys: Keys, now: number, max: number, queueTimeMs: number = Date.now()): Promise<MoveResult> {
  const ids = Array.from({ length: max }, () => newJobId());
  const reply = (await moveDueScript.call(redis, {
    keys: { schedule: keys.delayedSchedule(), queues: keys.queues(), invalid: keys.delayedInvalid() },
    args: { ns: keys.ns, now, queueTime: phpJsonEncode(microtime(queueTimeMs)), max },
    restArgs: ids,
  })) as [number, number, string | null];
  const next = reply[2] === null || reply[2] === undefined ? undefined : Number(reply[2]);
  return { moved: Number(reply[0]), invalid: Number(reply[1]), next };
}

/** The earliest scheduled TS, if any. */
export async function nextDue(redis: Redis, keys: Keys): Promise<number | undefined> {
  const first = await redis.zrange(keys.delayedSchedule(), 0, 0, 'WITHSCORES');
  return first.length >= 2 ? Number(first[1]) : undefined;
}

/** Every TS that has items, in order. */
export async function delayedTimestamps(redis: Redis, keys: Keys): Promise<number[]> {
  return (await redis.zrange(keys.delayedSchedule(), 0, -1)).map(Number);
}

/** How many jobs wait (items, not timestamps): one LLEN per scheduled TS, pipelined. */
export async function delayedSize(redis: Redis, keys: Keys): Promise<number> {
  const stamps = await delayedTimestamps(redis, keys);
  if (stamps.length === 0) return 0;
  const pipe = redis.pipeline();
  for (const ts of stamps) pipe.llen(keys.delayed(ts));
  const replies = (await pipe.exec()) ?? [];
  return replies.reduce((sum, [err, n]) => sum + (err ? 0 : Number(n)), 0);
}

/** The items due at `ts`, as stored (`start`, `count`: a window of the list). */
export function peekDelayed(redis: Redis, keys: Keys, ts: number, start = 0, count = 100): Promise<string[]> {
  return redis.lrange(keys.delayed(ts), start, start + count - 1);
}

/** Our leader lock's TTL: a scheduler that dies or freezes is replaced within this long. */
export const LEAD_TTL_MS = 6000;
/** The peers' scheduler locks' TTL, as they set it (resque-scheduler, node-resque). */
const PEER_LOCK_TTL = 180;

/** The scheduler's leadership (src/redis/scripts/lead.ts): 'leading', 'ours' (another of ours leads) or 'peer'. */
export async function takeLead(redis: Redis, keys: Keys, me: string): Promise<'leading' | 'ours' | 'peer'> {
  const r = Number(await lead.call(redis, { keys: leadKeys(keys), args: { me, ttlMs: LEAD_TTL_MS, peerTtl: PEER_LOCK_TTL } }));
  return r === 1 ? 'leading' : r === 0 ? 'ours' : 'peer';
}

/** Give the leadership up (each lock that still names `me`). */
export async function resignLead(redis: Redis, keys: Keys, me: string): Promise<void> {
  await resign.call(redis, { keys: leadKeys(keys), args: { me } });
}

function leadKeys(keys: Keys): { leader: string; peerLocks: string; rubyLock: string; nodeLock: string } {
  return { leader: keys.schedulerLeader(), peerLocks: keys.schedulerPeerLocks(), rubyLock: keys.rubySchedulerLock(), nodeLock: keys.nodeSchedulerLock() };
}
