/**
 * The jobs aggregate: every state change of a job a worker holds goes through here, each one
 * atomic step (one Lua script) on Redis:
 *   - reserve: the next batch moves from `queue:Q` into `worker:WID:inflight:Q`, recorded on the
 *     worker (working-on, status RUNNING, job pids);
 *   - settle: a batch's plain successes counted and popped, the job that needs its own record
 *     finished, and the next batch reserved, in one round trip;
 *   - finish: one job's bookkeeping (counters, failure record, final status), or its requeue;
 *   - giveBack: jobs taken but never started back at the head of their queue, in order;
 *   - popDone / recoverHead (for recovery): a dead loop's counted successes, and one job a dead
 *     worker held, failed or requeued.
 * What to write is decided by src/settlement.ts; the failure record is built by
 * src/store/failures.ts. Every step checks the in-flight head (SHA-1 of its bytes), so a call
 * repeated after a lost reply changes nothing.
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { reserve } from '../redis/scripts/reserve';
import { finish } from '../redis/scripts/finish';
import { settle } from '../redis/scripts/settle';
import { giveBack } from '../redis/scripts/give-back';
import { popDone } from '../redis/scripts/pop-done';
import { recoverOne } from '../redis/scripts/recover';
import { amend } from '../redis/scripts/amend';
import { retryJob } from '../redis/scripts/retry-job';
import { withTopField } from '../json-fields';
import { WorkerFencedError } from '../errors';
import { phpJsonEncode, phpString } from '../json';
import { phpDateC, unixNow } from '../time';
import { STATUS_COMPLETE, STATUS_FAILED, STATUS_TTL } from './status';
import { failureRecordParts, RedisFailureBackend, type Failure, type FailureBackend } from './failures';
import { sha1, type Claim, type Reserved } from '../reserved';
import type { Settlement } from '../settlement';
import type { ScriptArg } from '../redis/script';
import { FINISH_SPEC, RESERVE_SPEC, type FinishArg, type FinishKey } from '../redis/scripts/job-steps';
import { HistoryBatch, historyParams } from './history';
import { writeHistory } from '../redis/scripts/history';

/** Milliseconds plain successes' history may be held before a settle writes it. */
export const HISTORY_HOLD_MS = 1000;

interface FinishParams {
  keys: Record<FinishKey, string>;
  args: Record<FinishArg, ScriptArg>;
}
type HistoryParams = ReturnType<typeof historyParams>;
type ReserveArgs = Record<(typeof RESERVE_SPEC.args)[number], ScriptArg>;
type ReserveKeys = Record<(typeof RESERVE_SPEC.keys)[number], string>;

/**
 * Most queues one reserve script looks at: with `QUEUE=*` over thousands of queues, a reserve is
 * several short scripts (about 0.3 ms each for 100 empty queues) rather than one that holds Redis
 * for tens of milliseconds.
 */
export const RESERVE_CHUNK = 100;

/** The transitions of the jobs one worker (`workerId`) holds. */
export class WorkerJobs {
  private readonly failures: FailureBackend;
  private emptyFinish: FinishParams | undefined;
  /** History of plain successes not written yet, per queue, and since when it is held. */
  private readonly held = new Map<string, { batch: HistoryBatch; since: number }>();

  constructor(
    private readonly redis: () => Promise<Redis>,
    private readonly keys: Keys,
    private readonly workerId: string,
    failures?: FailureBackend,
    /** Write our history (src/store/history.ts) with each settle (`--no-history`: off). */
    private readonly history = true,
  ) {
    this.failures = failures ?? new RedisFailureBackend(redis, keys);
  }

