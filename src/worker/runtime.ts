/**
 * One registered Resque worker, start to stop, inside whatever process runs it (the CLI's worker
 * process, a WorkerPool's worker process, or an app embedding a Worker). It installs no signal
 * handler, never exits the process, and leaves no timer or handle behind once stopped.
 *   1. start(): connect, settle the leftovers of a previous worker with our id and the dead
 *      workers (failed as PruneDeadWorkerDirtyExit, or requeued with requeueOrphans), register
 *      (`workers`, `worker:ID:started`, heartbeat), run beforeFirstFork, start the engine — a job
 *      process running the loop (default), the loop with a fresh process per job (strict), or the
 *      loop in this process — then resolve; a failure is logged, cleaned up, and rejects;
 *   2. while it runs: heartbeat every 60 s, recovery every 15 s and after reconnects;
 *   3. stop('graceful' | 'immediate'), pause(), resume(), killCurrent() drive the engine (a stop
 *      asked for while starting applies as soon as the engine exists);
 *   4. when the engine ends (stopped, drained with `once`, or an error such as a Redis outage past
 *      redisTimeout): close the engine, put back parked jobs, unregister, close Redis, and settle
 *      `finished` with a report (it never rejects).
 * One id (`host:pid:queues`) runs at most once per process: two would share their Redis keys.
 */
import { Connection } from '../redis/connection';
import { Keys } from '../redis/keys';
import type { WorkerConfig } from '../config';
import { OptionError } from '../errors';
import type { Logger } from '../log';
import { ChildRunner } from '../engine/per-job-child-runner';
import { loadApp } from '../job/loader';
import type { AppModule, JobClass } from '../job/types';
import type { UsageSample } from '../engine/guard';
import { InProcessExecutor } from '../engine/in-process';
import type { Executor } from '../loop/loop';
import type { JobEventSink } from '../engine/job-events';
import type { JobProcessLogTo } from '../engine/job-process-protocol';
import { findDeadWorkers, heartbeat, registerWorker, unregisterWorker, workerId } from '../store/workers';
import { recoverDeadWorker, requeueParked, settleOwnLeftovers, withRecoveryLock } from '../store/recovery';
import { paused } from '../proctitle';
import { assembleLoop, setTitle } from '../engine/assemble';
import { ChildWorkerHost } from '../engine/job-process-host';
import type Redis from 'ioredis';

const HEARTBEAT_SECONDS = 60;
const STALE_SECONDS = 300;
/** Dead workers of this host are found by pid, so looking often is cheap (SMEMBERS + HGETALL). */
const RECOVERY_SECONDS = 15;

/** How a worker ended. */
export interface WorkerStopReport {
  /** `stopped`: stop() was called; `drained`: `once` found the queues empty; `error`: see `error`. */
  readonly reason: 'stopped' | 'drained' | 'error';
  /** Why it stopped on its own (Redis unreachable past redisTimeout, a failing start, …). */
  readonly error?: Error;
}

export type StopMode = 'graceful' | 'immediate';

export interface RuntimeOptions {
  config: WorkerConfig;
  logger: Logger;
  /** Job classes given in code (run in this process: config.inProcess is set). */
  jobs?: Readonly<Record<string, JobClass>> | undefined;
  events?: JobEventSink;
  /** Set the process title (the CLI, a pool's worker process). */
  titles: boolean;
  /** Where the default engine's job process logs (default 'stdout'). */
  logTo?: JobProcessLogTo;
  /** Receives the job process's log text (logTo 'parent'). */
  logSink?: ((text: string) => void) | undefined;
}

/** What the control methods drive: the loop itself, or the host of a job process running it. */
interface Loop {
  run(): Promise<void>;
  stop(mode: StopMode): void;
  pause(): void;
  resume(): void;
  killCurrent(): void;
}

interface Engine {
  loop: Loop;
  start(): Promise<void>;
  /** `clean`: the loop ended normally (it holds no job). */
  close(clean: boolean): Promise<void>;
  /** The listeners changed (the default engine tells its job process). */
  eventsChanged(): void;
}

/** Ids of the workers running in this process. */
const runningIds = new Set<string>();

export class WorkerRuntime {
  readonly id: string;
  /** Settles once the worker has unregistered (or failed to start); never rejects. */
  readonly finished: Promise<WorkerStopReport>;
  private settle!: (r: WorkerStopReport) => void;
  private engine: Engine | undefined;
  private requested: StopMode | undefined;
  private pausedNow = false;
  private readonly keys: Keys;

  constructor(private readonly o: RuntimeOptions) {
    this.id = workerId(o.config.queues);
    this.keys = new Keys(o.config.namespace);
    this.finished = new Promise<WorkerStopReport>((resolve) => { this.settle = resolve; });
  }

