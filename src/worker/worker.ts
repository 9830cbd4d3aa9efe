/**
 * The worker loop. It owns no Redis and no processes: reserve / wait / finish come from
 * WorkerOps, job execution from an Executor (child processes, or in-process).
 *   1. each pass: resolve the queue list (`*` re-read every pass), reserve one job;
 *   2. none: exit in `once` mode, else wait (BLMOVE or sleep INTERVAL), interruptible;
 *   3. a job: decode (a bad payload fails at once, its bytes kept), run it, settle it —
 *      settling is retried until Redis takes it, so a finished job's bookkeeping is never lost;
 *   4. stop('graceful') finishes the current job; stop('immediate') kills it (DirtyExit);
 *      pause()/resume() stop and restart reserving; killCurrent() kills the child only.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { decodePayload, type DecodedJob } from '../payload';
import { InvalidPayloadError, normalizeError, type NormalizedError } from '../errors';
import { hasWildcard, resolveQueues } from './queue-order';
import { isJsonObject } from '../store/workers';
import { sleep, type Reserved, type Settlement, type Taken, type WorkerOps } from './ops';

/** How an executor reports a job. */
export type ExecOutcome =
  | { kind: 'done'; result: unknown; pid: number; durationMs: number }
  | { kind: 'skipped'; reason: string; pid: number; durationMs: number }
  | { kind: 'failed'; error: NormalizedError; pid: number; durationMs: number }
  | { kind: 'crashed'; error: NormalizedError; exitCode: number | null; signal: string | null; pid: number; durationMs: number };

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

export interface WorkerOptions {
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
}

/** Raised when Redis stayed unreachable for longer than redisTimeout. */
export class RedisOutageError extends Error {
  override name = 'RedisOutageError';
}

export interface JobReport {
  reserved: Reserved;
  outcome: ExecOutcome | { kind: 'invalid'; error: NormalizedError; pid: undefined; durationMs: number };
}

export interface WorkerEvents {
  job: [Reserved];
  settled: [JobReport];
  idle: [];
  error: [Error];
}

export class Worker extends EventEmitter<WorkerEvents> {
  private stopping: 'graceful' | 'immediate' | undefined;
  private paused = false;
  private wake = new AbortController();
  private current: Reserved | undefined;
  /** Reserved by the round trip that settled the previous job (or by a reserve a pause overtook). */
  private next: Reserved | null | 'error' = null;
  private outageSince: number | undefined;
  private outageErrors = 0;
  private shutdownTimer: NodeJS.Timeout | undefined;
  private killedForShutdown = false;
  processed = 0;
  /** Ended because the queues were empty in `once` mode. */
  drained = false;

