/**
 * One worker process, start to finish:
 *   1. connect, settle dead workers of this host / with stale heartbeats (their in-flight jobs
 *      failed as PruneDeadWorkerDirtyExit, or requeued with --requeue-orphans);
 *   2. register (`workers`, `worker:ID:started`, heartbeat), run beforeFirstFork;
 *   3. run the engine — a supervised job process running the loop (default), the loop with a
 *      fresh process per job (strict), or the loop in-process — under the signal table, with a
 *      heartbeat and periodic recovery;
 *   4. on stop: close the engine, put back parked jobs, unregister (per-worker stats go too).
 * Returns the process exit code.
 */
import { Connection } from '../redis/connection';
import { Keys } from '../redis/keys';
import type { WorkerConfig } from '../config';
import type { Logger } from '../log';
import { ChildRunner } from '../engine/per-job-child-runner';
import { loadApp } from '../job/loader';
import type { AppModule } from '../job/types';
import type { UsageSample } from '../engine/guard';
import { InProcessExecutor } from '../engine/in-process';
import type { FailureBackend } from '../store/failures';
import type { Executor } from '../loop/loop';
import { installSignals } from './signals';
import { findDeadWorkers, heartbeat, registerWorker, unregisterWorker, workerId } from '../store/workers';
import { recoverDeadWorker, requeueParked, settleOwnLeftovers, withRecoveryLock } from '../store/recovery';
import { paused } from '../proctitle';
import { assembleLoop, setTitle } from '../engine/assemble';
import { ChildWorkerHost } from '../engine/job-process-host';

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
  const redis = await connection.client();
  setTitle(starting());

  const usage = (u: UsageSample): void => {
    redis.hset(keys.workerUsage(id), 'pid', u.pid, 'rss_mb', u.rssMb.toFixed(1), 'cpu', u.cpu.toFixed(1), 'at', Math.floor(u.at / 1000)).catch(() => undefined);
  };
  const engine = makeEngine({ config, id, connection, keys, app, logger, usage, ...(executor ? { executor } : {}), ...(failureBackend ? { failureBackend } : {}) });
  const worker = engine.loop;

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

  // Signals are handled before we announce ourselves: a QUIT right after start is a clean stop.
  await recoverOwnLeftovers(connection, keys, id, config, logger);
  await recover(connection, keys, id, config, logger);
  await registerWorker(redis, keys, id);
  logger.notice(`*** Starting worker ${id}`);

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
  let clean = false;
  try {
    await engine.start();
    await worker.run();
    clean = true;
  } catch (e) {
    logger.error(`Worker stopped on an error: ${(e as Error).message}`);
    code = 1;
  } finally {
    for (const t of timers) clearInterval(t);
    redis.removeListener('ready', onReconnect);
    disposeSignals();
    process.removeListener('disconnect', onDisconnect);
    setTitle('Shutting down');
    await engine.close(clean);
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

/** What the signal table drives: the loop itself, or the host of a job process running it. */
interface Loop {
  run(): Promise<void>;
  stop(mode: 'graceful' | 'immediate'): void;
  pause(): void;
  resume(): void;
  killCurrent(): void;
}

interface Engine {
  loop: Loop;
  start(): Promise<void>;
  /** `clean`: the loop ended normally (it holds no job). */
  close(clean: boolean): Promise<void>;
}

interface EngineParts {
  config: WorkerConfig;
  id: string;
  connection: Connection;
  keys: Keys;
  app: AppModule;
  logger: Logger;
  usage: (u: UsageSample) => void;
  executor?: Executor;
  failureBackend?: FailureBackend;
}

/**
 * The three ways to run jobs: the default (a job process runs the loop, we supervise it),
 * strict `--jobs-per-child=1` (we run the loop, each job in a fresh process), `--in-process`.
 */
function makeEngine(p: EngineParts): Engine {
  const { config } = p;
  const hooks = p.app.hooks ?? {};
  const debug = config.logLevel === 'debug';
  if (!p.executor && !config.inProcess && config.jobsPerChild > 1) {
    const { ops } = assembleLoop({ ...p, executor: new InProcessExecutor({ jobsDir: config.jobsDir, app: p.app, debug }), firstFork: false });
    const host = new ChildWorkerHost({ config, workerId: p.id, connection: p.connection, keys: p.keys, ops, logger: p.logger, hooks, onSample: p.usage });
    return {
      loop: host,
      start: async () => { await hooks.beforeFirstFork?.({ id: p.id, queues: config.queues, pid: process.pid }); },
      close: () => ops.close(),
    };
  }
  const executor = p.executor ?? (config.inProcess ? new InProcessExecutor({ jobsDir: config.jobsDir, app: p.app, debug }) : new ChildRunner({
    jobsDir: config.jobsDir, app: config.app, jobsPerChild: config.jobsPerChild, killGraceMs: config.killGrace * 1000,
    timeoutSec: config.timeout, hardMemoryMb: config.hardChildMemory, maxMemoryMb: config.maxChildMemory, onSample: p.usage, debug,
  }));
  // A loop in this process batches when its jobs run here too (a strict child's crash comes back as
  // an outcome, but one job per process leaves nothing to batch).
  const { worker, ops, cursor } = assembleLoop({ ...p, executor, firstFork: true, batching: !(executor instanceof ChildRunner) });
  return {
    loop: worker,
    start: async () => { if (executor instanceof ChildRunner) await executor.warm(); },
    close: async (clean) => {
      cursor?.close(clean);
      await executor.close().catch(() => undefined);
      await ops.close();
    },
  };
}

function starting(): string {
  return 'Starting';
}

async function recoverOwnLeftovers(connection: Connection, keys: Keys, id: string, config: WorkerConfig, logger: Logger): Promise<void> {
  const redis = await connection.client();
  // Waits for a recovery in progress elsewhere (it may be settling these very leftovers).
  const report = await withRecoveryLock(redis, keys, id, () => settleOwnLeftovers(redis, keys, id, { requeue: config.requeueOrphans }), { wait: true });
  if (report) logger.notice(`Settled the leftovers of a previous ${id}: ${report.failed.length} job(s) failed, ${report.requeued.length} requeued`);
}

/** Prune the dead workers, unless another worker is doing it right now (then the next round does). */
async function recover(connection: Connection, keys: Keys, self: string, config: WorkerConfig, logger: Logger): Promise<void> {
  const redis = await connection.client();
  await withRecoveryLock(redis, keys, self, async () => {
    for (const dead of await findDeadWorkers(redis, keys, self, { staleSeconds: STALE_SECONDS })) {
      const report = await recoverDeadWorker(redis, keys, dead.id, { requeue: config.requeueOrphans, reason: dead.why, byWorker: self });
      logger.notice(`Pruned dead worker ${dead.id}: ${report.failed.length} job(s) failed, ${report.requeued.length} requeued`);
    }
  });
}
