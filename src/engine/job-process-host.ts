/**
 * The host of a job process in the default mode (the `resque start` process, or the app
 * embedding a Worker): the job process is the registered worker (src/worker/job-process.ts, its
 * own pid in the id), the host never runs job code.
 *   1. forks a job process and registers it through `seats` (id `host:CHILDPID:queues`) while it
 *      boots, then tells it to go; when it exits after its `jobsPerChild` share (EXIT_RECYCLE) or
 *      dies, it settles what it left, unregisters that id and starts another under a new id —
 *      php-resque's "A child worker died" (after 1 s if it died within 1 s of starting);
 *   2. a job process that dies holding a job (worker:ID still set) fails that job: DirtyExitError
 *      with the exit code or signal, JobTimeoutError / JobMemoryError when we killed it for a
 *      limit, or — shutdown timeout with --requeue-orphans — puts it back at the head of its queue;
 *      jobs it had parked but not started go back to their queue;
 *   3. enforces limits: time (TERM, then KILL after the grace) from the job start the job process
 *      reports; memory by sampling its RSS (hard cap: KILL; soft limit: recycle after the job);
 *   4. control: stop (graceful: the job process finishes its job; immediate: KILL), USR1 (KILL the
 *      job process, go on), pause/resume (forwarded); a control signal sent to the job process
 *      itself comes here and means the same for this worker (QUIT, TERM/INT, USR1, USR2, CONT);
 *   5. job events: tells the job process which ones anybody listens to (none: it sends none), passes
 *      the batches it sends on to the sink, and reports the job of a dead job process as job:failed
 *      itself; log text the job process sends (logTo 'parent') goes to `logSink`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import pidusage from 'pidusage';
import type { WorkerConfig } from '../config';
import type { Logger } from '../log';
import type { Connection } from '../redis/connection';
import type { Keys } from '../redis/keys';
import type { AppHooks } from '../job/types';
import { JobGuard, type GuardVerdict, type UsageSample } from './guard';
import { DirtyExitError, JobMemoryError, JobTimeoutError, normalizeError } from '../errors';
import {
  EXIT_FENCED, EXIT_RECYCLE, EXIT_REDIS_OUTAGE, WORKER_CHILD_ENV,
  type ControlSignal, type FromJobProcess, type JobProcessLogTo, type JobProcessSettings, type ToJobProcess,
} from './job-process-protocol';
import {
  JOB_EVENT_NAMES, expandRecord, isSettled, jobEventOf, type JobEventName, type JobEventRecord, type JobEventSink, type JobStartEvent,
} from './job-events';
import { RedisOutageError, toReserved } from '../loop/loop';
import type { RedisWorkerOps } from './redis-ops';
import { sleep } from '../time';
import { settlementFor } from '../settlement';
import { backoffBefore, type Backoff } from '../backoff';
import { jobInfo } from './assemble';
import { settleCursor } from '../store/recovery';
import { cursorPath, removeCursor } from '../store/batch-cursor';
import { loopProcessFlags } from '../heap';
import { afterChannelClosed } from './channel';
import { stopGroup } from './process-group';
import { attemptOf } from '../job/retry';

/** The host's retries of its own writes (registering, settling a dead job process's job). */
const HOST_RETRY: Backoff = { baseMs: 100, maxMs: 2000 };

/** Where the host registers its job processes: each one is a worker of its own. */
export interface JobProcessSeats {
  /** A job process was forked: register the worker it is; resolves its id and the ops that settle its jobs. */
  open(pid: number): Promise<{ id: string; ops: RedisWorkerOps }>;
  /** Its job process is gone and its job settled: put back what it parked, unregister the id. */
  close(id: string): Promise<void>;
}

interface Seat {
  readonly id: string;
  readonly ops: RedisWorkerOps;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
}

