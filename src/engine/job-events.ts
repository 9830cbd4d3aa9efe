/**
 * The job events every engine reports, in the shapes the embedded Worker's typed events carry
 * (src/worker/embedded.ts re-emits them; the default engine's job process sends them over IPC):
 *   1. the payloads: job:start, job:done (result, duration), job:failed (normalized error,
 *      duration), job:skipped (DontPerform), plus idle and error, as one record union;
 *   2. JobEventSink: where records go, and which ones anybody listens to — an engine builds a
 *      record only when `wants(name)` says so, so a worker without listeners pays one check per job;
 *   3. wireJobEvents: turns a JobLoop's job / settled / idle / error into records.
 */
import type { NormalizedError } from '../errors';
import type { JobLoop, JobReport } from '../loop/loop';
import type { Reserved } from '../loop/ops';

/** What every job event says about the job. */
export interface JobEvent {
  /** The worker that took the job (`host:pid:queues`). */
  readonly workerId: string;
  readonly queue: string;
  /** The class named by the payload; `(invalid payload)` when it could not be decoded. */
  readonly className: string;
  /** php-resque's job id; undefined for Ruby and node-resque payloads and for unreadable ones. */
  readonly id: string | undefined;
  /** The payload's positional args (`[{…}]` for a php-resque job); `[]` for an unreadable one. */
  readonly args: readonly unknown[];
  /** The process running the job (the job process, a per-job child, or this process). */
  readonly pid: number | undefined;
}

/** A job was taken and is about to run. */
export type JobStartEvent = JobEvent;

/** A job returned: `result` is perform()'s return value (the status result). */
export interface JobDoneEvent extends JobEvent {
  readonly result: unknown;
  /** Milliseconds the job ran, hooks included. */
  readonly durationMs: number;
}

/** A job failed: it threw, its process died or was killed for a limit, or its payload was unreadable. */
export interface JobFailedEvent extends JobEvent {
  /** The error as recorded in `failed` (`DirtyExitError`, `JobTimeoutError`, the thrown error's name, …). */
  readonly error: NormalizedError;
  readonly durationMs: number;
}

/** A job threw DontPerform (status COMPLETE with result false). */
export interface JobSkippedEvent extends JobEvent {
  readonly reason: string;
  readonly durationMs: number;
}

/**
 * One event as an engine reports it (and as it crosses the job process's IPC channel). On the
 * channel, a settled record with `started: true` stands for the job's job:start followed by
 * itself (a fast job starts and ends within one batch: one record instead of two); expandRecord
 * turns it back into both.
 */
export type JobEventRecord =
  | { readonly name: 'job:start'; readonly event: JobStartEvent }
  | { readonly name: 'job:done'; readonly event: JobDoneEvent; readonly started?: true }
  | { readonly name: 'job:failed'; readonly event: JobFailedEvent; readonly started?: true }
  | { readonly name: 'job:skipped'; readonly event: JobSkippedEvent; readonly started?: true }
  | { readonly name: 'idle' }
  | { readonly name: 'error'; readonly error: { readonly name: string; readonly message: string } };

export type SettledRecord = Extract<JobEventRecord, { name: 'job:done' | 'job:failed' | 'job:skipped' }>;

export type JobEventName = JobEventRecord['name'];

export const JOB_EVENT_NAMES: readonly JobEventName[] = ['job:start', 'job:done', 'job:failed', 'job:skipped', 'idle', 'error'];

/** Where an engine's events go. */
export interface JobEventSink {
  /** Whether anybody listens to `name` (checked per job: keep it cheap). */
  wants(name: JobEventName): boolean;
  emit(record: JobEventRecord): void;
}

/** The fields every job event shares, from a reserved job. */
export function jobEventOf(workerId: string, r: Reserved, pid: number | undefined): JobEvent {
  const j = r.job;
  return { workerId, queue: r.queue, className: j?.className ?? '(invalid payload)', id: j?.id, args: j?.args ?? [], pid };
}

/** The settled-job record of a loop's report, or undefined when nobody listens to it (built without spreads: this runs per job). */
export function settledRecord(workerId: string, sink: JobEventSink, { reserved, outcome }: JobReport): JobEventRecord | undefined {
  const name = outcome.kind === 'done' ? 'job:done' : outcome.kind === 'skipped' ? 'job:skipped' : 'job:failed';
  if (!sink.wants(name)) return undefined;
  const j = reserved.job;
  const queue = reserved.queue;
  const className = j?.className ?? '(invalid payload)';
  const id = j?.id;
  const args = j?.args ?? [];
  const pid = outcome.pid ?? reserved.pid;
  const durationMs = outcome.durationMs;
  if (outcome.kind === 'done') return { name: 'job:done', event: { workerId, queue, className, id, args, pid, result: outcome.result, durationMs } };
  if (outcome.kind === 'skipped') return { name: 'job:skipped', event: { workerId, queue, className, id, args, pid, reason: outcome.reason, durationMs } };
  const error = outcome.kind === 'released' ? { name: 'Released', message: `released: again in ${outcome.delay} s`, backtrace: [] } : outcome.error;
  return { name: 'job:failed', event: { workerId, queue, className, id, args, pid, error, durationMs } };
}

/** Whether a record settles a job. */
export function isSettled(r: JobEventRecord): r is SettledRecord {
  return r.name === 'job:done' || r.name === 'job:failed' || r.name === 'job:skipped';
}

/** A settled record flagged `started`: its job:start (the same job fields), then itself. */
export function expandRecord(r: JobEventRecord): JobEventRecord[] {
  if (!isSettled(r) || r.started !== true) return [r];
  const e = r.event;
  const start: JobEventRecord = { name: 'job:start', event: { workerId: e.workerId, queue: e.queue, className: e.className, id: e.id, args: e.args, pid: e.pid } };
  return [start, r];
}

/** Report a loop's jobs, idle passes and errors to `sink` (each only when wanted). */
export function wireJobEvents(loop: JobLoop, workerId: string, sink: JobEventSink): void {
  loop.on('job', (r) => {
    if (sink.wants('job:start')) sink.emit({ name: 'job:start', event: jobEventOf(workerId, r, r.pid) });
  });
  loop.on('settled', (report) => {
    const record = settledRecord(workerId, sink, report);
    if (record) sink.emit(record);
  });
  loop.on('idle', () => {
    if (sink.wants('idle')) sink.emit({ name: 'idle' });
  });
  loop.on('error', (e) => {
    if (sink.wants('error')) sink.emit({ name: 'error', error: { name: e.name, message: e.message } });
  });
}
