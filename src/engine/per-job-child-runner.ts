/**
 * ChildRunner, the worker's side of the job processes (php-resque's fork per job, made cheaper):
 *   1. Jobs run one at a time in a forked dist/worker/per-job-child.js. A child serves `jobsPerChild`
 *      jobs, then is asked to exit and replaced (1 = a fresh process per job, like php-resque).
 *   2. When the job just handed out is a child's last, the next child is forked at once, so
 *      with jobsPerChild=1 the next job finds a process that has already booted.
 *   3. A child that exits during a job (non-zero, by signal, or even 0 without replying) gives
 *      'crashed' with a normalised DirtyExitError; the next run() forks a fresh child.
 *   4. A child that sends no 'ready' within readyTimeoutMs (30 s) is killed and counts as
 *      crashed; an idle child that exits is simply forgotten.
 *   5. kill(signal) ends the running job's child, escalating to SIGKILL after killGraceMs;
 *      close() asks idle children to exit, then TERMs, then KILLs, and resolves when none is left.
 */
import { fork } from 'node:child_process';
import { titleRoomFlag } from '../title-room';
import type { RetryDefaults } from '../job/retry';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DirtyExitError, JobMemoryError, JobTimeoutError, OptionError, normalizeError } from '../errors';
import { JobGuard, forgetUsage, type GuardVerdict, type UsageSample } from './guard';
import type { NormalizedError } from '../errors';
import { isFromChild } from './per-job-child-protocol';
import type { FromChild, ToChild } from './per-job-child-protocol';
import type { ExecOutcome } from '../loop/loop';
import { stopGroup } from './process-group';

export interface ChildRunnerOptions {
  /** Leave running what a job started after its child exits (default: the child's process group is stopped). */
  keepJobChildren?: boolean;
  /** Folder holding job files (made absolute). */
  jobsDir: string;
  /** The worker's retry defaults, for the child's decision (--tries, --retry-delay). */
  retry?: RetryDefaults;
  /** App module (APP_INCLUDE) loaded by every child before its first job. */
  app?: string;
  /** Jobs a child runs before it is replaced; a positive integer. */
  jobsPerChild: number;
  /** Milliseconds between the polite request and TERM, and between TERM and KILL (default 5000). */
  killGraceMs?: number;
  /** Milliseconds a new child has to report 'ready' (default 30000). */
  readyTimeoutMs?: number;
  /** Extra environment for children, laid over process.env. */
  env?: NodeJS.ProcessEnv;
  /** The per-job child main (default: dist/worker/per-job-child.js). */
  entry?: string;
  /** Default per-job time limit in seconds (0 = none); a job class's `static timeout` overrides it. */
  timeoutSec?: number;
  /** Kill a job whose child's RSS passes this many MB (0 = no cap). */
  hardMemoryMb?: number;
  /** Replace a child after its job when its RSS passed this many MB (0 = never). */
  maxMemoryMb?: number;
  /** Milliseconds between RSS/CPU samples of a running child (default 1000; 0 = off). */
  sampleMs?: number;
  /** Receives every sample of a running child (the operator's view of the worker). */
  onSample?: (s: UsageSample) => void;
  /** Log level debug: a child's unknown-class error lists every candidate tried. */
  debug?: boolean;
}

/** What the runner reports of a job: the loop's ExecOutcome (one outcome type, next to Executor). */
type Outcome = ExecOutcome;

interface ExitInfo {
  code: number | null;
  signal: string | null;
}

type Reply = Exclude<Extract<FromChild, { seq: number }>, { type: 'meta' }>;