export interface ChildHostOptions {
  config: WorkerConfig;
  connection: Connection;
  keys: Keys;
  seats: JobProcessSeats;
  logger: Logger;
  hooks: AppHooks;
  onSample?: (s: UsageSample) => void;
  /** The job process main (default: dist/worker/job-process.js). */
  entry?: string;
  /** Where job events go; the job process sends only those the sink wants. */
  events?: JobEventSink;
  /** Where the job process writes its log lines (default 'stdout', inherited). */
  logTo?: JobProcessLogTo;
  /** Timestamps on the job process's text lines (default: its Logger's rule). */
  timestamps?: boolean;
  /** Receives the job process's log text when logTo is 'parent'. */
  logSink?: (text: string) => void;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ChildWorkerHost {
  /** The current job process, from its fork (registered or not yet). */
  private child: ChildProcess | undefined;
  /** The current job process once registered. */
  private seat: Seat | undefined;
  private stopping: 'graceful' | 'immediate' | undefined;
  private paused = false;
  private guard: JobGuard | undefined;
  private verdict: GuardVerdict | undefined;
  private killedForShutdown = false;
  /** This host sent TERM (a time limit): the job process's own report of it is not a stop. */
  private terminating = false;
  private sampler: NodeJS.Timeout | undefined;
  private shutdownTimer: NodeJS.Timeout | undefined;
  /** The job the job process reported starting (job:start), for a dead job process's job:failed. */
  private running: { event: JobStartEvent; at: number } | undefined;
  private readonly entry: string;
  private starting: Promise<void> | undefined;
  /** Seconds before the running job runs again should its job process die (its retry policy). */
  private crashRetry: number | undefined;
  /** Jobs its job processes settled or died holding (counted against --max-jobs). */
  private taken = 0;
  /** Why the job process gave up on Redis, as it said before exiting. */
  private outage: string | undefined;

  constructor(private readonly o: ChildHostOptions) {
    this.entry = o.entry ?? path.join(__dirname, '..', 'worker', 'job-process.js');
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The current job process's pid. */
  get pid(): number | undefined {
    return this.seat?.child.pid;
  }

  /** The current job process's worker id (undefined between job processes). */
  get workerId(): string | undefined {
    return this.seat?.id;
  }

  /** Fork the first job process and register it; resolves once it has been told to go. */
  start(): Promise<void> {
    this.starting ??= this.spawn();
    return this.starting;
  }

  /** After run(), or instead of it (a start that failed): nothing left running or registered. */
  async dispose(): Promise<void> {
    if (!this.starting) return;
    if (this.seat || this.child?.exitCode === null) this.stop('immediate');
    await this.starting.catch(() => undefined);
    if (this.seat) await this.run().catch(() => undefined);
  }

  /** Supervise job processes until stopped (or, with --once, until one drains the queues). */
  async run(): Promise<void> {
    for (let started = Date.now(); this.seat;) {
      const seat = this.seat;
      const exit = await seat.exited;
      const leftovers = this.stopLeftovers(seat.child.pid);
      if (exit.code === EXIT_REDIS_OUTAGE) {
        // Redis is gone (that is why it exited): recovery settles its id once Redis is back.
        this.seat = undefined;
        throw new RedisOutageError(this.outage ?? this.o.connection.outage(this.o.config.redisTimeout, new Error('Connection is closed')));
      }
      // An immediate stop (TERM, INT) while Redis is down does not wait for it: what the job
      // process held stays in its in-flight list, and recovery settles it once Redis is back.
      const skip = this.stopping === 'immediate' && (await this.o.connection.client().then((c) => c.status !== 'ready', () => true));
      const heldJob = skip ? false : await this.settleOrphan(seat, exit);
      if (!skip) await this.retried('unregister a job process', () => this.o.seats.close(seat.id)).catch(() => undefined);
      this.seat = undefined;
      if (heldJob) this.taken++;
      // Exit 0 with --once is a drained queue, unless it left a job (a job calling process.exit(0)).
      const limitReached = this.o.config.maxJobs > 0 && this.taken >= this.o.config.maxJobs;
      if (this.stopping || limitReached || (this.o.config.once && exit.code === 0 && !heldJob)) {
        await leftovers;
        break;
      }
      if (exit.code === EXIT_FENCED) {
        this.o.logger.notice(`*** Worker ${seat.id} was pruned as dead while frozen or cut off from Redis: it stopped; starting another`);
      } else if (exit.code !== 0 && exit.code !== EXIT_RECYCLE) {
        this.o.logger.notice(`*** A child worker died: ${seat.child.pid ?? '?'} (${exit.signal ?? `exit code ${exit.code}`}); starting another`);
        // Died young without a job: a broken set-up, so do not spin. A job that killed it is no reason to wait.
        if (!heldJob && Date.now() - started < 1000) await sleep(1000);
      }
      if (this.stopping) {
        await leftovers;
        break;
      }
      started = Date.now();
      await this.spawn();
    }
    if (this.shutdownTimer) clearTimeout(this.shutdownTimer);
  }

  /** The processes the jobs of job process `pid` left in its process group are stopped (unless --keep-job-children). */
  private async stopLeftovers(pid: number | undefined): Promise<void> {
    if (pid === undefined || this.o.config.keepJobChildren) return;
    if (await stopGroup(pid, this.o.config.killGrace * 1000)) {
      this.o.logger.notice(`Stopped the processes jobs of job process ${pid} left running (its process group: TERM, then KILL after ${this.o.config.killGrace} s)`);
    }
  }

  stop(mode: 'graceful' | 'immediate'): void {
    if (this.stopping !== 'immediate') this.stopping = mode;
    if (mode === 'immediate') return this.kill('SIGKILL');
    this.send({ type: 'stop' });
    const limit = this.o.config.shutdownTimeout;
    if (limit > 0 && !this.shutdownTimer) {
      this.shutdownTimer = setTimeout(() => {
        this.killedForShutdown = true;
        this.terminate();
      }, limit * 1000);
      this.shutdownTimer.unref();
    }
  }

  pause(): void {
    this.paused = true;
    this.send({ type: 'pause' });
  }

  resume(): void {
    this.paused = false;
    this.send({ type: 'resume' });
  }

  /** USR1: kill the job process (its job fails as a dirty exit); a new one takes over. */
  killCurrent(): void {
    this.kill('SIGKILL');
  }

  /** The listeners changed: tell the job process which events to send. */
  eventsChanged(): void {
    this.send({ type: 'events', names: this.wantedNames() });
  }

  /** What the job process should send: what the sink wants, plus job:start when job:failed is wanted (its duration). */
  private wantedNames(): JobEventName[] {
    const sink = this.o.events;
    if (!sink) return [];
    const names = JOB_EVENT_NAMES.filter((n) => sink.wants(n));
    if (names.includes('job:failed') && !names.includes('job:start')) names.push('job:start');
    return names;
  }

  /** Fork a job process and register it (retried up to --redis-timeout); then it may go. */
  private async spawn(): Promise<void> {
    const settings: JobProcessSettings = {
      // --max-jobs: what is left of the limit (the job process stops there).
      config: this.o.config.maxJobs > 0 ? { ...this.o.config, maxJobs: Math.max(1, this.o.config.maxJobs - this.taken) } : this.o.config,
      logTo: this.o.logTo ?? 'stdout',
      ...(this.o.timestamps !== undefined ? { timestamps: this.o.timestamps } : {}),
    };
    const child = fork(this.entry, [], {
      env: { ...process.env, [WORKER_CHILD_ENV]: JSON.stringify(settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced', // results with BigInt cross as they are
      execArgv: loopProcessFlags(),
      // A process group of its own: what its jobs start is stopped with it (src/engine/process-group.ts).
      detached: !this.o.config.keepJobChildren,
    });
    child.once('error', () => undefined);
    this.child = child;
    this.verdict = undefined;
    this.terminating = false;
    this.running = undefined;
    child.on('message', (m: FromJobProcess) => this.onMessage(child, m));
    this.startSampler(child);
    const exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.guard?.stop();
        this.guard = undefined;
        if (this.sampler) clearInterval(this.sampler);
        // Messages it sent before dying are read before the channel closes: handle them first.
        afterChannelClosed(child, () => resolve({ code, signal }));
      });
    });
    if (child.pid === undefined) {
      const exit = await exited;
      throw new Error(`Could not start a job process (${exit.signal ?? `exit code ${exit.code}`})`);
    }
    const pid = child.pid;
    const at = Date.now(); // no later than the heartbeat registering it
    let opened: { id: string; ops: RedisWorkerOps };
    try {
      opened = await this.retried('register a job process', () => this.o.seats.open(pid));
    } catch (e) {
      child.kill('SIGKILL');
      await exited;
      throw new RedisOutageError(this.o.connection.outage(this.o.config.redisTimeout, e));
    }
    this.seat = { id: opened.id, ops: opened.ops, child, exited };
    this.send({ type: 'go', id: opened.id, at });
  }

