/**
 * One worker process, start to finish:
 *   1. connect, settle dead workers of this host / with stale heartbeats (their in-flight jobs
 *      failed as PruneDeadWorkerDirtyExit, or requeued with --requeue-orphans);
 *   2. register (`workers`, `worker:ID:started`, heartbeat), run beforeFirstFork;
 *   3. run the loop with a ChildRunner, the signal table, a heartbeat and periodic recovery;
 *   4. on stop: close the child, unregister (per-worker stats go too), release Redis.
 * Returns the process exit code.
 */
import { Connection } from '../redis/connection';
import { Keys } from '../redis/keys';
import type { WorkerConfig } from '../config';
import type { Logger } from '../log';
import { ChildRunner } from '../child/runner';
import { loadApp } from '../child/loader';
import type { AppHooks, JobInfo } from '../child/types';
import { RedisWorkerOps, type Reserved } from './ops';
import { InProcessExecutor } from './in-process';
import type { FailureBackend } from '../store/failures';
import { Worker, type Executor, type JobReport } from './worker';
import { installSignals } from './signals';
import { findDeadWorkers, heartbeat, recoverDeadWorker, registerWorker, requeueParked, unregisterWorker, workerId } from '../store/workers';
import { procTitle, paused, processing, waitingFor } from './proctitle';
import { VERSION } from '../cli/usage';

const HEARTBEAT_SECONDS = 60;
const STALE_SECONDS = 300;
/** Dead workers of this host are found by pid, so looking often is cheap (SMEMBERS + HGETALL). */
const RECOVERY_SECONDS = 15;

export interface WorkerProcessOptions {
  config: WorkerConfig;
  logger: Logger;
  /** Another executor (tests, in-process mode). */
  executor?: Executor;
  /** Where failures go (default: `resque:failed`, or the app module's `failureBackend`). */
  failureBackend?: FailureBackend;
}