/** One forked child process and what we know about it. */
class Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly ready: Promise<boolean>;
  readonly closed: Promise<ExitInfo>;
  jobs = 0;
  running = false;
  fatal: NormalizedError | undefined;
  startTimedOut = false;
  /** Why the guard stopped this child's job, if it did. */
  verdict: GuardVerdict | undefined;
  /** Grew past the soft memory limit: retire after the current job. */
  recycle = false;
  onMeta: (timeout: number | null) => void = () => undefined;
  /** The running job's retry delay should this child die running it (its policy, told in 'meta'). */
  crashRetry: number | undefined;
  exit: ExitInfo | undefined;
  private waiting: { seq: number; resolve: (r: Reply) => void } | undefined;
  private markReady: () => void = () => undefined;
  private stopping = false;
  private readonly timers: NodeJS.Timeout[] = [];

  /** `groupGraceMs`: run in a process group of its own, whose leftovers are stopped once it exits (src/engine/process-group.ts). */
  constructor(entry: string, env: NodeJS.ProcessEnv, readyTimeoutMs: number, groupGraceMs?: number) {
    this.proc = fork(entry, [], { serialization: 'advanced', env, execArgv: [titleRoomFlag()], detached: groupGraceMs !== undefined });
    const pgid = this.proc.pid;
    if (groupGraceMs !== undefined && pgid !== undefined) this.proc.once('exit', () => { void stopGroup(pgid, groupGraceMs); });
    this.pid = this.proc.pid ?? -1;
    let finish: (e: ExitInfo) => void = () => undefined;
    this.closed = new Promise((resolve) => (finish = resolve));
    const onExit = (code: number | null, signal: string | null): void => {
      if (this.exit) return;
      this.exit = { code, signal };
      for (const t of this.timers) clearTimeout(t);
      finish(this.exit);
    };
    // 'close' comes after the IPC channel is drained, so a reply sent before dying is not lost.
    this.proc.once('close', onExit);
    // A failed spawn may never 'close'; other errors (kill, send) are followed by an exit anyway.
    this.proc.on('error', () => {
      if (this.proc.pid === undefined) onExit(null, null);
    });
    this.proc.on('message', (m: unknown) => this.onMessage(m));
    this.ready = new Promise<boolean>((resolve) => {
      this.markReady = () => resolve(true);
      void this.closed.then(() => resolve(false));
    });
    const startTimer = setTimeout(() => {
      this.startTimedOut = true;
      this.signal('SIGKILL');
    }, readyTimeoutMs);
    void this.ready.then(() => clearTimeout(startTimer));
  }

  get alive(): boolean {
    return this.exit === undefined && this.proc.connected && !this.stopping;
  }

  /** Hand over one job; resolves with the reply, or with the exit if the child dies first. */
  perform(seq: number, queue: string, raw: string): Promise<Reply | ExitInfo> {
    const reply = new Promise<Reply>((resolve) => (this.waiting = { seq, resolve }));
    this.running = true;
    this.crashRetry = undefined;
    this.jobs += 1;
    this.send({ type: 'run', seq, queue, raw });
    return Promise.race([reply, this.closed]).finally(() => {
      this.running = false;
      this.waiting = undefined;
    });
  }

  /** Politely when idle (shutdown message), TERM when running; KILL after the grace period. */
  stop(graceMs: number): Promise<ExitInfo> {
    if (this.exit || this.stopping) return this.closed;
    this.stopping = true;
    if (this.running) this.terminate('SIGTERM', graceMs);
    else {
      this.send({ type: 'shutdown' });
      this.later(graceMs, () => this.terminate('SIGTERM', graceMs));
    }
    return this.closed;
  }

  terminate(signal: NodeJS.Signals, graceMs: number): void {
    this.signal(signal);
    if (signal !== 'SIGKILL') this.later(graceMs, () => this.signal('SIGKILL'));
  }

  private onMessage(m: unknown): void {
    if (!isFromChild(m)) return;
    switch (m.type) {
      case 'ready':
        this.markReady();
        return;
      case 'fatal':
        this.fatal = m.error;
        return;
      case 'meta':
        if (this.waiting?.seq !== m.seq) return;
        this.crashRetry = m.retry;
        this.onMeta(m.timeout);
        return;
      case 'done':
      case 'skipped':
      case 'failed':
      case 'released':
        if (this.waiting?.seq === m.seq) this.waiting.resolve(m);
        return;
    }
  }

  private send(msg: ToChild): void {
    // A send error means the channel is gone: the 'close' that follows settles everything.
    if (this.proc.connected) this.proc.send(msg, (err) => void err);
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.exit) return;
    try {
      this.proc.kill(sig);
    } catch {
      // already gone
    }
  }

  private later(ms: number, fn: () => void): void {
    if (!this.exit) this.timers.push(setTimeout(fn, ms));
  }
}