  /** Replace the job process after its current job (`resque restart`: a fresh one loads the new code). */
  recycle(): void {
    this.send({ type: 'recycle' });
  }

  /** A heartbeat sent at `sentAt` for job process `id`: written (its lease) or refused (it is fenced). */
  beaten(id: string, sentAt: number, written: boolean): void {
    if (this.seat?.id !== id) return;
    this.send(written ? { type: 'lease', at: sentAt } : { type: 'fenced' });
  }

  /** Run `step` until it succeeds, with backoff, for at most --redis-timeout (0: once). */
  private async retried<T>(what: string, step: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.o.config.redisTimeout * 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        return await step();
      } catch (e) {
        if (Date.now() >= deadline || this.stopping === 'immediate') throw e;
        this.o.logger.warning(`Could not ${what} yet: ${this.o.connection.explain(e)}`);
        await sleep(backoffBefore(deadline, attempt, HOST_RETRY));
      }
    }
  }

  private onMessage(child: ChildProcess, m: FromJobProcess): void {
    const pid = child.pid;
    if (m.type === 'ready') {
      const names = this.wantedNames();
      if (names.length > 0) this.send({ type: 'events', names });
      if (this.stopping) this.send({ type: 'stop' });
      else if (this.paused) this.send({ type: 'pause' });
      return;
    }
    if (m.type === 'events') return this.relay(m.list);
    if (m.type === 'taken') {
      this.taken++;
      return;
    }
    if (m.type === 'log') return this.o.logSink?.(m.text);
    if (m.type === 'signal') return this.onSignal(child, m.name);
    if (m.type === 'outage') {
      this.outage = m.message;
      return;
    }
    if (m.type === 'job-start' && pid !== undefined) {
      this.guard?.stop();
      this.guard = undefined;
      this.crashRetry = m.retry;
      if (m.timeout > 0) {
        this.guard = new JobGuard(pid, { timeoutSec: m.timeout, hardMemoryMb: 0, sampleMs: 0 }, () => {
          this.verdict = this.guard?.verdict;
          this.terminate();
        });
      }
    } else if (m.type === 'job-end') {
      this.guard?.stop();
      this.guard = undefined;
      this.crashRetry = undefined;
    }
  }

  /** A control signal the job process was sent: the same for this worker as sent to us. */
  private onSignal(child: ChildProcess, name: ControlSignal): void {
    if (child !== this.child) return; // an older job process's last words
    const { logger } = this.o;
    if (name === 'SIGQUIT') { logger.notice(`QUIT received by ${child.pid}; shutting down after the current job`); this.stop('graceful'); }
    else if (name === 'SIGTERM') {
      if (this.terminating) return; // our own TERM (a time limit)
      logger.notice(`TERM received by ${child.pid}; shutting down now`);
      this.stop(this.o.config.gracefulTerm ? 'graceful' : 'immediate');
    } else if (name === 'SIGINT') { logger.notice(`INT received by ${child.pid}; shutting down now`); this.stop('immediate'); }
    else if (name === 'SIGUSR1') { logger.notice(`USR1 received by ${child.pid}; killing the current job`); this.killCurrent(); }
    else if (name === 'SIGUSR2') { logger.notice(`USR2 received by ${child.pid}; pausing job processing`); this.pause(); }
    else { logger.notice(`CONT received by ${child.pid}; resuming job processing`); this.resume(); }
  }

  /** Pass the job process's events on (job:start only when wanted: it may be asked for durations). */
  private relay(list: readonly JobEventRecord[]): void {
    const sink = this.o.events;
    for (const packed of list) {
      for (const r of expandRecord(packed)) {
        if (r.name === 'job:start') this.running = { event: r.event, at: performance.now() };
        else if (isSettled(r)) this.running = undefined;
        if (sink?.wants(r.name)) sink.emit(r);
      }
    }
  }

  private startSampler(child: ChildProcess): void {
    const { hardChildMemory, maxChildMemory } = this.o.config;
    let recycling = false;
    this.sampler = setInterval(() => {
      if (child.pid === undefined || child.exitCode !== null) return;
      pidusage(child.pid).then((stat) => {
        const s: UsageSample = { pid: child.pid as number, rssMb: stat.memory / 1048576, cpu: stat.cpu, at: Date.now() };
        this.o.onSample?.(s);
        if (hardChildMemory > 0 && s.rssMb > hardChildMemory && !this.verdict) {
          this.verdict = { kind: 'memory', rssMb: s.rssMb, limitMb: hardChildMemory };
          this.kill('SIGKILL');
        } else if (maxChildMemory > 0 && s.rssMb > maxChildMemory && !recycling) {
          recycling = true; // finish the current job, then a fresh process takes over
          this.send({ type: 'recycle' });
        }
      }, () => undefined);
    }, 1000);
    this.sampler.unref();
  }

  /** TERM now, KILL after the grace period. */
  private terminate(): void {
    this.terminating = true;
    this.kill('SIGTERM');
    const child = this.child;
    setTimeout(() => { if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, this.o.config.killGrace * 1000).unref();
  }

  private kill(signal: NodeJS.Signals): void {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill(signal);
  }

  private send(m: ToJobProcess): void {
    const c = this.child;
    if (c?.connected) c.send(m, undefined, undefined, () => undefined);
  }

  /** A job process that left a job behind (worker:ID still set): settle it here. Resolves whether it held one. */
  private async settleOrphan(seat: Seat, exit: Exit): Promise<boolean> {
    const { connection, keys, logger } = this.o;
    const { id: workerId, ops } = seat;
    const pid = seat.child.pid;
    const deadline = Date.now() + this.o.config.redisTimeout * 1000;
    const crashRetry = this.crashRetry;
    this.crashRetry = undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        const redis = await connection.client();
        const working = await redis.get(keys.worker(workerId));
        if (!working) {
          removeCursor(cursorPath(keys.ns, workerId)); // it held nothing: its cursor says nothing
          return false;
        }
        const queue = String((JSON.parse(working) as { queue?: unknown }).queue ?? '');
        // A batch's finished jobs are popped (counted) first; a head that never started goes
        // back to its queue when the seat closes, with the rest of what it parked.
        const state = await settleCursor(redis, keys, workerId, queue);
        const bytes = state === 'not-started' ? null : await redis.lindexBuffer(keys.inflight(workerId, queue), 0);
        if (!bytes) {
          await redis.del(keys.worker(workerId));
          removeCursor(cursorPath(keys.ns, workerId));
          return true;
        }
        const reserved = toReserved({ queue, raw: bytes.toString('utf8'), bytes }, pid);
        if (this.running) reserved.ranMs = performance.now() - this.running.at;
        const error = normalizeError(this.cause(exit));
        // Attempts left (the job's policy, told at its start): the same job runs again.
        const attempt = reserved.job ? attemptOf(reserved.job.fields) : 1;
        const retry = crashRetry !== undefined && reserved.job ? { retry: { delay: crashRetry, attempt: attempt + 1 } } : {};
        const settlement = settlementFor({ kind: this.deathKind(), error, ...retry }, { requeueOrphans: this.o.config.requeueOrphans });
        if (settlement.kind === 'failed') await Promise.resolve(this.o.hooks.onFailure?.(error, jobInfo(reserved))).catch(() => undefined);
        await ops.finish(reserved, settlement);
        removeCursor(cursorPath(keys.ns, workerId));
        const retrying = settlement.kind === 'retry' ? `; attempt ${attempt + 1} in ${crashRetry} s` : '';
        logger.jobLine({ id: reserved.job?.id, className: reserved.job?.className ?? '(invalid payload)', queue, attempt, pid, seconds: 0, outcome: retrying ? 'Retrying' : 'Failed', error: `${error.name}: ${error.message}${retrying}` });
        this.reportOrphan(seat, reserved, error);
        return true;
      } catch (e) {
        logger.warning(`Could not settle the job of a dead job process yet: ${connection.explain(e)}`);
        // Left in the in-flight list (if it held anything): recovery settles it once Redis is back.
        // An immediate stop (TERM, INT) does not wait for Redis.
        if (Date.now() >= deadline || this.stopping === 'immediate') return true;
        await sleep(backoffBefore(deadline, attempt, HOST_RETRY));
      }
    }
  }

  /** job:failed for the job a dead job process held, settled here. */
  private reportOrphan(seat: Seat, reserved: ReturnType<typeof toReserved>, error: ReturnType<typeof normalizeError>): void {
    const sink = this.o.events;
    const started = this.running;
    this.running = undefined;
    if (!sink?.wants('job:failed')) return;
    const durationMs = started ? performance.now() - started.at : 0;
    sink.emit({ name: 'job:failed', event: { ...jobEventOf(seat.id, reserved, seat.child.pid), error, durationMs } });
  }

  /** How the job process died, for the settlement policy. */
  private deathKind(): 'crashed' | 'timed-out' | 'memory-killed' | 'shutdown-killed' {
    if (this.killedForShutdown) return 'shutdown-killed';
    if (this.verdict?.kind === 'timeout') return 'timed-out';
    if (this.verdict?.kind === 'memory') return 'memory-killed';
    return 'crashed';
  }

  private cause(exit: Exit): Error {
    const v = this.verdict;
    if (v?.kind === 'timeout') return new JobTimeoutError(v.seconds);
    if (v?.kind === 'memory') return new JobMemoryError(v.rssMb, v.limitMb);
    return new DirtyExitError(exit.code, exit.signal, exit.code === 0 && exit.signal === null ? 'the job process exited before finishing its job' : undefined);
  }
}
