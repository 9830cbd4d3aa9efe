/**
 * The worker registry (WIRE.md §5): `workers` set, `worker:WID` (working-on),
 * `worker:WID:started`, per-worker stats, Ruby's `workers:heartbeat`, and our additive
 * in-flight lists `worker:WID:inflight:QUEUE`.
 *   1. register / heartbeat / unregister, each one MULTI.
 *   2. finding the dead: same-host workers whose pid is gone, any worker whose heartbeat is stale
 *      (settling what they held is ./recovery.ts);
 *   3. isJsonObject: whether payload bytes can be embedded verbatim in a record.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { transaction } from '../redis/multi';
import { phpDateC } from '../time';
import { beat } from '../redis/scripts/beat';
import { fence } from '../redis/scripts/fence';

/** Parsed `host:pid:queues` (split on `:` into at most 3 parts, as php-resque and Ruby do). */
export interface WorkerIdParts {
  host: string;
  pid: number;
  queues: string;
}

export function workerId(queues: readonly string[], pid: number = process.pid, host: string = hostname()): string {
  return `${host}:${pid}:${queues.join(',')}`;
}

export function parseWorkerId(id: string): WorkerIdParts | null {
  const first = id.indexOf(':');
  const second = first < 0 ? -1 : id.indexOf(':', first + 1);
  if (first < 0) return null;
  const host = id.slice(0, first);
  const pidText = second < 0 ? id.slice(first + 1) : id.slice(first + 1, second);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return { host, pid, queues: second < 0 ? '' : id.slice(second + 1) };
}

/** A new process registers (a fence left for an earlier process with this very id goes: it was settled). */
export async function registerWorker(redis: Redis, keys: Keys, id: string, now: Date = new Date()): Promise<void> {
  await transaction(redis, (m) => {
    m.del(keys.fence(id));
    m.sadd(keys.workers(), id);
    m.set(keys.workerStarted(id), phpDateC(now));
    m.hset(keys.heartbeat(), id, phpDateC(now));
  });
}

/**
 * Refresh the heartbeat; also re-registers a worker whose entry vanished (a Redis restart without
 * persistence, or a php-resque worker pruning us), so the registry heals itself. Resolves false,
 * writing nothing, when the worker was fenced (pruned as dead by another worker): it must stop.
 */
export async function heartbeat(redis: Redis, keys: Keys, id: string, now: Date = new Date()): Promise<boolean> {
  const reply = await beat.call(redis, {
    keys: { workers: keys.workers(), started: keys.workerStarted(id), heartbeat: keys.heartbeat(), fence: keys.fence(id) },
    args: { id, now: phpDateC(now) },
  });
  return reply === 1;
}

/** How long a fence is kept (a frozen process may come back a day later and still be refused). */
export const FENCE_TTL_SECONDS = 86400;

/**
 * Fence a worker found dead before settling what it held, unless its heartbeat moved since it was
 * read as `seen` (then it is alive: resolves false and nothing is written).
 */
export async function fenceWorker(redis: Redis, keys: Keys, id: string, seen: string | undefined, by: string): Promise<boolean> {
  const reply = await fence.call(redis, {
    keys: { heartbeat: keys.heartbeat(), fence: keys.fence(id) },
    args: { id, seen: seen ?? '', by, ttl: FENCE_TTL_SECONDS },
  });
  return reply === 1;
}

/** Remove every registry key of a worker (its in-flight lists must have been settled first). */
export async function unregisterWorker(redis: Redis, keys: Keys, id: string): Promise<void> {
  await transaction(redis, (m) => {
    m.srem(keys.workers(), id);
    m.del(keys.worker(id), keys.workerStarted(id), keys.stat('processed', id), keys.stat('failed', id), keys.workerUsage(id));
    m.hdel(keys.heartbeat(), id);
  });
}

export async function listWorkers(redis: Redis, keys: Keys): Promise<string[]> {
  return redis.smembers(keys.workers());
}

/** In-flight list keys of a worker (SCAN, never KEYS). */
export async function inflightKeys(redis: Redis, keys: Keys, id: string): Promise<string[]> {
  const pattern = `${escapeGlob(keys.inflightPrefix(id))}*`;
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

export { isJsonObject } from '../json';

/**
 * Whether a pid is alive on this host (EPERM means alive but not ours). A zombie (dead, not yet
 * reaped: a container whose pid 1 reaps nothing keeps them) is not alive, where /proc tells.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const end = stat.lastIndexOf(')');
    return stat.slice(end + 2, end + 3) !== 'Z';
  } catch {
    return true; // no /proc, or it went meanwhile: kill(0) is all we know
  }
}

/** A worker found dead, and the heartbeat it was judged by (absent: none). */
export interface DeadWorker {
  id: string;
  why: string;
  seen?: string | undefined;
}

/**
 * Registered workers that are dead: same host with a gone pid, or (any host) a heartbeat
 * older than `staleSeconds`. A worker with a fresh heartbeat is never returned.
 */
export async function findDeadWorkers(
  redis: Redis, keys: Keys, self: string, opts: { host?: string; staleSeconds: number; now?: number },
): Promise<DeadWorker[]> {
  const host = opts.host ?? hostname();
  const now = opts.now ?? Date.now();
  const [ids, beats] = await Promise.all([listWorkers(redis, keys), redis.hgetall(keys.heartbeat())]);
  const dead: DeadWorker[] = [];
  for (const id of new Set([...ids, ...Object.keys(beats)])) {
    if (id === self) continue;
    const beatAt = beats[id] ? Date.parse(beats[id] as string) : NaN;
    const fresh = !Number.isNaN(beatAt) && now - beatAt < opts.staleSeconds * 1000;
    const parts = parseWorkerId(id);
    if (parts && parts.host === host && !pidAlive(parts.pid)) {
      dead.push({ id, why: `Worker ${id} died (pid ${parts.pid} is gone) while processing a job`, seen: beats[id] });
    } else if (!Number.isNaN(beatAt) && !fresh) {
      dead.push({ id, why: `Worker ${id} sent no heartbeat for ${Math.round((now - beatAt) / 1000)} s while processing a job`, seen: beats[id] });
    }
  }
  return dead;
}
