/**
 * Recovery: settling what dead workers held (WIRE.md §5, our in-flight lists).
 *   1. a dead worker's in-flight jobs are failed (PruneDeadWorkerDirtyExit, Ruby's behaviour) or
 *      requeued at the head of their queue, one atomic step per job; the running one is the head
 *      of its working-on queue, unless its batch cursor (./batch-cursor.ts) says otherwise: then
 *      the batch's finished jobs are counted first and a head that never started goes back;
 *   2. a foreign worker's working-on payload (PHP/Ruby, no in-flight list) is failed like Ruby does;
 *   3. one recovering worker at a time (the recovery lock).
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { transaction } from '../redis/multi';
import { withLock } from '../redis/lock';
import { parseJson, phpJsonEncode, phpString } from '../json';
import { failureRecord, failureRecordParts } from './failures';
import { popDoneJobs, recoverHead } from './jobs';
import { prunedError, settlementFor } from '../settlement';
import { cursorPath, readCursor, removeCursor, writeCursor } from './batch-cursor';
import { fenceWorker, inflightKeys, isJsonObject, unregisterWorker } from './workers';

export interface OrphanReport {
  workerId: string;
  failed: string[];
  requeued: string[];
}

const LOCK_MS = 30000;

/**
 * Run `fn` while holding the recovery lock (src/redis/lock.ts), so two workers never settle the
 * same dead worker's jobs at once (each step is atomic, but which job was running is decided
 * across steps). It expires after 30 s should its holder die. Busy: resolves null at once, or
 * with `wait` once it is free.
 */
export function withRecoveryLock<T>(redis: Redis, keys: Keys, owner: string, fn: () => Promise<T>, opts: { wait?: boolean } = {}): Promise<T | null> {
  return withLock(redis, keys.recoveryLock(), owner, fn, { ttlMs: LOCK_MS, wait: opts.wait ?? false });
}

/**
 * Prune a worker found dead (findDeadWorkers): fence it first — atomically with a look at its
 * heartbeat, so one that beat since is left alone (resolves null) — then settle what it held.
 * A frozen or cut-off process that comes back finds its fence: it takes and settles nothing more
 * under that id, and corrects a job it did finish (src/redis/scripts/amend.ts).
 */
export async function pruneDeadWorker(
  redis: Redis, keys: Keys, dead: { id: string; why: string; seen?: string | undefined }, opts: { requeue: boolean; byWorker: string },
): Promise<OrphanReport | null> {
  if (!(await fenceWorker(redis, keys, dead.id, dead.seen, opts.byWorker))) return null;
  return recoverDeadWorker(redis, keys, dead.id, { requeue: opts.requeue, reason: dead.why, byWorker: opts.byWorker, fenced: true });
}

/**
 * Settle a dead worker: its in-flight jobs (or, for a foreign worker, its working-on payload)
 * are failed with `reason` or requeued, then its registry entry is removed. `fenced`: it was
 * fenced (pruneDeadWorker), and what is done with each job is noted in its fence.
 */
export async function recoverDeadWorker(
  redis: Redis, keys: Keys, deadId: string, opts: { requeue: boolean; reason: string; byWorker: string; fenced?: boolean },
): Promise<OrphanReport> {
  const report: OrphanReport = { workerId: deadId, failed: [], requeued: [] };
  const fenced = opts.fenced ? keys.fence(deadId) : undefined;
  const found = await drainInflight(redis, keys, deadId, { ...opts, fenced }, report);
  if (!found) await failForeignWorkingOn(redis, keys, deadId, opts, report);
  await unregisterWorker(redis, keys, deadId);
  return report;
}

/**
 * A previous process with our very id (same host, pid and queues: PID 1 in a container that kept
 * its name) died holding jobs: settle them like any dead worker's instead of claiming them again.
 * Resolves the report, or null when it left nothing.
 */
export async function settleOwnLeftovers(redis: Redis, keys: Keys, id: string, opts: { requeue: boolean }): Promise<OrphanReport | null> {
  if ((await redis.exists(keys.worker(id))) === 0 && (await inflightKeys(redis, keys, id)).length === 0) return null;
  return recoverDeadWorker(redis, keys, id, { requeue: opts.requeue, reason: `Worker ${id} restarted while processing a job`, byWorker: id });
}

/**
 * A stopping worker puts back what it reserved but never started (jobs a losing blocking
 * BLMOVE parked), at the head of their queues. Resolves how many went back.
 */
export async function requeueParked(redis: Redis, keys: Keys, id: string): Promise<number> {
  const report: OrphanReport = { workerId: id, failed: [], requeued: [] };
  await drainInflight(redis, keys, id, { requeue: true, reason: '', byWorker: id }, report);
  return report.requeued.length;
}

/**
 * A worker leaving (stopped, or its job process gone and settled): what it parked goes back to
 * the head of its queues, then its registry keys are removed.
 */
export async function retireWorker(redis: Redis, keys: Keys, id: string): Promise<void> {
  await requeueParked(redis, keys, id);
  await unregisterWorker(redis, keys, id);
}