  constructor(private readonly opts: WorkerOptions) {
    super();
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Run until stop() (or, with `once`, until the queues are empty). */
  async run(): Promise<void> {
    await this.opts.hooks?.beforeFirstFork?.({ id: this.opts.id });
    while (!this.stopping) {
      if (this.paused) {
        await this.giveBack();
        await sleep(this.opts.interval * 1000, this.wake.signal);
        this.rearm();
        continue;
      }
      const queues = await this.queues();
      this.next ??= await this.reserveSafely(queues);
      // A pause or stop that arrived while that reserve was in flight: the job never started.
      if (this.paused || this.stopping) continue;
      const reserved = this.next;
      this.next = null;
      if (reserved === 'error') {
        await sleep(Math.min(100 * 2 ** Math.min(this.outageErrors, 5), 2000), this.wake.signal);
        this.rearm();
        continue;
      }
      if (reserved === null) {
        if (this.opts.once) {
          this.drained = true;
          break;
        }
        this.safeEmit('idle');
        try {
          await this.opts.ops.wait(queues, this.opts.interval, this.wake.signal);
        } catch (e) {
          this.redisFailed(e);
          await sleep(Math.min(100 * 2 ** Math.min(this.outageErrors, 5), 2000), this.wake.signal);
        }
        this.rearm();
        continue;
      }
      await this.perform(reserved);
      if (this.opts.maxJobs && this.processed >= this.opts.maxJobs) this.stop('graceful');
    }
    await this.giveBack();
    if (this.shutdownTimer) clearTimeout(this.shutdownTimer);
  }

  /**
   * A job reserved but not started (the settle round trip or a reserve in flight took it just
   * before a pause or stop) goes back to the head of its queue, status WAITING again.
   */
  private async giveBack(): Promise<void> {
    const next = this.next;
    this.next = null;
    if (next && next !== 'error') await this.settle(next, { kind: 'requeue' });
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

  /** A reserved job, null when the queues are empty, 'error' when Redis failed (after backoff, retry). */
  private async reserveSafely(queues: readonly string[]): Promise<Reserved | null | 'error'> {
    try {
      const pid = this.opts.executor.nextPid;
      const got = await this.opts.ops.reserve(queues, pid);
      this.redisOk();
      return got ? toReserved(got, pid) : null;
    } catch (e) {
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
    this.safeEmit('error', asError(e));
    this.outageSince ??= Date.now();
    this.outageErrors++;
    const limit = this.opts.redisTimeout ?? 300;
    if (limit > 0 && Date.now() - this.outageSince > limit * 1000) {
      throw new RedisOutageError(`Redis unreachable for more than ${limit} s (last error: ${asError(e).message})`);
    }
  }

  private async perform(reserved: Reserved): Promise<void> {
    this.current = reserved;
    this.safeEmit('job', reserved);
    let report: JobReport;
    if (!reserved.job) {
      const error = reserved.invalid ?? { name: 'InvalidPayloadError', message: 'Invalid job payload', backtrace: [] };
      report = { reserved, outcome: { kind: 'invalid', error, pid: undefined, durationMs: 0 } };
    } else {
      const t0 = performance.now();
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
    }
    const settlement = this.killedForShutdown && this.opts.requeueOnShutdown ? { kind: 'requeue' as const } : toSettlement(report.outcome);
    // A failure record embeds the payload: check (only on this rare path) that every peer can read it back.
    if (settlement.kind === 'failed' && reserved.job) reserved.jsonObject = isJsonObject(reserved.raw);
    this.next = await this.settle(reserved, settlement);
    this.current = undefined;
    this.processed++;
    this.safeEmit('settled', report);
  }

  /**
   * Retry until Redis takes the bookkeeping (finish is idempotent, so a retry after a lost reply
   * writes nothing twice). After redisTimeout the worker gives up; the job stays in its in-flight
   * list and the next recovery settles it.
   */
  private async settle(reserved: Reserved, s: Settlement): Promise<Reserved | null> {
    for (;;) {
      try {
        // Same round trip reserves the next job, unless we are about to stop or pause. Retrying
        // it is safe too: a job it already reserved is parked at our in-flight head and claimed again.
        const last = this.opts.maxJobs !== undefined && this.opts.maxJobs > 0 && this.processed + 1 >= this.opts.maxJobs;
        if (this.stopping || this.paused || last || s.kind === 'requeue' || hasWildcard(this.opts.queues)) {
          await this.opts.ops.finish(reserved, s);
          this.redisOk();
          return null;
        }
        const pid = this.opts.executor.nextPid;
        const got = await this.opts.ops.finishAndReserve(reserved, s, resolveQueues(this.opts.queues, []), pid);
        this.redisOk();
        return got ? toReserved(got, pid) : null;
      } catch (e) {
        this.redisFailed(e);
        await sleep(Math.min(100 * 2 ** Math.min(this.outageErrors, 5), 2000));
      }
    }
  }

  private safeEmit<K extends keyof WorkerEvents>(event: K, ...args: WorkerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: WorkerEvents[K]) => boolean)(event, ...args);
    } catch {
      /* a throwing listener must not break the loop */
    }
  }
}

/** A taken job, decoded (or marked invalid, its bytes kept). */
export function toReserved(got: Taken, pid: number | undefined): Reserved {
  const base = { queue: got.queue, raw: got.raw, ...(got.bytes ? { bytes: got.bytes } : {}), ...(pid !== undefined ? { pid } : {}) };
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

function toSettlement(o: JobReport['outcome']): Settlement {
  switch (o.kind) {
    case 'done':
      return { kind: 'done', result: o.result };
    case 'skipped':
      return { kind: 'skipped' };
    case 'failed':
    case 'invalid':
    case 'crashed':
      return { kind: 'failed', error: o.error };
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A payload must be UTF-8 to be a job (its bytes are still kept exactly in the failure record). */
function assertUtf8(bytes: Buffer, raw: string): void {
  try {
    strictUtf8.decode(bytes);
  } catch {
    throw new InvalidPayloadError('not valid UTF-8', raw);
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