/** Runs jobs in child processes, one at a time (see the module comment). */
export class ChildRunner {
  private readonly jobsPerChild: number;
  private readonly killGraceMs: number;
  private readonly readyTimeoutMs: number;
  private readonly entry: string;
  private readonly env: NodeJS.ProcessEnv;
  private idle: Child | undefined;
  private active: Child | undefined;
  private readonly retiring = new Set<Child>();
  private readonly limits: { timeoutSec: number; hardMemoryMb: number; maxMemoryMb: number; sampleMs: number };
  private readonly onSample: ((s: UsageSample) => void) | undefined;
  private seq = 0;
  private closing = false;
  private readonly keepChildren: boolean;

  constructor(opts: ChildRunnerOptions) {
    this.jobsPerChild = checkNumber('jobsPerChild', opts.jobsPerChild, 1, true);
    this.killGraceMs = checkNumber('killGraceMs', opts.killGraceMs ?? 5000, 0, false);
    this.readyTimeoutMs = checkNumber('readyTimeoutMs', opts.readyTimeoutMs ?? 30000, 0, false);
    this.limits = {
      timeoutSec: checkNumber('timeoutSec', opts.timeoutSec ?? 0, 0, false),
      hardMemoryMb: checkNumber('hardMemoryMb', opts.hardMemoryMb ?? 0, 0, false),
      maxMemoryMb: checkNumber('maxMemoryMb', opts.maxMemoryMb ?? 0, 0, false),
      sampleMs: checkNumber('sampleMs', opts.sampleMs ?? 1000, 0, false),
    };
    this.onSample = opts.onSample;
    this.keepChildren = opts.keepJobChildren ?? false;
    if (typeof opts.jobsDir !== 'string' || opts.jobsDir === '') {
      throw new OptionError(`jobsDir must be a folder path, got ${JSON.stringify(opts.jobsDir)}`);
    }
    this.entry = opts.entry ?? path.join(__dirname, '..', 'worker', 'per-job-child.js');
    this.env = {
      ...process.env,
      ...opts.env,
      RESQUE_JOBS_DIR: path.resolve(opts.jobsDir),
      RESQUE_APP: opts.app ? path.resolve(opts.app) : '',
      RESQUE_LOOKUP_DEBUG: opts.debug ? '1' : '',
      RESQUE_RETRY: JSON.stringify(opts.retry ?? { tries: 1, retryDelay: 0 }),
    };
  }

  /** Pid of the child running the current job, if a job is running. */
  get currentPid(): number | undefined {
    return this.active?.pid;
  }

  /** Pid of the warm child that will run the next job, if one is waiting. */
  get nextPid(): number | undefined {
    return this.idle?.alive ? this.idle.pid : undefined;
  }

  /** Pids of every child process we still own (running, idle, starting or exiting). */
  get pids(): number[] {
    return [this.active, this.idle, ...this.retiring].filter((c): c is Child => c !== undefined && !c.exit).map((c) => c.pid);
  }

  /** Start a child now; rejects with a DirtyExitError if it dies before it is ready. */
  async warm(): Promise<void> {
    this.assertOpen();
    const child = this.takeIdle();
    this.idle = child;
    if (await child.ready) return;
    throw this.startFailure(child, await child.closed);
  }

  /** Run one job; `onStart` gets the child's pid once the job was handed over. Never rejects for job errors. */
  async run(queue: string, raw: string, onStart?: (pid: number) => void): Promise<Outcome> {
    this.assertOpen();
    if (this.active) throw new Error('ChildRunner.run: a job is already running (one job at a time)');
    const t0 = performance.now();
    const child = this.takeIdle();
    this.active = child;
    try {
      if (!(await child.ready)) return this.crashed(child, await child.closed, t0);
      const guard = this.guard(child);
      try {
        const pending = child.perform(++this.seq, queue, raw);
        if (child.jobs >= this.jobsPerChild && !this.closing) this.idle = this.spawn();
        notifyStart(onStart, child.pid);
        const r = await pending;
        if (!('type' in r)) return this.crashed(child, r, t0);
        if (this.limits.maxMemoryMb > 0) {
          const s = await guard.sample();
          if (s && s.rssMb > this.limits.maxMemoryMb) child.recycle = true;
        }
        this.release(child);
        return toOutcome(r, child.pid, performance.now() - t0);
      } finally {
        guard.stop();
      }
    } finally {
      this.active = undefined;
    }
  }