/** Settle every in-flight job of a worker, one atomic step each; resolves whether it had lists. */
async function drainInflight(
  redis: Redis, keys: Keys, id: string, opts: { requeue: boolean; reason: string; byWorker: string; fenced?: string | undefined }, report: OrphanReport,
): Promise<boolean> {
  const lists = await inflightKeys(redis, keys, id);
  // Only the job the worker was running (the head of the in-flight list of its working-on queue)
  // is failed; jobs a blocking race had merely parked were never started and simply go back.
  const runningQueue = lists.length > 0 ? workingQueue(await redis.get(keys.worker(id))) : undefined;
  const failedAt = new Date();
  for (const list of lists) {
    const queue = list.slice(keys.inflightPrefix(id).length);
    let running = queue === runningQueue && (await settleCursor(redis, keys, id, queue)) !== 'not-started';
    for (;;) {
      // The running job is the head; jobs merely parked go back from the tail, keeping their order.
      const settlement = settlementFor({ kind: 'pruned', reason: opts.reason, byWorker: opts.byWorker, running }, { requeueOrphans: opts.requeue });
      const fromTail = settlement.kind === 'requeue';
      const bytes = await redis.lindexBuffer(list, fromTail ? -1 : 0);
      if (bytes === null) break;
      const record = settlement.kind === 'failed' ? failureRecordParts({ error: settlement.error, workerId: id, queue, failedAt }) : undefined;
      const className = record ? looseField(bytes.toString('utf8'), 'class') ?? '' : '';
      const reply = await recoverHead(redis, keys, { list, queue, bytes, fromTail, record, jsonObject: isJsonObject(bytes), className, ...(opts.fenced ? { fence: opts.fenced } : {}) });
      if (reply === -1) continue; // another worker settled that one first; look again
      if (typeof reply !== 'string') break;
      (record ? report.failed : report.requeued).push(reply);
      running = false;
    }
  }
  removeCursor(cursorPath(keys.ns, id));
  return lists.length > 0;
}

/**
 * What the batch cursor of a dead loop (see batch-cursor.ts) says about the head of its
 * in-flight list for `queue`: the jobs it had finished are popped and counted here first.
 * 'running': the head was running when the loop died; 'not-started': it never started;
 * 'unknown': no cursor on this host (the head is then taken as running).
 */
export async function settleCursor(redis: Redis, keys: Keys, id: string, queue: string): Promise<'running' | 'not-started' | 'unknown'> {
  const file = cursorPath(keys.ns, id);
  const cursor = readCursor(file);
  if (!cursor) return 'unknown';
  const list = keys.inflight(id, queue);
  const head = await redis.lindexBuffer(list, 0);
  if (head === null || createHash('sha1').update(head).digest('hex') !== cursor.sha) return 'not-started';
  if (cursor.done > 0) {
    const done = await redis.lrange(list, 0, cursor.done - 1);
    const pidKeys = done.map((raw) => {
      const jobId = looseJobId(raw);
      return jobId === undefined ? keys.absent() : keys.jobPid(jobId);
    });
    const classNames = done.map((raw) => looseField(raw, 'class') ?? '');
    await popDoneJobs(redis, keys, { workerId: id, list, queue, done: cursor.done, sha: cursor.sha, pidKeys, classNames });
    // Point the cursor at the new head, so a retry after a failure from here on reads it right.
    const next = await redis.lindexBuffer(list, 0);
    if (next === null) return 'not-started';
    writeCursor(file, { sha: createHash('sha1').update(next).digest('hex'), done: 0, state: cursor.state });
  }
  return cursor.state === 'run' ? 'running' : 'not-started';
}

function looseJobId(raw: string): string | undefined {
  return looseField(raw, 'id');
}

/** A string field of a payload read leniently (JSON.parse), for the history's class names. */
function looseField(raw: string, name: 'id' | 'class'): string | undefined {
  try {
    const v = JSON.parse(raw) as Record<string, unknown> | null;
    const f = v !== null && typeof v === 'object' ? v[name] : undefined;
    return typeof f === 'string' ? f : undefined;
  } catch {
    return undefined;
  }
}

/** The queue named in a working-on record, if any. */
function workingQueue(working: string | null): string | undefined {
  if (!working) return undefined;
  try {
    const q = (JSON.parse(working) as { queue?: unknown }).queue;
    return typeof q === 'string' ? q : undefined;
  } catch {
    return undefined;
  }
}

/** A PHP or Ruby worker keeps its job only in `worker:WID`: record it as Ruby's pruning does. */
async function failForeignWorkingOn(
  redis: Redis, keys: Keys, deadId: string, opts: { reason: string; byWorker: string }, report: OrphanReport,
): Promise<void> {
  const working = await redis.getdel(keys.worker(deadId));
  if (!working) return;
  let queue = '';
  // The payload goes in verbatim when it was re-encoded from the working-on JSON, else as a string.
  let payload = working;
  let verbatim = false;
  try {
    const w = parseJson(working) as { queue?: unknown; payload?: unknown };
    queue = typeof w.queue === 'string' ? w.queue : '';
    payload = phpJsonEncode(w.payload ?? null);
    verbatim = true;
  } catch {
    // not JSON: kept as a JSON string of its bytes
  }
  const record = failureRecord({ raw: payload, rawIsObject: verbatim, error: prunedError(opts.reason, opts.byWorker), workerId: deadId, queue, failedAt: new Date() });
  if (!verbatim) payload = phpString(working);
  await transaction(redis, (m) => m.rpush(keys.failed(), record).incrby(keys.stat('failed'), 1).incrby(keys.stat('processed'), 1));
  report.failed.push(payload);
}

