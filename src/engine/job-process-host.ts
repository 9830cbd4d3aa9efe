/**
 * The worker process in the default mode: it supervises one job process that runs the loop
 * itself (src/worker/job-process.ts) and never runs job code.
 *   1. forks the job process under this worker's id; replaces it when it exits after its
 *      `jobsPerChild` share (exit 0) or dies (after 1 s if it died within 1 s of starting);
 *   2. a job process that dies holding a job (worker:ID still set) fails that job: DirtyExitError
 *      with the exit code or signal, JobTimeoutError / JobMemoryError when we killed it for a
 *      limit, or — shutdown timeout with --requeue-orphans — puts it back at the head of its queue;
 *   3. enforces limits: time (TERM, then KILL after the grace) from the job start the job process
 *      reports; memory by sampling its RSS (hard cap: KILL; soft limit: recycle after the job);
 *   4. control: stop (graceful: the job process finishes its job; immediate: KILL), USR1 (KILL the
 *      job process, go on), pause/resume (forwarded);
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
  EXIT_RECYCLE, EXIT_REDIS_OUTAGE, WORKER_CHILD_ENV,
  type FromJobProcess, type JobProcessLogTo, type JobProcessSettings, type ToJobProcess,
} from './job-process-protocol';
import {
  JOB_EVENT_NAMES, expandRecord, isSettled, jobEventOf, type JobEventName, type JobEventRecord, type JobEventSink, type JobStartEvent,
} from './job-events';
import { RedisOutageError, toReserved } from '../loop/loop';
import type { RedisWorkerOps } from './redis-ops';
import { sleep } from '../time';
import { settlementFor } from '../settlement';
import { backoffMs } from '../backoff';
import { jobInfo, setTitle } from './assemble';
import { settleCursor } from '../store/recovery';
import { cursorPath, removeCursor } from '../store/batch-cursor';
import { processing, waitingFor } from '../proctitle';

export interface ChildHostOptions {
  config: WorkerConfig;
  workerId: string;
  connection: Connection;
  keys: Keys;
  ops: RedisWorkerOps;
  logger: Logger;
  hooks: AppHooks;
  onSample?: (s: UsageSample) => void;
  /** The job process main (default: dist/worker/job-process.js). */
  entry?: string;
  /** Set this process's title on busy/idle (default true). */
  titles?: boolean;
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
  private child: ChildProcess | undefined;
  private stopping: 'graceful' | 'immediate' | undefined;
  private paused = false;
  private guard: JobGuard | undefined;
  private verdict: GuardVerdict | undefined;
  private killedForShutdown = false;
  private sampler: NodeJS.Timeout | undefined;
  private shutdownTimer: NodeJS.Timeout | undefined;
  /** The job the job process reported starting (job:start), for a dead job process's job:failed. */
  private running: { event: JobStartEvent; at: number } | undefined;
  private readonly entry: string;

  constructor(private readonly o: ChildHostOptions) {
    this.entry = o.entry ?? path.join(__dirname, '..', 'worker', 'job-process.js');
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Supervise job processes until stopped (or, with --once, until one drains the queues). */
  async run(): Promise<void> {
    while (!this.stopping) {
      const started = Date.now();
      const exit = await this.runOne();
      await this.settleOrphan(exit);
      if (exit.code === EXIT_REDIS_OUTAGE) throw new RedisOutageError(`Redis unreachable for more than ${this.o.config.redisTimeout} s`);
      if (this.stopping || (this.o.config.once && exit.code === 0)) break;
      if (exit.code !== 0 && exit.code !== EXIT_RECYCLE) {
        this.o.logger.notice(`*** Job process ${this.child?.pid ?? '?'} died (${exit.signal ?? `exit code ${exit.code}`}); starting another`);
        if (Date.now() - started < 1000) await sleep(1000);
      }
    }
    if (this.shutdownTimer) clearTimeout(this.shutdownTimer);
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

  private runOne(): Promise<Exit> {
    const settings: JobProcessSettings = {
      config: this.o.config, workerId: this.o.workerId, logTo: this.o.logTo ?? 'stdout',
      ...(this.o.timestamps !== undefined ? { timestamps: this.o.timestamps } : {}),
    };
    const child = fork(this.entry, [], {
      env: { ...process.env, [WORKER_CHILD_ENV]: JSON.stringify(settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced', // results with BigInt cross as they are
      execArgv: [],
    });
    child.once('error', () => undefined);
    this.child = child;
    this.verdict = undefined;
    this.running = undefined;
    child.on('message', (m: FromJobProcess) => this.onMessage(m));
    this.startSampler(child);
    return new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.guard?.stop();
        this.guard = undefined;
        if (this.sampler) clearInterval(this.sampler);
        // Messages it sent before dying are read before the channel closes: handle them first.
        afterDisconnect(child, () => resolve({ code, signal }));
      });
    });
  }

  private onMessage(m: FromJobProcess): void {
    const pid = this.child?.pid;
    if (m.type === 'ready') {
      const names = this.wantedNames();
      if (names.length > 0) this.send({ type: 'events', names });
      if (this.stopping) this.send({ type: 'stop' });
      else if (this.paused) this.send({ type: 'pause' });
      return;
    }
    if (m.type === 'events') return this.relay(m.list);
    if (m.type === 'log') return this.o.logSink?.(m.text);
    if (m.type === 'state') {
      if (this.o.titles ?? true) setTitle(m.busy ? processing(m.queue ?? '?', new Date(), m.className ?? '?') : waitingFor(this.o.config.queues));
      return;
    }
    if (m.type === 'job-start' && pid !== undefined) {
      this.guard?.stop();
      this.guard = new JobGuard(pid, { timeoutSec: m.timeout, hardMemoryMb: 0, sampleMs: 0 }, () => {
        this.verdict = this.guard?.verdict;
        this.terminate();
      });
    } else if (m.type === 'job-end') {
      this.guard?.stop();
      this.guard = undefined;
    }
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

  /** A job process that left a job behind (worker:ID still set): settle it here. */
  private async settleOrphan(exit: Exit): Promise<void> {
    const { connection, keys, workerId, ops, logger } = this.o;
    // Redis is gone (that is why it exited): recovery settles the job once it is back.
    if (exit.code === EXIT_REDIS_OUTAGE) return;
    const deadline = Date.now() + this.o.config.redisTimeout * 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        const redis = await connection.client();
        const working = await redis.get(keys.worker(workerId));
        if (!working) {
          removeCursor(cursorPath(keys.ns, workerId)); // it held nothing: its cursor says nothing
          return;
        }
        const queue = String((JSON.parse(working) as { queue?: unknown }).queue ?? '');
        // A batch's finished jobs are popped (counted) first; a head that never started stays
        // parked for the next job process.
        const state = await settleCursor(redis, keys, workerId, queue);
        const bytes = state === 'not-started' ? null : await redis.lindexBuffer(keys.inflight(workerId, queue), 0);
        if (!bytes) {
          await redis.del(keys.worker(workerId));
          removeCursor(cursorPath(keys.ns, workerId));
          return;
        }
        const reserved = toReserved({ queue, raw: bytes.toString('utf8'), bytes }, this.child?.pid);
        const error = normalizeError(this.cause(exit));
        const settlement = settlementFor({ kind: this.deathKind(), error }, { requeueOrphans: this.o.config.requeueOrphans });
        if (settlement.kind === 'failed') await Promise.resolve(this.o.hooks.onFailure?.(error, jobInfo(reserved))).catch(() => undefined);
        await ops.finish(reserved, settlement);
        removeCursor(cursorPath(keys.ns, workerId));
        logger.jobLine({ id: reserved.job?.id, className: reserved.job?.className ?? '(invalid payload)', queue, attempt: 1, pid: this.child?.pid, seconds: 0, outcome: 'Failed', error: `${error.name}: ${error.message}` });
        this.reportOrphan(reserved, error);
        return;
      } catch (e) {
        logger.warning(`Could not settle the job of a dead job process yet: ${(e as Error).message}`);
        if (Date.now() > deadline) return; // left in the in-flight list: recovery settles it later
        await sleep(backoffMs(attempt, { baseMs: 100, maxMs: 2000 }));
      }
    }
  }

  /** job:failed for the job a dead job process held, settled here. */
  private reportOrphan(reserved: ReturnType<typeof toReserved>, error: ReturnType<typeof normalizeError>): void {
    const sink = this.o.events;
    const started = this.running;
    this.running = undefined;
    if (!sink?.wants('job:failed')) return;
    const durationMs = started ? performance.now() - started.at : 0;
    sink.emit({ name: 'job:failed', event: { ...jobEventOf(this.o.workerId, reserved, this.child?.pid), error, durationMs } });
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

/** Run `then` once the child's IPC channel is closed (every message it sent has been read); at most 1 s after its exit. */
function afterDisconnect(child: ChildProcess, then: () => void): void {
  if (!child.connected) return then();
  let done = false;
  const once = (): void => { if (!done) { done = true; clearTimeout(t); then(); } };
  const t = setTimeout(once, 1000);
  child.once('disconnect', once);
}
