/**
 * The worker loop. It owns no Redis and no processes: reserve / wait / finish come from
 * WorkerOps, job execution from an Executor (child processes, or in-process).
 *   1. each pass: resolve the queue list (`*` re-read every pass), take a batch of jobs (up to
 *      `batch`, see below; 1 when batching is off);
 *   2. none: exit in `once` mode, else wait (BLMOVE or sleep INTERVAL), interruptible;
 *   3. each job: decode (a bad payload fails at once, its bytes kept), run it, settle it —
 *      settling is retried until Redis takes it, so a finished job's bookkeeping is never lost;
 *   Batches: a plain success (done, untracked, result storable) needs nothing but counters, so
 *   its bookkeeping waits for the batch's round trip, which also takes the next batch. A job
 *   that needs more (failure, skip, tracked status) or a batch older than BATCH_MS settles at
 *   once. The batch cursor (a local file) records progress per job for recovery. The batch size
 *   adapts: it doubles after a batch that ran within BATCH_MS, and drops to what ran in time otherwise.
 *   4. stop('graceful') finishes the current job; stop('immediate') kills it (DirtyExit);
 *      pause()/resume() stop and restart reserving; killCurrent() kills the child only;
 *   5. fencing: a job starts only while the worker's lease holds (it beat within half the prune
 *      age; else it beats first). A worker found fenced — pruned as dead by another while it was
 *      frozen or cut off: its beat or its reserve is refused, or fence() is called — starts
 *      nothing more, corrects the jobs it finished that the pruner had settled (ops.amend), and
 *      run() rejects with WorkerFencedError.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { isUtf8 } from 'node:buffer';
import { decodePayload, type DecodedJob } from '../payload';
import { InvalidPayloadError, normalizeError, WorkerFencedError, type NormalizedError } from '../errors';
import { hasWildcard, resolveQueues } from './queue-order';
import { isJsonObject, phpJsonEncode } from '../json';
import { sleep } from '../time';
import { sha1, type Claim, type Reserved, type Settlement, type Taken, type WorkerOps } from './ops';
import { settlementFor, type Outcome, type SettlementPolicy } from '../settlement';
import { attemptOf } from '../payload';

/** A batch older than this settles before its next job (registry and counters stay fresh). */
export const BATCH_MS = 10;
/**
 * A job running longer than this releases its batch: the batch's finished jobs are written and the
 * jobs parked behind it go back to their queue, so a hung job holds nothing but itself.
 */
export const BATCH_HOLD_MS = 1000;

/** How an executor reports a job. */
export type ExecOutcome =
  | { kind: 'done'; result: unknown; pid: number; durationMs: number }
  | { kind: 'skipped'; reason: string; pid: number; durationMs: number }
  /** `retryIn`: attempts are left; it runs again that many seconds later. */
  | { kind: 'failed'; error: NormalizedError; retryIn?: number; pid: number; durationMs: number }
  | { kind: 'released'; delay: number; pid: number; durationMs: number }
  /** `retryIn`: the job's policy leaves attempts after such a death; it runs again that many seconds later. */
  | { kind: 'crashed'; error: NormalizedError; exitCode: number | null; signal: string | null; retryIn?: number; pid: number; durationMs: number };

/** Runs one job at a time somewhere (a child process, or this process). */
export interface Executor {
  /** `job` is the loop's decoding of `raw`, for executors in this process (no second decode). */
  run(queue: string, raw: string, onStart?: (pid: number) => void, job?: DecodedJob): Promise<ExecOutcome>;
  kill(signal?: NodeJS.Signals): void;
  readonly currentPid: number | undefined;
  /** Pid of the process that will run the next job, when known (recorded as job:ID:pid). */
  readonly nextPid: number | undefined;
  close(): Promise<void>;
}

/** Parent-side hooks (php-resque events that run in the worker, not in the child). */
export interface ParentHooks {
  beforeFirstFork?(worker: { id: string }): unknown;
  beforeFork?(job: Reserved): unknown;
  /** A job's process died (dirty exit, timeout, memory): the failure is detected here, not in the job. */
  onCrash?(error: NormalizedError, job: Reserved): unknown;
}

/** The worker's registration as the loop sees it: a job starts only while it holds. */
export interface Lease {
  /** Whether a job may start now without asking Redis (a heartbeat is recent enough). */
  valid(): boolean;
  /** Beat now: resolves false when this worker was fenced (pruned as dead). Rejects on Redis errors. */
  renew(): Promise<boolean>;
}