export async function runWorkerProcess({ config, logger, executor, failureBackend }: WorkerProcessOptions): Promise<number> {
  const connection = new Connection(config.redis, config.database, { maxRetriesPerRequest: 1 });
  const keys = new Keys(config.namespace);
  const id = workerId(config.queues);
  const app = config.app ? await loadApp(config.app) : {};
  const hooks: AppHooks = app.hooks ?? {};
  const redis = await connection.client();
  setTitle(starting());

  await recover(connection, keys, id, config, logger);
  await registerWorker(redis, keys, id);
  logger.notice(`*** Starting worker ${id}`);

  const runner = executor ?? (config.inProcess ? new InProcessExecutor({ jobsDir: config.jobsDir, app }) : new ChildRunner({
    jobsDir: config.jobsDir, app: config.app, jobsPerChild: config.jobsPerChild, killGraceMs: config.killGrace * 1000,
    timeoutSec: config.timeout, hardMemoryMb: config.hardChildMemory, maxMemoryMb: config.maxChildMemory,
    onSample: (s) => { redis.hset(keys.workerUsage(id), 'pid', s.pid, 'rss_mb', s.rssMb.toFixed(1), 'cpu', s.cpu.toFixed(1), 'at', Math.floor(s.at / 1000)).catch(() => undefined); },
  }));
  const ops = new RedisWorkerOps(connection, keys, id, config.blocking, failureBackend ?? app.failureBackend);
  const worker = new Worker({
    id, queues: config.queues, interval: config.interval, once: config.once, ops, executor: runner, redisTimeout: config.redisTimeout,
    shutdownTimeout: config.shutdownTimeout, requeueOnShutdown: config.requeueOrphans,
    hooks: {
      beforeFirstFork: () => hooks.beforeFirstFork?.({ id, queues: config.queues, pid: process.pid }),
      beforeFork: (r) => hooks.beforeFork?.(jobInfo(r)),
    },
  });
  wireLogging(worker, logger, config);

  const disposeSignals = installSignals({
    SIGQUIT: () => { logger.notice('QUIT received; shutting down after the current job'); worker.stop('graceful'); },
    SIGTERM: () => { logger.notice('TERM received; shutting down now'); worker.stop(config.gracefulTerm ? 'graceful' : 'immediate'); },
    SIGINT: () => { logger.notice('INT received; shutting down now'); worker.stop('immediate'); },
    SIGUSR1: () => { logger.notice('USR1 received; killing the current job'); worker.killCurrent(); },
    SIGUSR2: () => { logger.notice('USR2 received; pausing job processing'); worker.pause(); setTitle(paused()); },
    SIGCONT: () => { logger.notice('CONT received; resuming job processing'); worker.resume(); },
  });
  // A worker supervised over IPC stops when its supervisor goes away.
  const onDisconnect = (): void => worker.stop('graceful');
  process.on('disconnect', onDisconnect);

  const timers = [
    setInterval(() => { heartbeat(redis, keys, id).catch(() => undefined); }, HEARTBEAT_SECONDS * 1000),
    setInterval(() => { recover(connection, keys, id, config, logger).catch(() => undefined); }, RECOVERY_SECONDS * 1000),
  ];
  for (const t of timers) t.unref();
  const onReconnect = (): void => {
    heartbeat(redis, keys, id).catch(() => undefined);
    recover(connection, keys, id, config, logger).catch(() => undefined);
  };
  redis.on('ready', onReconnect);

  let code = 0;
  try {
    if (runner instanceof ChildRunner) await runner.warm();
    await worker.run();
  } catch (e) {
    logger.error(`Worker stopped on an error: ${(e as Error).message}`);
    code = 1;
  } finally {
    for (const t of timers) clearInterval(t);
    redis.removeListener('ready', onReconnect);
    disposeSignals();
    process.removeListener('disconnect', onDisconnect);
    setTitle('Shutting down');
    await runner.close().catch(() => undefined);
    await ops.close();
    // Bounded: after a Redis outage these may never answer; recovery by the next worker covers us.
    await withTimeout(requeueParked(redis, keys, id).then(() => unregisterWorker(redis, keys, id)), 5000).catch((e: Error) => logger.error(`Could not unregister ${id}: ${e.message}`));
    await withTimeout(connection.close(), 2000).catch(() => redis.disconnect());
    logger.notice(`*** Worker ${id} stopped`);
  }
  return code;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

function starting(): string {
  return 'Starting';
}

function setTitle(status: string): void {
  try {
    process.title = procTitle(VERSION, status);
  } catch {
    /* not all platforms allow it */
  }
}

async function recover(connection: Connection, keys: Keys, self: string, config: WorkerConfig, logger: Logger): Promise<void> {
  const redis = await connection.client();
  for (const dead of await findDeadWorkers(redis, keys, self, { staleSeconds: STALE_SECONDS })) {
    const report = await recoverDeadWorker(redis, keys, dead.id, { requeue: config.requeueOrphans, reason: dead.why, byWorker: self });
    logger.notice(`Pruned dead worker ${dead.id}: ${report.failed.length} job(s) failed, ${report.requeued.length} requeued`);
  }
}

function jobInfo(r: Reserved): JobInfo {
  const j = r.job;
  return {
    className: j?.className ?? '', queue: r.queue, id: j?.id, args: j?.args ?? [], arg0: j?.arg0 ?? null,
    payload: j?.fields ?? {}, raw: r.raw,
  };
}

function wireLogging(worker: Worker, logger: Logger, config: WorkerConfig): void {
  worker.on('job', (r) => {
    logger.info(`Processing ${r.queue} ${r.job?.className ?? '(invalid payload)'} ${r.job?.id ?? ''}`.trim());
    setTitle(processing(r.queue, new Date(), r.job?.className ?? '?'));
  });
  worker.on('idle', () => setTitle(worker.isPaused ? paused() : waitingFor(config.queues)));
  worker.on('settled', (report: JobReport) => logJob(logger, report));
  worker.on('error', (e) => logger.warning(`Redis/worker error: ${e.message}`));
}

function logJob(logger: Logger, { reserved, outcome }: JobReport): void {
  const base = { id: reserved.job?.id, className: reserved.job?.className ?? '(invalid payload)', attempt: 1, pid: outcome.pid, seconds: outcome.durationMs / 1000 };
  if (outcome.kind === 'done') logger.jobLine({ ...base, outcome: 'Done' });
  else if (outcome.kind === 'skipped') logger.jobLine({ ...base, outcome: 'Skipped' });
  else logger.jobLine({ ...base, outcome: 'Failed', error: `${outcome.error.name}: ${outcome.error.message}` });
}