  /**
   * add_history's KEYS and ARGV for these settled attempts of `queue` (a failed one: `failed`).
   * Plain successes are held and written with the queue's first settle after HISTORY_HOLD_MS (the
   * hot path writes history about once a second, not with every batch); any other outcome writes
   * at once, with what was held. `commit()` is called once the script succeeded, so a settle sent
   * again after a lost reply counts nothing twice. flushHistory() writes what is held at shutdown.
   */
  private historyOf(queue: string, jobs: readonly Reserved[], last?: { r: Reserved; s: Settlement }): { params: HistoryParams; commit(): void } {
    const none = { params: historyParams(this.keys, undefined), commit: (): void => undefined };
    if (!this.history) return none;
    const current = new HistoryBatch(queue);
    for (const r of jobs) current.add(r.job?.className ?? '', false, r.ranMs);
    // Settled here: done, skipped, failed, a retried attempt (requeued ones never ran to an end).
    if (last && last.s.kind !== 'requeue' && last.r.queue === queue) current.add(last.r.job?.className ?? '', last.s.kind === 'failed', last.r.ranMs);
    if (current.empty) return none;
    const held = this.held.get(queue);
    const plain = !last || (last.s.kind === 'done' && !last.r.tracked);
    if (plain && (!held || Date.now() - held.since < HISTORY_HOLD_MS)) {
      return {
        params: none.params,
        commit: () => {
          const h = this.held.get(queue) ?? { batch: new HistoryBatch(queue), since: Date.now() };
          h.batch.merge(current);
          this.held.set(queue, h);
        },
      };
    }
    if (held) current.merge(held.batch);
    return { params: historyParams(this.keys, current), commit: () => { if (this.held.get(queue) === held) this.held.delete(queue); } };
  }

  /** Write the history held back (at shutdown): one script per queue that has some. */
  async flushHistory(): Promise<void> {
    const held = [...this.held.values()];
    this.held.clear();
    for (const h of held) {
      if (h.batch.empty) continue;
      const p = historyParams(this.keys, h.batch);
      await writeHistory.call(await this.redis(), { keys: p.keys, args: p.args });
    }
  }

  /** Take up to `max` jobs: one script call per RESERVE_CHUNK queues, in priority order, until one has jobs. */
  async reserve(queues: readonly string[], childPid: number | undefined, max: number): Promise<Claim | null> {
    for (let i = 0; i < queues.length; i += RESERVE_CHUNK) {
      const chunk = queues.slice(i, i + RESERVE_CHUNK);
      const [keys, restKeys, args, restArgs] = this.reserveParams(chunk, childPid, max);
      const got = this.claim(chunk, await reserve.callBuffer(await this.redis(), { keys, args, restKeys, restArgs }));
      if (got) return got;
    }
    return null;
  }

  async settle(done: readonly Reserved[], last: { r: Reserved; s: Settlement } | undefined, queues: readonly string[], childPid: number | undefined, max: number): Promise<Claim | null> {
    if (last?.s.kind === 'retry') {
      // Rare: the batch's successes, the retry, then the next batch (the parked jobs first), one step each.
      if (done.length > 0) await this.settle(done, undefined, [], childPid, max);
      await this.retry(last.r, last.s);
      return queues.length > 0 ? this.reserve(queues, childPid, max) : null;
    }
    const k = this.keys;
    const first = done[0];
    const pop = first
      ? { doneInflight: this.inflight(first.queue), doneProcessed: k.stat('processed'), doneProcessedWorker: k.stat('processed', this.workerId) }
      : { doneInflight: k.absent(), doneProcessed: k.absent(), doneProcessedWorker: k.absent() };
    const popArgs = first ? { doneCount: done.length, doneHeadSha: sha1(first) } : { doneCount: 0, doneHeadSha: '' };
    const fin = last ? await this.finishParams(last.r, last.s) : this.noFinish();
    // One queue per settle: the batch's, or the job that ended it (in the same in-flight list).
    const { params: hist, commit } = this.historyOf(first?.queue ?? last?.r.queue ?? '', done, last);
    // The round trip reserves from the first RESERVE_CHUNK queues; the rest, if it found none there.
    const firstQueues = queues.slice(0, RESERVE_CHUNK);
    const reserving = firstQueues.length > 0 ? this.reserveParams(firstQueues, childPid, max) : undefined;
    const rk = reserving ? [...RESERVE_SPEC.keys.map((n) => reserving[0][n]), ...reserving[1]] : [];
    const ra = reserving ? [...RESERVE_SPEC.args.map((n) => reserving[2][n]), ...reserving[3]] : [];
    const pidKeys = done.map((r) => (r.job?.id ? k.jobPid(r.job.id) : k.absent()));
    const reply = (await settle.callBuffer(await this.redis(), {
      keys: { ...pop, ...fin.keys, ...hist.keys }, args: { ...popArgs, ...fin.args, ...hist.args }, restKeys: [...rk, ...pidKeys], restArgs: ra,
    })) as [unknown, unknown, unknown];
    commit();
    const got = this.claim(firstQueues, reply[2]);
    if (got || queues.length <= RESERVE_CHUNK) return got;
    return this.reserve(queues.slice(RESERVE_CHUNK), childPid, max);
  }