export interface JobLoopOptions {
  id: string;
  queues: readonly string[];
  interval: number;
  once: boolean;
  ops: WorkerOps;
  executor: Executor;
  hooks?: ParentHooks;
  /** Stop (run() rejects, the process exits non-zero) after this many seconds of Redis errors. */
  redisTimeout?: number;
  /** Seconds a graceful stop waits for the current job before killing it (0 = no limit). */
  shutdownTimeout?: number;
  /** A job killed by the shutdown timeout goes back to its queue instead of failing. */
  requeueOnShutdown?: boolean;
  /** Stop after this many jobs (a job process's share; 0 = no limit). */
  maxJobs?: number;
  /** Most jobs taken in one round trip (1 = one job at a time). */
  batch?: number;
  /** Where progress through a batch is recorded for recovery (required for batch > 1). */
  cursor?: { mark(sha: string, done: number, state: 'run' | 'idle'): void; readonly working?: boolean };
  /** The worker's lease (none: jobs always start, as in tests and loops nobody can prune). */
  lease?: Lease;
  /** Test seam: the loop's clock in ms for batch ages and Redis outage lengths (default performance.now() / Date.now()). */
  clock?: () => number;
  /** Test seam: base of the delay between Redis retries in ms (doubled per error in a row, at most 20×; default 100). */
  retryBaseMs?: number;
}

/** Raised when Redis stayed unreachable for longer than redisTimeout. */
export class RedisOutageError extends Error {
  override name = 'RedisOutageError';
}

export interface JobReport {
  reserved: Reserved;
  outcome: ExecOutcome | { kind: 'invalid'; error: NormalizedError; pid: undefined; durationMs: number };
  /** What the settlement policy made of it (set once it is decided; 'settled' always has it). */
  settlement?: Settlement;
}

export interface JobLoopEvents {
  job: [Reserved];
  settled: [JobReport];
  idle: [];
  error: [Error];
}

export class JobLoop extends EventEmitter<JobLoopEvents> {
  private stopping: 'graceful' | 'immediate' | undefined;
  private paused = false;
  private wake = new AbortController();
  private current: Reserved | undefined;
  /** Taken, not started: the rest of the batch (the in-flight head after `done`). */
  private ahead: Reserved[] = [];
  /** Plain successes of this batch whose bookkeeping waits for the batch's round trip. */
  private done: Reserved[] = [];
  private batchSha = '';
  private batchStart = 0;
  private claimSize = 1;
  /** The queue list of the last pass (what a settling round trip reserves from). */
  private lastQueues: string[] = [];
  private readonly maxBatch: number;
  private outageSince: number | undefined;
  private outageErrors = 0;
  private shutdownTimer: NodeJS.Timeout | undefined;
  private killedForShutdown = false;
  /** The settlement policy of this loop (one object, not one per job). */
  private readonly policy: SettlementPolicy;
  /** The release of a batch behind a long job (BATCH_HOLD_MS), while it is being written. */
  private releasing: Promise<void> | undefined;
  /** Set once this worker is known to be fenced: nothing more starts, run() rejects with it. */
  private fenced: Error | undefined;
  processed = 0;
  /** Ended because the queues were empty in `once` mode. */
  drained = false;

