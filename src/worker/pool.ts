/**
 * `new WorkerPool({ count, ...workerOptions })`: `count` workers, each in a worker process of its
 * own (src/worker/pool-member.ts) — what `resque start --count=N` supervises, started from code.
 * Why processes and not N Workers in this process: a worker's id is `host:pid:queues`, and
 * php-resque, Ruby and our recovery prune a same-host id whose pid is gone or not a resque
 * process, so N workers need N live pids; in one process they would share one id and its keys
 * (node-resque's MultiWorker names them `host:pid+N`, which those peers take for dead workers).
 * Consequently the pool takes no `jobs` map (classes cannot be sent to a process): give jobsDir,
 * or an app module whose `jobs` map holds them.
 *   1. start(): validates the options and checks the jobs folder once (as the supervisor does),
 *      forks the workers, resolves once every one has registered; if one cannot start, the others
 *      are stopped and start() rejects with its error;
 *   2. a worker process that dies (non-zero exit or a signal) is reported on `error` and replaced
 *      (after 1 s if it lived less than 1 s); one that exits 0 (`once` drained) is not;
 *   3. events: the same WorkerEventMap, each job event naming its worker (`workerId`); a worker
 *      process sends only the events this pool's listeners want, batched per turn;
 *   4. stop({ graceful = true }) stops every worker and resolves once all have exited; `stopped`
 *      fires once, when no worker is left.
 * Like Worker, it installs no signal handler and never exits the process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { titleRoomFlag } from '../title-room';
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { OptionError } from '../errors';
import { JOB_EVENT_NAMES, expandRecord, type JobEventName } from '../engine/job-events';
import { checkJobsFolder } from './jobs-folder';
import { NUMBER_KINDS, invalidNumber, resolveWorkerOptions, type ResolvedWorker, type WorkerPoolOptions } from './options';
import { emitRecord, emitSafely, wireError, type WorkerEventMap } from './events';
import { POOL_MEMBER_ENV, type FromMember, type MemberOptions, type MemberSettings, type ToMember } from './pool-protocol';
import type { WorkerStopReport } from './runtime';
import type { StopOptions, WorkerState } from './embedded';

interface Member {
  readonly child: ChildProcess;
  readonly startedAt: number;
  workerId: string | undefined;
  /** It stopped for `resque restart` (start another). */
  restart?: boolean;
  /** Settles when the member registered (true) or could not start (its error). */
  readonly ready: Promise<true | Error>;
  readonly exited: Promise<void>;
}

export class WorkerPool extends EventEmitter<WorkerEventMap> {
  readonly #options: WorkerPoolOptions;
  readonly #members = new Set<Member>();
  readonly #respawns = new Set<NodeJS.Timeout>();
  readonly #entry = path.join(__dirname, 'pool-member.js');
  #plan: ResolvedWorker | undefined;
  #state: WorkerState = 'new';
  #starting: Promise<void> | undefined;
  #finished!: (r: WorkerStopReport) => void;
  readonly #done: Promise<WorkerStopReport>;
  #changeQueued = false;
  #paused = false;

  constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
    this.#done = new Promise((resolve) => { this.#finished = resolve; });
    const untyped = this as unknown as EventEmitter;
    untyped.on('newListener', () => this.#listenersChanged());
    untyped.on('removeListener', () => this.#listenersChanged());
  }

  /** How many worker processes the pool keeps running. */
  get count(): number {
    return this.#options.count;
  }

  /** The ids of the registered workers (`host:pid:queues`, one pid each). */
  get workerIds(): readonly string[] {
    return [...this.#members].flatMap((m) => (m.workerId ? [m.workerId] : []));
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** Resolves once all `count` workers are registered; rejects (with every worker stopped) when one cannot start. */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Stop every worker (graceful: each finishes its current job); resolves once all have exited. */
  async stop({ graceful = true }: StopOptions = {}): Promise<void> {
    if (this.#state === 'new' || this.#state === 'stopped') {
      this.#end({ reason: 'stopped' });
      return;
    }
    this.#state = 'stopping';
    for (const t of this.#respawns) clearTimeout(t);
    this.#respawns.clear();
    for (const m of this.#members) this.#send(m, { type: 'stop', graceful });
    await Promise.all([...this.#members].map((m) => m.exited));
    await this.#starting?.catch(() => undefined);
    this.#end({ reason: 'stopped' });
  }

  /** Every worker takes no more jobs (their running ones finish). */
  pause(): void {
    this.#paused = true;
    for (const m of this.#members) this.#send(m, { type: 'pause' });
  }

  resume(): void {
    this.#paused = false;
    for (const m of this.#members) this.#send(m, { type: 'resume' });
  }

  /** Resolves with how the pool ended, once no worker is left (never rejects). */
  waitUntilStopped(): Promise<WorkerStopReport> {
    return this.#done;
  }

  async #start(): Promise<void> {
    if (this.#state !== 'new') throw new OptionError('This WorkerPool was stopped; create a new WorkerPool to start again.');
    this.#state = 'starting';
    try {
      this.#plan = this.#validate();
      const members = Array.from({ length: this.#options.count }, () => this.#spawn());
      const results = await Promise.all(members.map((m) => m.ready));
      const failed = results.find((r): r is Error => r instanceof Error);
      if (failed) throw failed;
    } catch (e) {
      await this.#abort();
      throw e;
    }
    if (this.#state === 'starting') this.#state = 'running';
  }

  /** The options as a Worker would take them, the count, and the jobs folder (checked once, here). */
  #validate(): ResolvedWorker {
    const o = this.#options as WorkerPoolOptions & { jobs?: unknown };
    if (o === null || typeof o !== 'object') throw new OptionError('WorkerPool options must be an object ({ count, queues: [...] }).');
    if (!NUMBER_KINDS['positive-integer'].accepts(o.count)) throw invalidNumber('count', o.count, 'positive-integer');
    if (o.jobs !== undefined) {
      throw new OptionError('A WorkerPool runs each worker in a process of its own, and classes cannot be sent to another process: give jobsDir (a folder of job files) or app (a module whose jobs map holds the classes) instead of jobs.');
    }
    const plan = resolveWorkerOptions({ ...memberOptions(o), ...(o.logStream ? { logStream: o.logStream } : {}) });
    if (plan.folder) {
      const verdict = checkJobsFolder(plan.folder.subject, plan.folder.origin);
      if (verdict.level === 'error') throw new OptionError(verdict.message);
      if (verdict.level === 'warning') plan.log.logger.warning(verdict.message);
    }
    return plan;
  }

  #spawn(): Member {
    const plan = this.#plan as ResolvedWorker;
    const settings: MemberSettings = { options: memberOptions(this.#options), events: this.#wanted(), logToParent: plan.log.logTo === 'parent' };
    const child = fork(this.#entry, [], {
      env: { ...process.env, [POOL_MEMBER_ENV]: JSON.stringify(settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      execArgv: [titleRoomFlag()],
    });
    let ready!: (r: true | Error) => void;
    const member: Member = {
      child, startedAt: Date.now(), workerId: undefined,
      ready: new Promise((resolve) => { ready = resolve; }),
      exited: new Promise((resolve) => child.once('exit', (code, signal) => { this.#exited(member, code, signal); ready(exitError(child, code, signal)); resolve(); })),
    };
    child.once('error', (e) => ready(e));
    child.on('message', (m: FromMember) => this.#onMessage(member, m, ready));
    this.#members.add(member);
    if (this.#paused) this.#send(member, { type: 'pause' });
    return member;
  }

  #onMessage(member: Member, m: FromMember, ready: (r: true | Error) => void): void {
    const warn = (msg: string): void => this.#plan?.log.logger.warning(msg);
    switch (m.type) {
      case 'started':
        member.workerId = m.workerId;
        return ready(true);
      case 'start-failed':
        return ready(restore(m.error));
      case 'events':
        for (const packed of m.list) for (const r of expandRecord(packed)) emitRecord(this, warn, r);
        return;
      case 'log':
        return this.#plan?.log.sink?.(m.text);
      case 'stopped':
        if (m.error && this.#state === 'running') emitSafely(this, warn, 'error', wireError(m.error));
        if (m.reason === 'restart') member.restart = true;
        return;
    }
  }

  /** A worker process ended: replace it when it died while the pool runs. */
  #exited(member: Member, code: number | null, signal: NodeJS.Signals | null): void {
    this.#members.delete(member);
    if (this.#state === 'running' && member.restart && code === 0) {
      // `resque restart`: a fresh worker process, on the new code.
      this.#plan?.log.logger.notice(`*** Worker process ${member.child.pid ?? '?'} ended for a restart (resque restart); starting another`);
      this.#spawn();
      return;
    }
    const abnormal = code !== 0 || signal !== null;
    if (this.#state === 'running' && abnormal) {
      const warn = (msg: string): void => this.#plan?.log.logger.warning(msg);
      this.#plan?.log.logger.notice(`*** A child worker died: ${member.child.pid ?? '?'} (${signal ?? `exit code ${code}`})`);
      emitSafely(this, warn, 'error', new Error(`Worker process ${member.child.pid ?? '?'} (${member.workerId ?? 'not registered'}) died (${signal ?? `exit code ${code}`}); starting another`));
      const t = setTimeout(() => { this.#respawns.delete(t); if (this.#state === 'running') this.#spawn(); }, Date.now() - member.startedAt < 1000 ? 1000 : 0);
      this.#respawns.add(t);
      return;
    }
    if (this.#state === 'running' && this.#members.size === 0 && this.#respawns.size === 0) this.#end({ reason: 'drained' });
  }

  /** A start that failed: stop whatever started, then report. */
  async #abort(): Promise<void> {
    this.#state = 'stopping';
    for (const m of this.#members) this.#send(m, { type: 'stop', graceful: false });
    await Promise.all([...this.#members].map((m) => m.exited));
    this.#state = 'stopped';
    this.#finished({ reason: 'stopped' });
  }

  #end(report: WorkerStopReport): void {
    if (this.#state === 'stopped') return this.#finished(report);
    this.#state = 'stopped';
    this.#finished(report);
    emitSafely(this, (msg) => this.#plan?.log.logger.warning(msg), 'stopped', report);
  }

  #send(m: Member, msg: ToMember): void {
    if (m.child.connected) m.child.send(msg, undefined, undefined, () => undefined);
    else if (msg.type === 'stop' && m.child.exitCode === null) m.child.kill(msg.graceful ? 'SIGTERM' : 'SIGKILL');
  }

  #wanted(): JobEventName[] {
    return JOB_EVENT_NAMES.filter((n) => this.listenerCount(n) > 0);
  }

  #listenersChanged(): void {
    if (this.#changeQueued) return;
    this.#changeQueued = true;
    queueMicrotask(() => {
      this.#changeQueued = false;
      const names = this.#wanted();
      for (const m of this.#members) this.#send(m, { type: 'events', names });
    });
  }
}

/** What each worker process gets: the options without count and stream. */
function memberOptions(o: WorkerPoolOptions): MemberOptions {
  const { count: _count, logStream: _stream, ...rest } = o;
  return rest;
}

function restore(e: { name: string; message: string }): Error {
  return e.name === 'OptionError' ? new OptionError(e.message) : wireError(e);
}

function exitError(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): Error {
  return new Error(`Worker process ${child.pid ?? '?'} exited (${signal ?? `exit code ${code}`}) before it started`);
}
