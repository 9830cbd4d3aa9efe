/**
 * `new Worker(options)`: a Resque worker started from code, as node-resque's and BullMQ's are.
 * It is what `resque start` runs (the CLI adds the signals); see src/worker/runtime.ts for the
 * worker itself.
 *   1. The constructor never throws and touches nothing: the options are resolved at once, and
 *      a bad one makes start() reject with an OptionError naming it.
 *   2. start() checks the jobs folder, connects, recovers, registers and starts the engine, then
 *      resolves; it rejects with the reason when any of that fails (RedisConnectionError, OptionError,
 *      the app module's error), leaving nothing open.
 *   3. stop({ graceful = true }) resolves once the worker has unregistered: graceful lets the
 *      current job finish (QUIT), immediate kills its process (TERM: the job fails as DirtyExitError).
 *      pause(), resume() and killCurrentJob() are USR2, CONT and USR1.
 *   4. Typed events (WorkerEventMap): job:start, job:done, job:failed, job:skipped, idle, error,
 *      stopped. An engine builds an event only while someone listens to it, and the default
 *      engine's job process sends only those, so a worker without listeners costs nothing extra.
 *      `error` without a listener does not throw (errors are transient and retried, or end the
 *      worker: see `stopped`); a throwing listener is reported to `error` listeners.
 * No signal handler, no process.exit, nothing left running after stop(): the host app owns its process.
 */
import { EventEmitter } from 'node:events';
import { OptionError } from '../errors';
import type { JobEventName, JobEventRecord, JobEventSink } from '../engine/job-events';
import { workerId } from '../store/workers';
import { checkJobsFolder } from './jobs-folder';
import { resolveWorkerOptions, type InternalWorkerOptions, type ResolvedWorker, type WorkerOptions } from './options';
import { WorkerRuntime, type WorkerStopReport } from './runtime';
import { emitRecord, emitSafely, type WorkerEventMap } from './events';

export type { WorkerEventMap } from './events';

export interface StopOptions {
  /** true (default): the current job finishes first (QUIT). false: its process is killed and the job fails as DirtyExitError (TERM). */
  readonly graceful?: boolean;
}