  constructor(private readonly opts: JobLoopOptions) {
    super();
    this.policy = { requeueOrphans: opts.requeueOnShutdown ?? false };
    this.maxBatch = opts.cursor ? Math.max(1, Math.floor(opts.batch ?? 1)) : 1;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Run until stop() (or, with `once`, until the queues are empty). */
  async run(): Promise<void> {
    await this.opts.hooks?.beforeFirstFork?.({ id: this.opts.id });
    while (!this.stopping) {
      if (this.paused) {
        await this.flush();
        await this.giveBack();
        await sleep(this.opts.interval * 1000, this.wake.signal);
        this.rearm();
        continue;
      }
      // A batch past its time settles (and is taken again, from Redis) before its next job.
      if (this.done.length > 0 && (this.ahead.length === 0 || this.now() - this.batchStart > BATCH_MS)) {
        // Next time take about what fits in BATCH_MS (1 for slow jobs: none wait parked behind them).
        if (this.ahead.length > 0) this.claimSize = Math.max(1, this.done.length);
        this.ahead = [];
      }
      if (this.ahead.length === 0) {
        const queues = await this.queues();
        this.lastQueues = queues;
        const got = this.done.length > 0 ? await this.settle(undefined, true) : await this.reserveSafely(queues);
        if (got === 'error') {
          await sleep(this.backoffMs(), this.wake.signal);
          this.rearm();
          continue;
        }
        this.ahead = got;
        // A pause or stop that arrived while that round trip was in flight: the jobs never started.
        if (this.paused || this.stopping) continue;
        if (got.length === 0) {
          if (this.opts.once) {
            this.drained = true;
            break;
          }
          this.safeEmit('idle');
          try {
            await this.opts.ops.wait(queues, this.opts.interval, this.wake.signal);
          } catch (e) {
            this.redisFailed(e);
            await sleep(this.backoffMs(), this.wake.signal);
          }
          this.rearm();
          continue;
        }
      }
      if (!(await this.leaseHolds())) continue;
      await this.perform(this.ahead.shift() as Reserved);
      if (this.opts.maxJobs && this.processed >= this.opts.maxJobs) this.stop('graceful');
    }
    await this.flush();
    await this.giveBack();
    if (this.shutdownTimer) clearTimeout(this.shutdownTimer);
    if (this.fenced) throw this.fenced;
  }

  /**
   * This worker was pruned as dead and fenced (its heartbeat was refused): start nothing more;
   * the current job ends as it would, and what it and the batch finished is corrected (amend).
   */
  fence(e: Error = new WorkerFencedError(this.opts.id)): void {
    this.fenced ??= e;
    this.stop('graceful');
  }

  /** Whether the next job may start: the lease holds, or a beat renews it (false once fenced). */
  private async leaseHolds(): Promise<boolean> {
    const lease = this.opts.lease;
    if (this.fenced) return false;
    if (!lease || lease.valid()) return true;
    if (await this.untilRedisTakes(() => lease.renew())) return true;
    this.fence();
    return false;
  }

  /** A new batch from a claim: decoded, its first job's SHA-1 noted for the cursor. */
  private batchOf(claim: Claim | null): Reserved[] {
    if (!claim) return [];
    const pid = this.opts.executor.nextPid;
    const jobs = claim.jobs.map((t) => toReserved(t, pid));
    this.batchSha = this.maxBatch > 1 ? sha1(jobs[0] as Reserved) : '';
    this.batchStart = this.now();
    return jobs;
  }

  /** How many jobs the next round trip may take. */
  private want(): number {
    if (this.opts.cursor?.working === false) return 1; // the cursor broke: one job at a time
    const left = this.opts.maxJobs ? this.opts.maxJobs - this.processed : Infinity;
    return Math.max(1, Math.min(this.claimSize, left));
  }

  /** Settle the batch's plain successes without taking more (pause, stop). */
  private async flush(): Promise<void> {
    if (this.done.length > 0) await this.settle(undefined, false);
  }

  /**
   * Jobs taken but not started (the rest of a batch, or a claim a pause or stop overtook) go back
   * to the head of their queue, in order, status WAITING again.
   */
  private async giveBack(): Promise<void> {
    const jobs = this.ahead;
    this.ahead = [];
    if (jobs.length > 0) await this.untilRedisTakes(() => this.opts.ops.giveBack(jobs));
  }

  /** Retry with backoff until Redis takes `write` (each write checks what it acts on, so a retry is safe); a fence is not retried. */
  private async untilRedisTakes<T>(write: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        const v = await write();
        this.redisOk();
        return v;
      } catch (e) {
        if (isFenced(e)) throw e;
        this.redisFailed(e);
        await sleep(this.backoffMs());
      }
    }
  }

  /** 0.1 s (retryBaseMs) doubling up to 2 s with the number of Redis errors in a row, at most until the --redis-timeout deadline. */
  private backoffMs(): number {
    const base = this.opts.retryBaseMs ?? 100;
    const ms = Math.min(base * 2 ** Math.min(this.outageErrors, 5), base * 20);
    // The last retry falls on the --redis-timeout deadline, so the worker gives up on time.
    const limit = this.opts.redisTimeout ?? 300;
    if (limit <= 0 || this.outageSince === undefined) return ms;
    return Math.max(0, Math.min(ms, this.outageSince + limit * 1000 - this.now(true)));
  }

  /** The clock seam: opts.clock, else performance.now() for batch ages and Date.now() for outages. */
  private now(outage = false): number {
    return this.opts.clock ? this.opts.clock() : outage ? Date.now() : performance.now();
  }

  /** graceful: finish the current job first (QUIT); immediate: kill it (TERM/INT). */
  stop(mode: 'graceful' | 'immediate'): void {
    if (this.stopping !== 'immediate') this.stopping = mode;
    if (mode === 'immediate' && this.current) this.opts.executor.kill('SIGKILL');
    const limit = this.opts.shutdownTimeout ?? 0;
    if (mode === 'graceful' && limit > 0 && !this.shutdownTimer) {
      this.shutdownTimer = setTimeout(() => {
        if (!this.current) return;
        this.killedForShutdown = true;
        this.opts.executor.kill('SIGTERM');
      }, limit * 1000);
      this.shutdownTimer.unref();
    }
    this.wake.abort();
  }

  pause(): void {
    this.paused = true;
    this.wake.abort();
  }

  resume(): void {
    this.paused = false;
    this.wake.abort();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Kill the running job's child and keep working (USR1). */
  killCurrent(): void {
    if (this.current) this.opts.executor.kill('SIGKILL');
  }

  private rearm(): void {
    if (this.wake.signal.aborted) this.wake = new AbortController();
  }

  private async queues(): Promise<string[]> {
    if (!hasWildcard(this.opts.queues)) return resolveQueues(this.opts.queues, []);
    try {
      return resolveQueues(this.opts.queues, await this.opts.ops.knownQueues());
    } catch (e) {
      this.safeEmit('error', asError(e));
      return [];
    }
  }

  /** A batch ([] when the queues are empty), 'error' when Redis failed (after backoff, retry). */
  private async reserveSafely(queues: readonly string[]): Promise<Reserved[] | 'error'> {
    try {
      const got = await this.opts.ops.reserve(queues, this.opts.executor.nextPid, this.want());
      this.redisOk();
      return this.batchOf(got);
    } catch (e) {
      if (isFenced(e)) {
        this.fence(e);
        return [];
      }
      this.redisFailed(e);
      return 'error';
    }
  }

  private redisOk(): void {
    this.outageSince = undefined;
    this.outageErrors = 0;
  }

  /** Count an error; past redisTimeout of continuous failure, give up (the supervisor restarts us). */
  private redisFailed(e: unknown): void {
    const explained = this.opts.ops.explain?.(e);
    this.safeEmit('error', explained ? Object.assign(new Error(explained, { cause: e }), { name: asError(e).name }) : asError(e));
    const now = this.now(true);
    this.outageSince ??= now;
    this.outageErrors++;
    const limit = this.opts.redisTimeout ?? 300;
    if (limit > 0 && now - this.outageSince >= limit * 1000) {
      throw new RedisOutageError(this.opts.ops.outage?.(limit, e) ?? `Redis unreachable for more than ${limit} s (last error: ${asError(e).message})`);
    }
  }

  private async perform(reserved: Reserved): Promise<void> {
    this.current = reserved;
    if (this.maxBatch > 1) this.opts.cursor?.mark(this.batchSha, this.done.length, 'run');
    this.safeEmit('job', reserved);
    let report: JobReport;
    if (!reserved.job) {
      const error = reserved.invalid ?? { name: 'InvalidPayloadError', message: 'Invalid job payload', backtrace: [] };
      report = { reserved, outcome: { kind: 'invalid', error, pid: undefined, durationMs: 0 } };
    } else {
      const t0 = performance.now();
      const hold = this.maxBatch > 1 ? setTimeout(() => { this.releasing = this.release(reserved); }, BATCH_HOLD_MS) : undefined;
      try {
        await this.opts.hooks?.beforeFork?.(reserved);
        const onStart = (pid: number): void => {
          // The child that was warm at reserve time died since (or none was): record the real one.
          if (pid !== reserved.pid && reserved.job?.id) this.opts.ops.recordPid(reserved, pid).catch((e: unknown) => this.safeEmit('error', asError(e)));
        };
        report = { reserved, outcome: await this.opts.executor.run(reserved.queue, reserved.raw, onStart, reserved.job) };
        if (report.outcome.kind === 'crashed') await this.opts.hooks?.onCrash?.(report.outcome.error, reserved);
      } catch (e) {
        report = { reserved, outcome: { kind: 'failed', error: normalizeError(e), pid: process.pid, durationMs: performance.now() - t0 } };
      }
      clearTimeout(hold);
      if (this.releasing) {
        const releasing = this.releasing;
        this.releasing = undefined;
        await releasing;
      }
    }
    const settlement = settlementFor(this.outcomeOf(report.outcome), this.policy);
    report.settlement = settlement;
    reserved.ranMs = report.outcome.durationMs;
    // Counted before its bookkeeping, so a round trip that also takes the next batch asks for no
    // more than the jobs left (maxJobs).
    this.processed++;
    if (settlement.kind === 'requeue') {
      // Killed by the shutdown timeout: it goes back with the rest of its batch, in order (after the
      // batch's plain successes are counted), as one give-back: its status turns WAITING again.
      await this.flush();
      this.ahead.unshift(reserved);
    } else if (this.maxBatch > 1 && this.plain(reserved, settlement)) {
      // Nothing to write but counters: the batch's round trip does it.
      this.done.push(reserved);
      if (this.ahead.length === 0 && this.now() - this.batchStart <= BATCH_MS) this.claimSize = Math.min(this.maxBatch, this.claimSize * 2);
    } else {
      // A failure record embeds the payload: check (only on this rare path) that every peer can read it back.
      if (settlement.kind === 'failed' && reserved.job) reserved.jsonObject = isJsonObject(reserved.raw);
      const atLimit = this.opts.maxJobs !== undefined && this.opts.maxJobs > 0 && this.processed >= this.opts.maxJobs;
      if (this.stopping || this.paused || atLimit) {
        // No more jobs: the rest of the batch stays parked behind this one and is given back.
        await this.settle({ r: reserved, s: settlement }, false);
      } else {
        // The rest of the batch is parked right behind this one: the round trip takes it again.
        this.ahead = [];
        this.ahead = await this.settle({ r: reserved, s: settlement }, true);
      }
    }
    this.current = undefined;
    this.safeEmit('settled', report);
  }

  /**
   * `current` has run for BATCH_HOLD_MS: write the batch's finished jobs ahead of it (pop_done; the
   * cursor then points at `current`, the new head) and give back the jobs parked behind it, from the
   * tail of the in-flight list. The next batch is taken one job at a time.
   */
  private async release(current: Reserved): Promise<void> {
    const done = this.done;
    const ahead = this.ahead;
    if (done.length === 0 && ahead.length === 0) return;
    this.done = [];
    this.ahead = [];
    this.claimSize = 1;
    if (done.length > 0) {
      this.opts.cursor?.mark(this.batchSha, done.length, 'run');
      await this.untilRedisTakes(() => this.opts.ops.settle(done, undefined, [], this.opts.executor.nextPid, 1));
      this.batchSha = sha1(current);
      this.opts.cursor?.mark(this.batchSha, 0, 'run');
    }
    if (ahead.length > 0) await this.untilRedisTakes(() => this.opts.ops.giveBack(ahead, true));
  }

  /**
   * The outcome as the settlement policy sees it. A job whose process died while the shutdown
   * timeout was killing it was shutdown-killed; one that ended by itself meanwhile (an executor
   * that cannot kill, such as --in-process, or a job that finished first) keeps its own outcome:
   * a completed job is never requeued to run again.
   */
  private outcomeOf(o: JobReport['outcome']): Outcome {
    switch (o.kind) {
      case 'done':
        return { kind: 'done', result: o.result };
      case 'skipped':
        return { kind: 'skipped' };
      case 'failed': {
        const attempt = report0Attempt(this.current);
        return o.retryIn !== undefined ? { kind: 'failed', error: o.error, retry: { delay: o.retryIn, attempt: attempt + 1 } } : { kind: 'failed', error: o.error };
      }
      case 'released':
        return { kind: 'released', delay: o.delay, attempt: report0Attempt(this.current) };
      case 'invalid':
        return { kind: o.kind, error: o.error };
      case 'crashed': {
        if (this.killedForShutdown) return { kind: 'shutdown-killed', error: o.error };
        const retry = o.retryIn !== undefined ? { retry: { delay: o.retryIn, attempt: report0Attempt(this.current) + 1 } } : {};
        if (o.error.name === 'JobTimeoutError') return { kind: 'timed-out', error: o.error, ...retry };
        if (o.error.name === 'JobMemoryError') return { kind: 'memory-killed', error: o.error, ...retry };
        return { kind: 'crashed', error: o.error, ...retry };
      }
    }
  }

  /** A plain success: done, untracked, a result JSON can hold. */
  private plain(reserved: Reserved, s: Settlement): boolean {
    if (s.kind !== 'done' || !reserved.job || reserved.tracked) return false;
    if (s.result === undefined || s.result === null || typeof s.result === 'boolean') return true;
    try {
      phpJsonEncode(s.result);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Retry until Redis takes the bookkeeping (every step checks the in-flight head, so a retry
   * after a lost reply writes nothing twice). The same round trip takes the next batch unless we
   * are about to stop or pause. After redisTimeout the worker gives up; the jobs stay in the
   * in-flight list and the next recovery settles them.
   */
  private async settle(last: { r: Reserved; s: Settlement } | undefined, reserve: boolean): Promise<Reserved[]> {
    // The plain successes about to be written are done; nothing runs now (a final job stays 'run').
    if (!last && this.done.length > 0) this.opts.cursor?.mark(this.batchSha, this.done.length, 'idle');
    const queues = reserve && !this.fenced ? this.lastQueues : [];
    let got: Claim | null = null;
    try {
      got = await this.untilRedisTakes(() => this.opts.ops.settle(this.done, last, queues, this.opts.executor.nextPid, this.want()));
    } catch (e) {
      if (!isFenced(e)) throw e;
      this.fence(e); // its bookkeeping was written all the same (the refusal is the reserve's)
    }
    const done = this.done;
    this.done = [];
    if (this.fenced) await this.amend(done, last);
    return this.batchOf(got);
  }

  /**
   * Fenced: jobs this worker finished whose bookkeeping found them gone (the pruner settled them
   * without it) are corrected where nobody acted on that yet; the others are left as they are.
   */
  private async amend(done: readonly Reserved[], last: { r: Reserved; s: Settlement } | undefined): Promise<void> {
    const finished = done.map((r) => ({ r, s: { kind: 'done', result: null } as Settlement }));
    if (last) finished.push(last);
    for (const { r, s } of finished) {
      try {
        await this.untilRedisTakes(() => this.opts.ops.amend(r, s));
      } catch (e) {
        this.safeEmit('error', asError(e));
      }
    }
  }

  private safeEmit<K extends keyof JobLoopEvents>(event: K, ...args: JobLoopEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: JobLoopEvents[K]) => boolean)(event, ...args);
    } catch {
      /* a throwing listener must not break the loop */
    }
  }
}

