/**
 * Builds the job loop the same way wherever it runs (the worker process for --in-process and
 * strict mode, the job process in the default mode):
 *   1. a JobLoop over RedisWorkerOps and the given executor, with the app's parent-side hooks;
 *   2. logging: php-resque-style lines, the per-job line (with its queue), the slow-job warning
 *      (--slow-job-log, one timer per loop), process titles (throttled so a fast loop does not
 *      pay a prctl per job; off for a worker embedded in someone else's process);
 *   3. job events (src/engine/job-events.ts) to the given sink, each only when someone listens.
 */
import type { WorkerConfig } from '../config';
import type { Logger } from '../log';
import { attemptOf } from '../job/retry';
import type { AppModule, JobInfo } from '../job/types';
import type { Connection } from '../redis/connection';
import type { Keys } from '../redis/keys';
import type { FailureBackend } from '../store/failures';
import { RedisWorkerOps } from './redis-ops';
import type { Reserved } from '../loop/ops';
import { BatchCursor, cursorPath } from '../store/batch-cursor';
import { JobLoop, type Executor, type JobReport, type Lease } from '../loop/loop';
import { paused, procTitle, processing, waitingFor } from '../proctitle';
import { SlowJobWatch } from '../loop/slow-job';
import { VERSION } from '../version';
import { wireJobEvents, type JobEventSink } from './job-events';

export interface LoopParts {
  config: WorkerConfig;
  id: string;
  connection: Connection;
  keys: Keys;
  app: AppModule;
  executor: Executor;
  logger: Logger;
  failureBackend?: FailureBackend;
  /** Run beforeFirstFork (the worker process does; a job process does not). */
  firstFork: boolean;
  /** Stop after this many jobs (a job process's share). */
  maxJobs?: number;
  /** Take jobs in batches (config.batch) with a batch cursor: for loops that run jobs in their own process. */
  batching?: boolean;
  /** Set the process title (default true; an embedded worker leaves its host's title alone). */
  titles?: boolean;
  /** Where the loop's job events go (the embedded Worker's listeners, or the job process's IPC). */
  events?: JobEventSink;
  /** The worker's lease: a job starts only while it holds (src/engine/lease.ts). */
  lease?: Lease;
}

export interface Loop {
  worker: JobLoop;
  ops: RedisWorkerOps;
  /** The batch cursor, when batching: close(true) after a clean run, close(false) when jobs may be left held. */
  cursor: BatchCursor | undefined;
}

export function assembleLoop(p: LoopParts): Loop {
  const hooks = p.app.hooks ?? {};
  const ops = new RedisWorkerOps(p.connection, p.keys, p.id, p.config.blocking, p.failureBackend ?? p.app.failureBackend, p.config.history);
  // A cursor that cannot be written (a full, read-only or missing folder) degrades to one job at a time.
  const cursor = p.batching && p.config.batch > 1
    ? new BatchCursor(cursorPath(p.keys.ns, p.id), (e) => p.logger.warning(`The batch cursor cannot be written (${(e as NodeJS.ErrnoException).code ?? e.message}): taking one job at a time`)).open()
    : undefined;
  const usable = cursor?.working ? cursor : undefined;
  const worker = new JobLoop({
    ...(usable ? { cursor: usable, batch: p.config.batch } : {}),
    id: p.id, queues: p.config.queues, interval: p.config.interval, once: p.config.once, ops, executor: p.executor,
    redisTimeout: p.config.redisTimeout, shutdownTimeout: p.config.shutdownTimeout, requeueOnShutdown: p.config.requeueOrphans,
    ...(p.maxJobs ? { maxJobs: p.maxJobs } : {}),
    ...(p.lease ? { lease: p.lease } : {}),
    hooks: {
      beforeFirstFork: () => (p.firstFork ? hooks.beforeFirstFork?.({ id: p.id, queues: p.config.queues, pid: process.pid }) : undefined),
      beforeFork: (r) => hooks.beforeFork?.(jobInfo(r)),
      onCrash: async (error, r) => { await Promise.resolve(hooks.onFailure?.(error, jobInfo(r))).catch(() => undefined); },
    },
  });
  wireLogging(worker, p.logger, p.config, p.executor, p.titles ?? true);
  if (p.events) wireJobEvents(worker, p.id, p.events);
  return { worker, ops, cursor };
}

