/**
 * One Resque worker, start to stop, inside whatever process runs it (`resque start`, a
 * WorkerPool's worker process, or an app embedding a Worker). It installs no signal handler,
 * never exits the process, and leaves no timer or handle behind once stopped.
 *   1. start(): connect, settle the dead workers (failed as PruneDeadWorkerDirtyExit, or requeued
 *      with requeueOrphans), run beforeFirstFork, start the engine, then resolve; a failure is
 *      logged, cleaned up, and rejects. The engines:
 *      - default: a job process runs the loop and is the registered worker (its pid in the id);
 *        this process forks it first (while it boots we connect and register it), registers
 *        each replacement under its new id and unregisters the old one (src/engine/job-process-host.ts);
 *      - strict (`jobsPerChild: 1`) and in-process: the loop runs here, under this process's id;
 *      registering is `workers`, `worker:ID:started` and the heartbeat, after settling the
 *      leftovers of a previous worker with the same id;
 *   2. while it runs: heartbeat every 60 s, recovery every 15 s and after reconnects (never of
 *      the job processes this process hosts: it settles those itself);
 *   3. stop('graceful' | 'immediate'), pause(), resume(), killCurrent() drive the engine (a stop
 *      asked for while starting applies as soon as the engine exists);
 *   4. when the engine ends (stopped, drained with `once`, or an error such as a Redis outage past
 *      redisTimeout): close the engine, put back parked jobs, unregister, close Redis, and settle
 *      `finished` with a report (it never rejects).
 * One id (`host:pid:queues`) runs at most once per process: two would share their Redis keys.
 * So N default-engine workers can share one host process (each job process has its own pid),
 * and N strict or in-process workers need N processes.
 */
import { Connection, WORKER_CONNECTION } from '../redis/connection';
import { Keys } from '../redis/keys';
import type { WorkerConfig } from '../config';
import { OptionError, RedisConnectionError } from '../errors';
import { isRedisFailure } from '../redis/cause';
import type { Logger } from '../log';
import { ChildRunner } from '../engine/per-job-child-runner';
import { loadApp } from '../job/loader';
import type { AppModule, JobClass } from '../job/types';
import type { UsageSample } from '../engine/guard';
import { InProcessExecutor } from '../engine/in-process';
import type { Executor } from '../loop/loop';
import type { JobEventSink } from '../engine/job-events';
import type { JobProcessLogTo } from '../engine/job-process-protocol';
import { findDeadWorkers, heartbeat, registerWorker, workerId } from '../store/workers';
import { pruneDeadWorker, retireWorker, settleOwnLeftovers, withRecoveryLock } from '../store/recovery';
import { withTimeout } from '../time';
import { paused } from '../proctitle';
import { CONTROL_POLL_MS, clearRequest, readControl, type ControlState } from '../store/control';
import { assembleLoop, setTitle } from '../engine/assemble';
import { ChildWorkerHost } from '../engine/job-process-host';
import { RedisWorkerOps } from '../engine/redis-ops';
import { hostsJobProcesses } from './run-where';
import { WorkerLease } from '../engine/lease';
import type Redis from 'ioredis';

/** Dead workers of this host are found by pid, so looking often is cheap (SMEMBERS + HGETALL); at least once per heartbeat. */
const RECOVERY_SECONDS = 15;

/** How a worker ended. */
export interface WorkerStopReport {
  /**
   * `stopped`: stop() was called (or `resque stop` asked through Redis); `drained`: it stopped by
   * itself (`once` found the queues empty, or it took `maxJobs`); `restart`: `resque restart` asked
   * it to start again on the new code (its supervisor does); `error`: see `error`.
   */
  readonly reason: 'stopped' | 'drained' | 'restart' | 'error';
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
  /** The default engine: the ids are its job processes'. */
  host?: ChildWorkerHost;
  start(): Promise<void>;
  /** `clean`: the loop ended normally (it holds no job). */
  close(clean: boolean): Promise<void>;
  /** The listeners changed (the default engine tells its job process). */
  eventsChanged(): void;
  /** A heartbeat sent at `sentAt` for `id` was written (the loop's lease holds on) or refused (fenced). */
  beaten(id: string, sentAt: number, written: boolean): void;
}

/** Ids of the workers running in this process (strict, in-process). */
const runningIds = new Set<string>();
/** Ids of the job processes this process hosts: it settles them itself, so recovery leaves them alone. */
const hostedIds = new Set<string>();