  /** `behindRunning`: they are the tail of the in-flight list, behind a job that still runs. */
  async giveBack(jobs: readonly Reserved[], behindRunning = false): Promise<void> {
    const first = jobs[0];
    if (!first) return;
    const k = this.keys;
    const id = first.job?.id ?? first.looseId?.id;
    const statusKey = id ? k.status(id, first.job?.prefix ?? first.looseId?.prefix ?? '') : k.absent();
    await giveBack.call(await this.redis(), {
      keys: { inflight: this.inflight(first.queue), queue: k.queue(first.queue), worker: k.worker(this.workerId), status: statusKey },
      args: { count: jobs.length, headSha: sha1(first), now: unixNow(), end: behindRunning ? 'tail' : 'head' },
      restKeys: jobs.map((r) => (r.job?.id ? k.jobPid(r.job.id) : k.absent())),
    });
  }

  /** reserve_batch's fixed KEYS, queue pairs, fixed ARGV (in RESERVE_SPEC's order) and queue names. */
  private reserveParams(queues: readonly string[], childPid: number | undefined, max: number): [ReserveKeys, string[], ReserveArgs, string[]] {
    const k = this.keys;
    const pairs: string[] = [];
    for (const q of queues) pairs.push(k.queue(q), this.inflight(q));
    const args = { runAt: phpString(phpDateC()), namespace: k.ns, childPid: childPid === undefined ? '' : String(childPid), now: unixNow(), max: Math.max(1, max) };
    return [{ worker: k.worker(this.workerId), fence: k.fence(this.workerId) }, pairs, args, queues.map(phpString)];
  }

  /** finish_job's KEYS and ARGV when there is no job to finish (its headSha '' skips it): built once, used by most settles. */
  private noFinish(): FinishParams {
    if (!this.emptyFinish) {
      const keys = Object.fromEntries(FINISH_SPEC.keys.map((n) => [n, this.keys.absent()])) as Record<FinishKey, string>;
      const args = Object.fromEntries(FINISH_SPEC.args.map((n) => [n, ''])) as Record<FinishArg, ScriptArg>;
      this.emptyFinish = { keys: { ...keys, worker: this.keys.worker(this.workerId) }, args };
    }
    return this.emptyFinish;
  }

  /** A reserve_batch reply: {k, first tracked, raw...} or null; -1 (fenced) throws WorkerFencedError. */
  private claim(queues: readonly string[], reply: unknown): Claim | null {
    if (reply === -1) throw new WorkerFencedError(this.workerId);
    if (!Array.isArray(reply)) return null;
    const [index, tracked, ...items] = reply as [number, number, ...Buffer[]];
    const queue = queues[index - 1] as string;
    return { queue, jobs: items.map((bytes, i) => ({ queue, raw: bytes.toString('utf8'), bytes, tracked: i === 0 && tracked === 1 })) };
  }

  async finish(r: Reserved, s: Settlement): Promise<void> {
    if (s.kind === 'retry') return this.retry(r, s);
    const { keys, args } = await this.finishParams(r, s);
    const { params: hist, commit } = this.historyOf(r.queue, [], { r, s });
    await finish.callBuffer(await this.redis(), { keys: { ...keys, ...hist.keys }, args: { ...args, ...hist.args } });
    commit();
  }