export function jobInfo(r: Reserved): JobInfo {
  const j = r.job;
  return {
    className: j?.className ?? '', queue: r.queue, id: j?.id, args: j?.args ?? [], arg0: j?.arg0 ?? null,
    payload: j?.fields ?? {}, raw: r.raw,
  };
}

let lastTitle = 0;
/** Set the process title (Ruby's `resque-VERSION: STATUS`); `force` bypasses the 100 ms throttle. */
export function setTitle(status: string, force = true): void {
  const now = Date.now();
  if (!force && now - lastTitle < 100) return;
  lastTitle = now;
  try {
    process.title = procTitle(VERSION, status);
  } catch {
    /* not all platforms allow it */
  }
}

function wireLogging(worker: JobLoop, logger: Logger, config: WorkerConfig, executor: Executor, titles: boolean): void {
  const slow = slowJobWatch(logger, config, executor);
  worker.on('job', (r) => {
    slow?.start(r);
    if (logger.enabled('info')) logger.info(`Processing ${r.queue} ${r.job?.className ?? '(invalid payload)'} ${r.job?.id ?? ''}`.trim());
    if (logger.enabled('debug')) logger.debug(`Payload: ${r.raw.length > 500 ? `${r.raw.slice(0, 500)}… (${r.raw.length} bytes)` : r.raw}`);
    if (titles) setTitle(processing(r.queue, new Date(), r.job?.className ?? '?'), false);
  });
  worker.on('idle', () => {
    if (titles) setTitle(worker.isPaused ? paused() : waitingFor(config.queues));
    if (logger.enabled('debug')) logger.debug(`No job in ${config.queues.join(',')}; ${config.blocking ? 'blocking' : 'sleeping'} up to ${config.interval} s`);
  });
  worker.on('settled', (report: JobReport) => {
    slow?.end();
    logJob(logger, report);
  });
  worker.on('error', (e) => logger.warning(`Redis/worker error: ${e.message}`));
}

/** The --slow-job-log watch of this loop (none when it is 0 or warnings are not printed). */
function slowJobWatch(logger: Logger, config: WorkerConfig, executor: Executor): SlowJobWatch | undefined {
  if (!(config.slowJobLog > 0) || !logger.enabled('warning')) return undefined;
  return new SlowJobWatch(config.slowJobLog, (r, seconds) => logger.slowJob({
    id: r.job?.id, className: r.job?.className ?? '(invalid payload)', queue: r.queue, pid: executor.currentPid ?? r.pid, seconds,
  }));
}

function logJob(logger: Logger, { reserved, outcome, settlement }: JobReport): void {
  if (!logger.enabled('notice')) return;
  const attempt = reserved.job ? attemptOf(reserved.job.fields) : 1;
  const base = { id: reserved.job?.id, className: reserved.job?.className ?? '(invalid payload)', queue: reserved.queue, attempt, pid: outcome.pid, seconds: outcome.durationMs / 1000 };
  if (outcome.kind === 'done') logger.jobLine({ ...base, outcome: 'Done' });
  else if (outcome.kind === 'skipped') logger.jobLine({ ...base, outcome: 'Skipped' });
  else if (outcome.kind === 'released') logger.jobLine({ ...base, outcome: 'Retrying', error: `released: again in ${outcome.delay} s` });
  else if (settlement?.kind === 'retry' && outcome.kind !== 'invalid') logger.jobLine({ ...base, outcome: 'Retrying', error: `${outcome.error.name}: ${outcome.error.message}; attempt ${attempt + 1} in ${Math.round(settlement.delay * 10) / 10} s` });
  else logger.jobLine({ ...base, outcome: 'Failed', error: `${outcome.error.name}: ${outcome.error.message}` });
}