  private guard(child: Child): JobGuard {
    const { timeoutSec, hardMemoryMb, sampleMs } = this.limits;
    const guard = new JobGuard(child.pid, { timeoutSec, hardMemoryMb, sampleMs }, (sig) => {
      child.verdict = guard.verdict;
      child.terminate(sig, this.killGraceMs);
    }, this.onSample);
    child.onMeta = (timeout) => { if (timeout !== null) guard.setTimeout(timeout); };
    return guard;
  }

  /** Kill the child running the current job (default SIGKILL); run() then resolves 'crashed'. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.active?.terminate(signal, this.killGraceMs);
  }

  /** Stop every child (a running job is TERMed); resolves when no child is left. */
  async close(): Promise<void> {
    this.closing = true;
    const all = [this.active, this.idle, ...this.retiring].filter((c): c is Child => c !== undefined);
    await Promise.all(all.map((c) => c.stop(this.killGraceMs)));
    forgetUsage();
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('ChildRunner is closed');
  }

  private takeIdle(): Child {
    const child = this.idle?.alive ? this.idle : this.spawn();
    this.idle = undefined;
    return child;
  }

  private spawn(): Child {
    const child = new Child(this.entry, this.env, this.readyTimeoutMs, this.keepChildren ? undefined : this.killGraceMs);
    void child.closed.then(() => {
      if (this.idle === child) this.idle = undefined;
      this.retiring.delete(child);
    });
    return child;
  }

  /** After a reply: keep the child for the next job, or retire it. */
  private release(child: Child): void {
    if (child.jobs < this.jobsPerChild && !child.recycle && !this.closing && child.alive && !this.idle) {
      this.idle = child;
      return;
    }
    this.retiring.add(child);
    void child.stop(this.killGraceMs);
  }

  private crashed(child: Child, exit: ExitInfo, t0: number): Outcome {
    const v = child.verdict;
    const cause = v?.kind === 'timeout' ? new JobTimeoutError(v.seconds) : v?.kind === 'memory' ? new JobMemoryError(v.rssMb, v.limitMb) : this.startFailure(child, exit);
    const error = { ...normalizeError(cause), backtrace: [] };
    const retry = child.crashRetry !== undefined ? { retryIn: child.crashRetry } : {};
    return { kind: 'crashed', error, exitCode: exit.code, signal: exit.signal, ...retry, pid: child.pid, durationMs: performance.now() - t0 };
  }

  private startFailure(child: Child, exit: ExitInfo): DirtyExitError {
    let detail: string | undefined;
    if (child.startTimedOut) detail = `the child did not start within ${this.readyTimeoutMs} ms`;
    else if (child.fatal) detail = `the child could not start: ${child.fatal.name}: ${child.fatal.message}`;
    else if (exit.code === 0 && exit.signal === null) detail = 'the child exited before reporting a result';
    return new DirtyExitError(exit.code, exit.signal, detail);
  }
}

function toOutcome(r: Reply, pid: number, durationMs: number): Outcome {
  switch (r.type) {
    case 'done':
      return { kind: 'done', result: r.result, pid, durationMs };
    case 'skipped':
      return { kind: 'skipped', reason: r.reason, pid, durationMs };
    case 'failed':
      return { kind: 'failed', error: r.error, ...(r.retryIn !== undefined ? { retryIn: r.retryIn } : {}), pid, durationMs };
    case 'released':
      return { kind: 'released', delay: r.delay, pid, durationMs };
  }
}

function notifyStart(onStart: ((pid: number) => void) | undefined, pid: number): void {
  try {
    onStart?.(pid);
  } catch (e) {
    process.emitWarning(`ChildRunner onStart callback threw: ${normalizeError(e).message}`);
  }
}

/** A validated number option; the message names the option and the value. */
function checkNumber(name: string, v: number, min: number, integer: boolean): number {
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw new OptionError(`${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(v)}`);
  }
  return v;
}