  /**
   * Run it again (src/redis/scripts/retry-job.ts): its payload's bytes with `attempt` set, at the
   * tail of its queue, or — with a delay — as a delayed item (`queue` added) due at the second
   * after the delay, which the scheduler moves back keeping the id and bytes.
   */
  private async retry(r: Reserved, s: Extract<Settlement, { kind: 'retry' }>): Promise<void> {
    const k = this.keys;
    const now = Date.now();
    const payload = withTopField(r.raw, 'attempt', String(s.attempt));
    const delayed = s.delay > 0;
    const ts = delayed ? Math.ceil(now / 1000 + s.delay) : undefined;
    const bytes = delayed ? withTopField(withTopField(r.raw, 'queue', phpJsonEncode(r.queue)), 'attempt', String(s.attempt)) : payload;
    const id = r.job?.id;
    const prefix = r.job?.prefix ?? '';
    const { params: hist, commit } = this.historyOf(r.queue, [], { r, s });
    await retryJob.call(await this.redis(), {
      keys: {
        worker: k.worker(this.workerId), inflight: this.inflight(r.queue), processed: k.stat('processed'), processedWorker: k.stat('processed', this.workerId),
        status: id ? k.status(id, prefix) : k.absent(), pid: id ? k.jobPid(id) : k.absent(),
        target: ts !== undefined ? k.delayed(ts) : k.queue(r.queue), queues: k.queues(), schedule: k.delayedSchedule(),
        timestamps: ts !== undefined ? k.timestamps(bytes) : k.absent(), wake: k.schedulerWake(), retried: k.retried(), retriedQueue: k.retried(r.queue),
        ...hist.keys,
      },
      args: { headSha: sha1(r), bytes, queue: r.queue, ts: ts ?? '', now: unixNow(now), attempt: s.attempt, retryAt: ts ?? Math.floor(now / 1000), ...hist.args },
    });
    commit();
  }

  private async finishParams(r: Reserved, s: Settlement): Promise<FinishParams> {
    let result = 'null';
    if (s.kind === 'done') {
      try {
        result = phpJsonEncode(s.result ?? null);
      } catch (e) {
        // A result JSON cannot hold (NaN, a cycle, a Map): the job fails, it is not retried forever.
        const message = `perform() returned a value that cannot be stored as JSON: ${(e as Error).message}`;
        return this.finishParams(r, { kind: 'failed', error: { name: 'UnserializableResultError', message, backtrace: [] } });
      }
    } else if (s.kind === 'skipped') result = 'false';
    const k = this.keys;
    let record: [string, string] = ['', ''];
    if (s.kind === 'failed') {
      const failure: Failure = { raw: r.raw, rawIsObject: r.jsonObject, error: s.error, workerId: this.workerId, queue: r.queue, failedAt: new Date() };
      if (this.failures instanceof RedisFailureBackend) record = failureRecordParts(failure);
      else await this.failures.save(failure);
    }
    // An invalid payload may still carry an id whose status reserve set to RUNNING: settle that too.
    const id = r.job?.id ?? r.looseId?.id;
    const prefix = r.job?.prefix ?? r.looseId?.prefix ?? '';
    const code = s.kind === 'failed' ? STATUS_FAILED : STATUS_COMPLETE;
    const countFailed = s.kind === 'failed' && s.countFailed !== false;
    const sha = sha1(r);
    return {
      keys: {
        worker: k.worker(this.workerId), inflight: this.inflight(r.queue), processed: k.stat('processed'), processedWorker: k.stat('processed', this.workerId),
        failedCount: k.stat('failed'), failedCountWorker: k.stat('failed', this.workerId), failed: k.failed(),
        status: id ? k.status(id, prefix) : k.absent(), pid: id ? k.jobPid(id) : k.absent(), queue: k.queue(r.queue),
      },
      args: {
        recordHead: record[0], finalStatus: code, now: unixNow(), result, statusTtl: STATUS_TTL, countFailed: countFailed ? '1' : '0',
        mode: s.kind === 'requeue' ? 'requeue' : '', recordTail: record[1], verbatim: r.jsonObject ? '1' : '0', headSha: sha,
      },
    };
  }

