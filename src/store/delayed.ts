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
import { editDelayed } from '../redis/scripts/delayed-edit';
import { microtime, newJobId } from '../payload';
import { parseJson, phpJsonEncode } from '../json';

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

/** Which delayed jobs to find: queue and class, and optionally args (compared decoded, whoever wrote the item). */
export interface DelayedMatch {
  queue: string;
  jobClass: string;
  /** php-resque's `$args` (the item's `args[0]`), or a Ruby / node-resque item's positional list. */
  args?: unknown;
}

/** Whether the item `raw` is a job of `m` (decoded values compared, not bytes). */
export function matchesDelayed(raw: string, m: DelayedMatch): boolean {
  let item: unknown;
  try {
    item = parseJson(raw);
  } catch {
    return false;
  }
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
  const { class: cls, queue, args } = item as { class?: unknown; queue?: unknown; args?: unknown };
  if (cls !== m.jobClass || queue !== m.queue) return false;
  if (m.args === undefined) return true;
  if (!Array.isArray(args)) return false;
  return sameValue(args, [m.args]) || (Array.isArray(m.args) && sameValue(args, m.args));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') return String(a) === String(b);
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** TS values per ZRANGE call when walking the schedule (no KEYS, no SCAN of the keyspace). */
const WALK_CHUNK = 500;

/**
 * Remove (or, with `toTs`, move to that second) every delayed job matching `m`, at `only` or at
 * any second. Resolves how many were found. Each item is taken by its exact bytes in one script.
 */
export async function editMatching(redis: Redis, keys: Keys, m: DelayedMatch, opts: { only?: number; toTs?: number } = {}): Promise<number> {
  let found = 0;
  for (let start = 0; ; start += WALK_CHUNK) {
    const stamps = opts.only !== undefined ? (start === 0 ? [opts.only] : []) : (await redis.zrange(keys.delayedSchedule(), start, start + WALK_CHUNK - 1)).map(Number);
    if (stamps.length === 0) break;
    let removedHere = 0;
    for (const ts of stamps) {
      const items = new Set((await redis.lrange(keys.delayed(ts), 0, -1)).filter((raw) => matchesDelayed(raw, m)));
      for (const raw of items) {
        const n = Number(await editDelayed.call(redis, {
          keys: { delayed: keys.delayed(ts), schedule: keys.delayedSchedule(), timestamps: keys.timestamps(raw), target: opts.toTs !== undefined ? keys.delayed(opts.toTs) : keys.absent(), wake: keys.schedulerWake() },
          args: { item: raw, ts, toTs: opts.toTs !== undefined ? opts.toTs : '' },
        }));
        found += n;
        if (n > 0 && (await redis.exists(keys.delayed(ts))) === 0) removedHere++;
      }
    }
    // Emptied seconds left the schedule: the next window starts that much earlier.
    start -= removedHere;
    if (opts.only !== undefined) break;
  }
  return found;
}

/** Remove one exact delayed item at `ts` (or, with `toTs`, move it there); resolves how many copies were taken. */
export async function editItem(redis: Redis, keys: Keys, ts: number, raw: string, toTs?: number): Promise<number> {
  return Number(await editDelayed.call(redis, {
    keys: { delayed: keys.delayed(ts), schedule: keys.delayedSchedule(), timestamps: keys.timestamps(raw), target: toTs !== undefined ? keys.delayed(toTs) : keys.absent(), wake: keys.schedulerWake() },
    args: { item: raw, ts, toTs: toTs !== undefined ? toTs : '' },
  }));
}