  /** Resolves once registered and running; rejects (after cleaning up) when it cannot start. */
  async start(): Promise<void> {
    if (runningIds.has(this.id)) {
      throw this.logged(new OptionError(`A worker with the id ${this.id} already runs in this process: two would share their Redis keys. Give another queue list, or use a WorkerPool.`));
    }
    runningIds.add(this.id);
    const connection = new Connection(this.o.config.redis, this.o.config.database, { maxRetriesPerRequest: 1 });
    let redis: Redis | undefined;
    try {
      const app = await this.loadApp();
      redis = await connection.client();
      this.title('Starting');
      this.engine = this.makeEngine(connection, redis, app);
      this.replayControl();
      await this.register(connection, redis);
    } catch (e) {
      this.o.logger.error((e as Error).message);
      await this.abort(connection, redis, e);
      throw e;
    }
    const background = this.keepAlive(connection, redis);
    try {
      await this.engine.start();
    } catch (e) {
      this.o.logger.error(`Worker stopped on an error: ${(e as Error).message}`);
      await this.shutdown(connection, redis, background, false, errorReport(e));
      throw e;
    }
    void this.run(connection, redis, background);
  }

  stop(mode: StopMode): Promise<WorkerStopReport> {
    if (this.requested !== 'immediate') this.requested = mode;
    this.engine?.loop.stop(mode);
    return this.finished;
  }

  pause(): void {
    this.pausedNow = true;
    this.engine?.loop.pause();
    this.title(paused());
  }

  resume(): void {
    this.pausedNow = false;
    this.engine?.loop.resume();
  }

  killCurrent(): void {
    this.engine?.loop.killCurrent();
  }

  /** The event listeners changed. */
  eventsChanged(): void {
    this.engine?.eventsChanged();
  }

  /** Ended before it ever ran (start() not called, or it failed): settle `finished` too. */
  abandon(report: WorkerStopReport): void {
    this.settle(report);
  }

  private async loadApp(): Promise<AppModule> {
    const app = this.o.config.app ? await loadApp(this.o.config.app) : {};
    // The map given in code comes first, like the app module's own map.
    return this.o.jobs ? { ...app, jobs: { ...(app.jobs ?? {}), ...this.o.jobs } } : app;
  }

  /** A stop or pause asked for while starting applies to the engine now. */
  private replayControl(): void {
    if (this.requested) this.engine?.loop.stop(this.requested);
    else if (this.pausedNow) this.engine?.loop.pause();
  }

  /** Settle what we left (and what the dead left), then announce ourselves. */
  private async register(connection: Connection, redis: Redis): Promise<void> {
    const { config, logger } = this.o;
    await recoverOwnLeftovers(redis, this.keys, this.id, config, logger);
    await recover(connection, this.keys, this.id, config, logger);
    await registerWorker(redis, this.keys, this.id);
    logger.notice(`*** Starting worker ${this.id}`);
  }

  /** Heartbeat and recovery while running; returns their disposer. */
  private keepAlive(connection: Connection, redis: Redis): () => void {
    const { config, logger } = this.o;
    const report = (e: unknown): void => this.reportError(e);
    const timers = [
      setInterval(() => { heartbeat(redis, this.keys, this.id).catch(report); }, HEARTBEAT_SECONDS * 1000),
      setInterval(() => { recover(connection, this.keys, this.id, config, logger).catch(report); }, RECOVERY_SECONDS * 1000),
    ];
    for (const t of timers) t.unref();
    const onReconnect = (): void => {
      heartbeat(redis, this.keys, this.id).catch(report);
      recover(connection, this.keys, this.id, config, logger).catch(report);
    };
    redis.on('ready', onReconnect);
    return () => {
      for (const t of timers) clearInterval(t);
      redis.removeListener('ready', onReconnect);
    };
  }

  private async run(connection: Connection, redis: Redis, background: () => void): Promise<void> {
    const engine = this.engine as Engine;
    let report: WorkerStopReport;
    let clean = false;
    try {
      await engine.loop.run();
      clean = true;
      report = { reason: this.requested === undefined && this.o.config.once ? 'drained' : 'stopped' };
    } catch (e) {
      this.o.logger.error(`Worker stopped on an error: ${(e as Error).message}`);
      report = errorReport(e);
    }
    await this.shutdown(connection, redis, background, clean, report);
  }