/** `new` → `starting` → `running` → `stopping` → `stopped` (a failed start goes to `stopped`). */
export type WorkerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Worker extends EventEmitter<WorkerEventMap> {
  readonly #plan: ResolvedWorker | OptionError;
  readonly #runtime: WorkerRuntime | undefined;
  readonly #id: string;
  #state: WorkerState = 'new';
  #starting: Promise<void> | undefined;
  #stopped: Promise<WorkerStopReport> | undefined;
  #changeQueued = false;

  constructor(options: WorkerOptions) {
    super();
    this.#plan = plan(options);
    this.#id = this.#plan instanceof OptionError ? idOf(options) : '';
    if (!(this.#plan instanceof OptionError)) this.#runtime = this.#makeRuntime(this.#plan);
    const untyped = this as unknown as EventEmitter;
    untyped.on('newListener', () => this.#listenersChanged());
    untyped.on('removeListener', () => this.#listenersChanged());
  }

  /**
   * The id this worker is registered under: `host:pid:queues`, as php-resque names workers. With
   * job processes (the default) the pid is the job process's: '' before start(), and a new id
   * each time a job process is replaced; in-process and strict, this process's pid.
   */
  get id(): string {
    return this.#runtime ? this.#runtime.id : this.#id;
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** Resolves once the worker is registered and taking jobs; rejects with the reason it cannot. Calling it again returns the same promise. */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Resolves once the worker has unregistered (at once when it never started). */
  async stop({ graceful = true }: StopOptions = {}): Promise<void> {
    if (this.#state === 'new') {
      this.#state = 'stopped';
      this.#stopped ??= Promise.resolve({ reason: 'stopped' });
      this.#runtime?.abandon({ reason: 'stopped' });
      return;
    }
    if (this.#state === 'starting' || this.#state === 'running') this.#state = 'stopping';
    await this.#runtime?.stop(graceful ? 'graceful' : 'immediate');
    await this.#starting?.catch(() => undefined);
    await this.waitUntilStopped();
  }

  /** Take no more jobs (the running one finishes); USR2. */
  pause(): void {
    this.#runtime?.pause();
  }

  /** Take jobs again after pause(); CONT. */
  resume(): void {
    this.#runtime?.resume();
  }

  /** Kill the process running the current job (it fails as DirtyExitError) and go on; USR1. No effect in-process. */
  killCurrentJob(): void {
    this.#runtime?.killCurrent();
  }

  /** Resolves with how the worker ended, once it has (never rejects). */
  waitUntilStopped(): Promise<WorkerStopReport> {
    this.#stopped ??= this.#runtime ? this.#runtime.finished : Promise.resolve({ reason: 'error', error: this.#plan as OptionError });
    return this.#stopped;
  }

  async #start(): Promise<void> {
    const p = this.#plan;
    const runtime = this.#runtime;
    if (p instanceof OptionError || !runtime) throw p;
    if (this.#state === 'stopped') throw new OptionError('This Worker was stopped; create a new Worker to start again.');
    this.#state = 'starting';
    try {
      this.#checkFolder(p);
      await runtime.start();
    } catch (e) {
      this.#state = 'stopped';
      runtime.abandon({ reason: 'error', error: asError(e) });
      throw e;
    }
    if (this.#state === 'starting') this.#state = 'running';
    void runtime.finished.then((report) => this.#ended(report));
  }

  /** The jobs folder at start: an error rejects, a warning is logged. */
  #checkFolder(p: ResolvedWorker): void {
    if (!p.folder) return;
    const verdict = checkJobsFolder(p.folder.subject, p.folder.origin);
    if (verdict.level === 'error') {
      p.log.logger.error(verdict.message);
      throw new OptionError(verdict.message);
    }
    if (verdict.level === 'warning') p.log.logger.warning(verdict.message);
  }

  #ended(report: WorkerStopReport): void {
    this.#state = 'stopped';
    if (report.error && this.listenerCount('error') > 0) this.#safeEmit('error', report.error);
    this.#safeEmit('stopped', report);
  }

  #makeRuntime(p: ResolvedWorker): WorkerRuntime {
    const sink: JobEventSink = {
      wants: (name: JobEventName) => this.listenerCount(name) > 0,
      emit: (record: JobEventRecord) => this.#dispatch(record),
    };
    return new WorkerRuntime({
      config: p.config, logger: p.log.logger, jobs: p.jobs, events: sink, titles: p.processTitle, logTo: p.log.logTo, logSink: p.log.sink,
    });
  }

  /** A listener was added or removed: the engine learns which events to build (once per turn). */
  #listenersChanged(): void {
    if (this.#changeQueued) return;
    this.#changeQueued = true;
    queueMicrotask(() => {
      this.#changeQueued = false;
      this.#runtime?.eventsChanged();
    });
  }

  #dispatch(record: JobEventRecord): void {
    emitRecord(this, this.#warn, record);
  }

  #safeEmit<K extends keyof WorkerEventMap>(name: K, ...args: WorkerEventMap[K]): void {
    emitSafely(this, this.#warn, name, ...args);
  }

  readonly #warn = (msg: string): void => {
    if (!(this.#plan instanceof OptionError)) this.#plan.log.logger.warning(msg);
  };
}

function plan(options: WorkerOptions): ResolvedWorker | OptionError {
  try {
    return resolveWorkerOptions(options as InternalWorkerOptions);
  } catch (e) {
    if (e instanceof OptionError) return e;
    throw e;
  }
}

/** The id of options that did not resolve, as far as it can be told. */
function idOf(options: WorkerOptions): string {
  const q: unknown = (options as Partial<WorkerOptions> | null)?.queues;
  return Array.isArray(q) && q.every((x) => typeof x === 'string') ? workerId(q as string[]) : '';
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