export class WorkerRuntime {
  /** This process's id: the strict and in-process engines register it. */
  private readonly ownId: string;
  /** The default engine's last job process id. */
  private lastSeat = '';
  /** Settles once start() has recovered the dead (a job process registers only after that). */
  private readonly recovery: Promise<void>;
  private recovered!: (error?: unknown) => void;
  /** Settles once the worker has unregistered (or failed to start); never rejects. */
  readonly finished: Promise<WorkerStopReport>;
  private settle!: (r: WorkerStopReport) => void;
  private engine: Engine | undefined;
  private requested: StopMode | undefined;
  private pausedNow = false;
  /** Paused through Redis (pause-all-workers, or `resque pause` of this worker). */
  private remotePaused = false;
  /** The last restart request acted on (unix ms): none before this worker started counts. */
  private restartSeen = Date.now();
  private restarting = false;
  private readonly keys: Keys;
  /** The loop's lease when it runs in this process (strict, in-process). */
  private lease: WorkerLease | undefined;

  constructor(private readonly o: RuntimeOptions) {
    this.ownId = workerId(o.config.queues);
    this.recovery = new Promise<void>((resolve, reject) => {
      this.recovered = (e) => (e === undefined ? resolve() : reject(e instanceof Error ? e : new Error(String(e))));
    });
    this.recovery.catch(() => undefined);
    this.keys = new Keys(o.config.namespace);
    this.finished = new Promise<WorkerStopReport>((resolve) => { this.settle = resolve; });
  }

  /**
   * The registered id: this process's (strict, in-process), or the current job process's
   * (default: '' until the first one is registered; after it, the last one's).
   */
  get id(): string {
    return this.hosted ? this.lastSeat : this.ownId;
  }

  /** The default engine (a job process is the worker). */
  private get hosted(): boolean {
    return hostsJobProcesses(this.o.config);
  }

  /** The id registered right now, heartbeat due (none between two job processes). */
  private get liveId(): string | undefined {
    return this.hosted ? this.engine?.host?.workerId : this.ownId;
  }