  /** Close the engine, put parked jobs back, unregister (bounded), close Redis, settle `finished`. */
  private async shutdown(connection: Connection, redis: Redis, background: () => void, clean: boolean, report: WorkerStopReport): Promise<void> {
    background();
    this.title('Shutting down');
    try {
      await this.engine?.close(clean);
      // Bounded: after a Redis outage these may never answer; recovery by the next worker covers us.
      await withTimeout(requeueParked(redis, this.keys, this.id).then(() => unregisterWorker(redis, this.keys, this.id)), 5000)
        .catch((e: Error) => this.o.logger.error(`Could not unregister ${this.id}: ${e.message}`));
      await withTimeout(connection.close(), 2000).catch(() => redis.disconnect());
      this.o.logger.notice(`*** Worker ${this.id} stopped`);
    } finally {
      runningIds.delete(this.id);
      this.settle(report);
    }
  }

  /** A start that failed before the engine ran: release what was opened. */
  private async abort(connection: Connection, redis: Redis | undefined, e: unknown): Promise<void> {
    await this.engine?.close(true).catch(() => undefined);
    await withTimeout(connection.close(), 2000).catch(() => redis?.disconnect());
    runningIds.delete(this.id);
    this.settle(errorReport(e));
  }

  private logged(e: Error): Error {
    this.o.logger.error(e.message);
    return e;
  }

  private reportError(e: unknown): void {
    const sink = this.o.events;
    const err = e instanceof Error ? e : new Error(String(e));
    if (sink?.wants('error')) sink.emit({ name: 'error', error: { name: err.name, message: err.message } });
  }

  private title(status: string): void {
    if (this.o.titles) setTitle(status);
  }

  /**
   * The three ways to run jobs: the default (a job process runs the loop, we supervise it),
   * strict `jobsPerChild: 1` (we run the loop, each job in a fresh process), in-process.
   */
  private makeEngine(connection: Connection, redis: Redis, app: AppModule): Engine {
    const { config, logger } = this.o;
    const keys = this.keys;
    const id = this.id;
    const usage = (u: UsageSample): void => {
      redis.hset(keys.workerUsage(id), 'pid', u.pid, 'rss_mb', u.rssMb.toFixed(1), 'cpu', u.cpu.toFixed(1), 'at', Math.floor(u.at / 1000)).catch(() => undefined);
    };
    const hooks = app.hooks ?? {};
    const debug = config.logLevel === 'debug';
    const parts = { config, id, connection, keys, app, logger, titles: this.o.titles };
    if (!config.inProcess && config.jobsPerChild > 1) {
      const { ops } = assembleLoop({ ...parts, executor: new InProcessExecutor({ jobsDir: config.jobsDir, app, debug }), firstFork: false });
      const host = new ChildWorkerHost({
        config, workerId: id, connection, keys, ops, logger, hooks, onSample: usage, titles: this.o.titles,
        ...(this.o.events ? { events: this.o.events } : {}),
        logTo: this.o.logTo ?? 'stdout',
        ...(this.o.logTo === 'parent' ? { timestamps: logger.timestamps } : {}),
        ...(this.o.logSink ? { logSink: this.o.logSink } : {}),
      });
      return {
        loop: host,
        start: async () => { await hooks.beforeFirstFork?.({ id, queues: config.queues, pid: process.pid }); },
        close: () => ops.close(),
        eventsChanged: () => host.eventsChanged(),
      };
    }
    const executor: Executor = config.inProcess ? new InProcessExecutor({ jobsDir: config.jobsDir, app, debug }) : new ChildRunner({
      jobsDir: config.jobsDir, app: config.app, jobsPerChild: config.jobsPerChild, killGraceMs: config.killGrace * 1000,
      timeoutSec: config.timeout, hardMemoryMb: config.hardChildMemory, maxMemoryMb: config.maxChildMemory, onSample: usage, debug,
    });
    // A loop in this process batches when its jobs run here too (a strict child's crash comes back as
    // an outcome, but one job per process leaves nothing to batch).
    const { worker, ops, cursor } = assembleLoop({
      ...parts, executor, firstFork: true, batching: !(executor instanceof ChildRunner), ...(this.o.events ? { events: this.o.events } : {}),
    });
    return {
      loop: worker,
      start: async () => { if (executor instanceof ChildRunner) await executor.warm(); },
      close: async (clean) => {
        cursor?.close(clean);
        await executor.close().catch(() => undefined);
        await ops.close();
      },
      eventsChanged: () => undefined, // the loop asks the sink per job
    };
  }
}

function errorReport(e: unknown): WorkerStopReport {
  return { reason: 'error', error: e instanceof Error ? e : new Error(String(e)) };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

async function recoverOwnLeftovers(redis: Redis, keys: Keys, id: string, config: WorkerConfig, logger: Logger): Promise<void> {
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