/** The attempt of the job being run (1 when its payload names none). */
function report0Attempt(r: Reserved | undefined): number {
  return r?.job ? attemptOf(r.job.fields) : 1;
}

/** A taken job, decoded (or marked invalid, its bytes kept). */
export function toReserved(got: Taken, pid: number | undefined): Reserved {
  const base = { queue: got.queue, raw: got.raw, ...(got.bytes ? { bytes: got.bytes } : {}), ...(pid !== undefined ? { pid } : {}), ...(got.tracked ? { tracked: true } : {}) };
  try {
    if (got.bytes) assertUtf8(got.bytes, got.raw);
    return { ...base, job: decodePayload(got.raw), jsonObject: true };
  } catch (e) {
    const looseId = looseIdOf(got.raw);
    return { ...base, job: undefined, invalid: normalizeError(e), jsonObject: isJsonObject(got.bytes ?? got.raw), ...(looseId ? { looseId } : {}) };
  }
}

/** The id and prefix of an invalid payload, read the way the reserve script read them. */
function looseIdOf(raw: string): { id: string; prefix: string } | undefined {
  try {
    const v = JSON.parse(raw) as { id?: unknown; prefix?: unknown };
    if (v === null || typeof v !== 'object' || typeof v.id !== 'string') return undefined;
    return { id: v.id, prefix: typeof v.prefix === 'string' ? v.prefix : '' };
  } catch {
    return undefined;
  }
}

/** A payload must be UTF-8 to be a job (its bytes are still kept exactly in the failure record). */
function assertUtf8(bytes: Buffer, raw: string): void {
  if (!isUtf8(bytes)) throw new InvalidPayloadError('not valid UTF-8', raw);
}

/** A WorkerFencedError (by name: the ops may come from another realm, such as a test's fake). */
function isFenced(e: unknown): e is Error {
  return e instanceof Error && e.name === 'WorkerFencedError';
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