  /**
   * This worker was fenced (pruned while frozen or cut off) but did finish `r`: correct what the
   * pruner wrote for it, while nobody has acted on that yet (src/redis/scripts/amend.ts). Resolves
   * whether it was corrected (false: nothing was settled for it, or it will run again).
   */
  async amend(r: Reserved, s: Settlement): Promise<boolean> {
    if (s.kind === 'requeue' || s.kind === 'retry') return false;
    const { keys, args } = await this.finishParams(r, s);
    const reply = await amend.call(await this.redis(), {
      keys: { fence: this.keys.fence(this.workerId), failed: keys.failed, failedCount: keys.failedCount, processed: keys.processed, queue: keys.queue, status: keys.status },
      args: {
        sha: args.headSha, bytes: r.bytes ?? r.raw, recordHead: args.recordHead, recordTail: args.recordTail, verbatim: args.verbatim,
        countFailed: args.countFailed, finalStatus: args.finalStatus, now: args.now, result: args.result, statusTtl: args.statusTtl,
      },
    });
    return reply === 1;
  }

  async recordPid(r: Reserved, pid: number): Promise<void> {
    if (r.job?.id) await (await this.redis()).set(this.keys.jobPid(r.job.id), String(pid));
  }

  private inflight(queue: string): string {
    return this.keys.inflight(this.workerId, queue);
  }
}

/**
 * Pop the `done` plain successes at the head of a dead loop's in-flight list `list` (owned by
 * `workerId`), counting them once, while the head is still the job of SHA-1 `sha`.
 */
export async function popDoneJobs(
  redis: Redis, keys: Keys, o: { workerId: string; list: string; queue: string; done: number; sha: string; pidKeys: readonly string[]; classNames?: readonly string[] },
): Promise<void> {
  // Counted for their queue and class (their times died with the loop).
  const batch = new HistoryBatch(o.queue);
  for (let i = 0; i < o.done; i++) batch.add(o.classNames?.[i] ?? '', false);
  const hist = historyParams(keys, batch);
  await popDone.call(redis, {
    keys: { inflight: o.list, processed: keys.stat('processed'), processedWorker: keys.stat('processed', o.workerId), ...hist.keys },
    args: { count: o.done, headSha: o.sha, ...hist.args },
    restKeys: o.pidKeys,
  });
}

/**
 * Settle one job a dead worker left at one end of its in-flight list (`fromTail`): requeue it at
 * the head of `queue`, or fail it with the record around its bytes; noted in the dead worker's
 * `fence` when it was pruned (so it can correct a job it did finish). `bytes` are what the caller
 * read there (checked). Resolves the payload handled, false for an empty list, -1 when that end
 * changed meanwhile (another recovery took it).
 */
export async function recoverHead(
  redis: Redis, keys: Keys,
  o: { list: string; queue: string; bytes: Buffer; fromTail: boolean; record?: readonly [string, string]; jsonObject: boolean; fence?: string; className?: string },
): Promise<unknown> {
  const mode = o.record ? 'fail' : 'requeue';
  const [head, tail] = o.record ?? ['', ''];
  const batch = new HistoryBatch(o.queue);
  if (o.record) batch.add(o.className ?? '', true);
  const hist = historyParams(keys, batch);
  return recoverOne.call(redis, {
    keys: { inflight: o.list, queue: keys.queue(o.queue), failed: keys.failed(), failedCount: keys.stat('failed'), processed: keys.stat('processed'), fence: o.fence ?? keys.absent(), ...hist.keys },
    args: {
      mode, recordHead: head, recordTail: tail, namespace: keys.ns, now: unixNow(), statusTtl: STATUS_TTL,
      bytes: o.bytes, verbatim: o.jsonObject ? '1' : '0', end: o.fromTail ? 'tail' : 'head', ...hist.args,
    },
  });
}