  /** Resolves once registered and running; rejects (after cleaning up) when it cannot start. */
  async start(): Promise<void> {
    if (!this.hosted && runningIds.has(this.ownId)) {
      throw this.logged(new OptionError(`A worker with the id ${this.ownId} already runs in this process: two would share their Redis keys. Give another queue list, or use a WorkerPool.`));
    }
    if (!this.hosted) runningIds.add(this.ownId);
    const connection = new Connection(this.o.config.redis, this.o.config.database, WORKER_CONNECTION);
    let redis: Redis | undefined;
    let early: Promise<void> | undefined;
    try {
      const app = await this.loadApp();
      this.engine = this.makeEngine(connection, app);
      this.replayControl();
      // The job process boots while we connect and recover (start-up is two Node boots otherwise),
      // unless beforeFirstFork must run before it exists.
      if (this.hosted && !app.hooks?.beforeFirstFork) {
        early = this.engine.start();
        early.catch(() => undefined);
      }
      redis = await connection.client();
      this.title('Starting');
      await this.register(connection, redis);
      this.recovered();
    } catch (caught) {
      // A Redis refusal (READONLY, NOPERM, OOM …) is told with the address and what it means.
      const e = isRedisFailure(caught) && !(caught instanceof RedisConnectionError)
        ? Object.assign(new Error(`Could not start the worker: ${connection.explain(caught)}`, { cause: caught }), { name: (caught as Error).name })
        : caught;
      this.recovered(e);
      this.o.logger.error((e as Error).message);
      await this.abort(connection, redis, e);
      throw e;
    }
    const background = this.keepAlive(connection, redis);
    try {
      await (early ?? this.engine.start());
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
    if (!this.remotePaused) this.engine?.loop.resume();
  }

  /** What Redis asks of this worker (src/store/control.ts): pause, resume, stop, restart. */
  private applyControl(redis: Redis, id: string, c: ControlState): void {
    const { logger } = this.o;
    const wantPause = c.pauseAll || c.request === 'pause';
    if (wantPause && !this.remotePaused) {
      this.remotePaused = true;
      logger.notice(`Paused through Redis (${c.pauseAll ? 'pause-all-workers is set' : `resque pause ${id}`}): no new job until resumed`);
      this.engine?.loop.pause();
      this.title(paused());
    } else if (!wantPause && this.remotePaused) {
      this.remotePaused = false;
      logger.notice('Resumed through Redis');
      if (!this.pausedNow) this.engine?.loop.resume();
    }
    if (c.request === 'stop' && this.requested === undefined) {
      logger.notice(`Stopping after the current job: asked through Redis (resque stop ${id})`);
      clearRequest(redis, this.keys, id).catch((e: unknown) => this.reportError(e));
      void this.stop('graceful');
    }
    if (c.restartAt > this.restartSeen && this.requested === undefined) {
      this.restartSeen = c.restartAt;
      const host = this.engine?.host;
      if (host) {
        // The default engine: the job process finishes its job and a fresh one loads the new code.
        logger.notice(`Restart asked through Redis (resque restart): job process of ${id} replaced after its current job`);
        host.recycle();
      } else {
        logger.notice(`Restart asked through Redis (resque restart): ${id} stops after its current job and starts again`);
        this.restarting = true;
        void this.stop('graceful');
      }
    }
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

  /** Settle what the dead left; then (strict, in-process) what we left, and announce ourselves. */
  private async register(connection: Connection, redis: Redis): Promise<void> {
    const { config, logger } = this.o;
    if (this.hosted) return recover(connection, this.keys, this.ownId, config, logger, true); // wait: a job process may be registering
    await recoverOwnLeftovers(redis, this.keys, this.ownId, config, logger);
    await recover(connection, this.keys, this.ownId, config, logger);
    await this.announce(redis, this.ownId);
  }

  private async announce(redis: Redis, id: string): Promise<void> {
    const sentAt = Date.now();
    await registerWorker(redis, this.keys, id);
    if (id === this.ownId) this.lease?.note(sentAt);
    this.o.logger.notice(`*** Starting worker ${id}`);
  }

  /** Heartbeat and recovery while running; returns their disposer. */
  private keepAlive(connection: Connection, redis: Redis): () => void {
    const { config, logger } = this.o;
    const report = (e: unknown): void => this.reportError(e);
    // Only a registered id beats: a beat re-registers a vanished entry, so none for a closed one.
    const beat = (): void => {
      const id = this.liveId;
      if (!id) return;
      const sentAt = Date.now();
      heartbeat(redis, this.keys, id).then((written) => {
        if (!written) logger.warning(`Worker ${id} was pruned as dead by another worker (its heartbeat went stale): it stops taking jobs`);
        this.engine?.beaten(id, sentAt, written);
      }, report);
    };
    const prune = (): void => { recover(connection, this.keys, this.liveId ?? this.ownId, config, logger).catch(report); };
    const control = (): void => {
      const id = this.liveId;
      if (!id) return;
      readControl(redis, this.keys, id).then((c) => this.applyControl(redis, id, c), report);
    };
    control();
    const timers = [setInterval(beat, config.heartbeatInterval * 1000), setInterval(prune, Math.min(RECOVERY_SECONDS, config.heartbeatInterval) * 1000), setInterval(control, CONTROL_POLL_MS)];
    for (const t of timers) t.unref();
    const onReconnect = (): void => {
      beat();
      prune();
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
      report = { reason: this.restarting ? 'restart' : this.requested === undefined && (this.o.config.once || this.o.config.maxJobs > 0) ? 'drained' : 'stopped' };
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
      const id = this.liveId;
      await this.engine?.close(clean);
      // Bounded: after a Redis outage these may never answer; recovery by the next worker covers us.
      // (The default engine has unregistered each job process already, unless Redis was gone.)
      if (id && !this.hosted) {
        await withTimeout(retireWorker(redis, this.keys, id), 5000)
          .catch((e: unknown) => this.o.logger.error(`Could not unregister ${id} (${connection.explain(e)}); recovery settles it once Redis is back`));
      }
      await withTimeout(connection.close(), 2000).catch(() => redis.disconnect());
      if (!this.hosted) this.o.logger.notice(`*** Worker ${this.ownId} stopped`);
    } finally {
      if (!this.hosted) runningIds.delete(this.ownId);
      this.settle(report);
    }
  }

  /** A start that failed before the engine ran: release what was opened. */
  private async abort(connection: Connection, redis: Redis | undefined, e: unknown): Promise<void> {
    await this.engine?.close(true).catch(() => undefined);
    await withTimeout(connection.close(), 2000).catch(() => redis?.disconnect());
    if (!this.hosted) runningIds.delete(this.ownId);
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

  /** This process's title, when it is the worker (strict, in-process); a job process sets its own. */
  private title(status: string): void {
    if (this.o.titles && !this.hosted) setTitle(status);
  }

  /**
   * The three ways to run jobs: the default (a job process runs the loop and is the worker, we
   * host it), strict `jobsPerChild: 1` (we run the loop, each job in a fresh process), in-process.
   */
  private makeEngine(connection: Connection, app: AppModule): Engine {
    const { config, logger } = this.o;
    const keys = this.keys;
    const usage = (u: UsageSample): void => {
      const id = this.hosted ? workerId(config.queues, u.pid) : this.ownId;
      connection.client()
        .then((r) => r.hset(keys.workerUsage(id), 'pid', u.pid, 'rss_mb', u.rssMb.toFixed(1), 'cpu', u.cpu.toFixed(1), 'at', Math.floor(u.at / 1000)))
        .catch(() => undefined);
    };
    const hooks = app.hooks ?? {};
    const debug = config.logLevel === 'debug';
    if (this.hosted) {
      const seatOps = new Map<string, RedisWorkerOps>();
      const host = new ChildWorkerHost({
        config, connection, keys, logger, hooks, onSample: usage,
        seats: {
          open: async (pid) => {
            await this.recovery; // the job process boots meanwhile; it is registered after the dead are settled
            const id = workerId(config.queues, pid);
            const redis = await connection.client();
            hostedIds.add(id);
            await recoverOwnLeftovers(redis, keys, id, config, logger); // a pid used again
            await this.announce(redis, id);
            this.lastSeat = id;
            const ops = new RedisWorkerOps(connection, keys, id, false, app.failureBackend, config.history);
            seatOps.set(id, ops);
            return { id, ops };
          },
          close: async (id) => {
            const redis = await connection.client();
            await retireWorker(redis, keys, id);
            hostedIds.delete(id);
            await seatOps.get(id)?.close();
            seatOps.delete(id);
            logger.notice(`*** Worker ${id} stopped`);
          },
        },
        ...(this.o.events ? { events: this.o.events } : {}),
        logTo: this.o.logTo ?? 'stdout',
        ...(this.o.logTo === 'parent' ? { timestamps: logger.timestamps } : {}),
        ...(this.o.logSink ? { logSink: this.o.logSink } : {}),
      });
      return {
        loop: host,
        host,
        start: async () => {
          await hooks.beforeFirstFork?.({ id: this.ownId, queues: config.queues, pid: process.pid });
          await host.start();
        },
        close: () => host.dispose(),
        eventsChanged: () => host.eventsChanged(),
        beaten: (id, sentAt, written) => host.beaten(id, sentAt, written),
      };
    }
    const id = this.ownId;
    const parts = { config, id, connection, keys, app, logger, titles: this.o.titles };
    const retry = { tries: config.tries, retryDelay: config.retryDelay };
    const executor: Executor = config.inProcess ? new InProcessExecutor({ jobsDir: config.jobsDir, app, debug, retry }) : new ChildRunner({
      jobsDir: config.jobsDir, app: config.app, jobsPerChild: config.jobsPerChild, killGraceMs: config.killGrace * 1000, retry,
      timeoutSec: config.timeout, hardMemoryMb: config.hardChildMemory, maxMemoryMb: config.maxChildMemory, onSample: usage, debug,
      keepJobChildren: config.keepJobChildren,
    });
    // A loop in this process batches when its jobs run here too (a strict child's crash comes back as
    // an outcome, but one job per process leaves nothing to batch).
    const lease = new WorkerLease(config.pruneAfter, async () => heartbeat(await connection.client(), keys, id));
    this.lease = lease;
    const { worker, ops, cursor } = assembleLoop({
      ...parts, executor, firstFork: true, batching: !(executor instanceof ChildRunner), lease, ...(this.o.events ? { events: this.o.events } : {}),
      ...(config.maxJobs > 0 ? { maxJobs: config.maxJobs } : {}),
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
      beaten: (_id, sentAt, written) => (written ? lease.note(sentAt) : worker.fence()),
    };
  }
}

function errorReport(e: unknown): WorkerStopReport {
  return { reason: 'error', error: e instanceof Error ? e : new Error(String(e)) };
}


async function recoverOwnLeftovers(redis: Redis, keys: Keys, id: string, config: WorkerConfig, logger: Logger): Promise<void> {
  // Waits for a recovery in progress elsewhere (it may be settling these very leftovers).
  const report = await withRecoveryLock(redis, keys, id, () => settleOwnLeftovers(redis, keys, id, { requeue: config.requeueOrphans }), { wait: true });
  if (report) logger.notice(`Settled the leftovers of a previous ${id}: ${report.failed.length} job(s) failed, ${report.requeued.length} requeued`);
}

/** Prune the dead workers, unless another worker is doing it right now (then the next round does). */
async function recover(connection: Connection, keys: Keys, self: string, config: WorkerConfig, logger: Logger, wait = false): Promise<void> {
  const redis = await connection.client();
  await withRecoveryLock(redis, keys, self, async () => {
    for (const dead of await findDeadWorkers(redis, keys, self, { staleSeconds: config.pruneAfter })) {
      if (hostedIds.has(dead.id)) continue; // a job process of ours: its host settles it
      const report = await pruneDeadWorker(redis, keys, dead, { requeue: config.requeueOrphans, byWorker: self });
      if (!report) continue; // it beat meanwhile: alive
      logger.notice(`Pruned dead worker ${dead.id}: ${report.failed.length} job(s) failed, ${report.requeued.length} requeued`);
    }
  }, { wait });
}
