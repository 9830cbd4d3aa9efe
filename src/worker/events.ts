/**
 * The typed events of a Worker and a WorkerPool (WorkerEventMap), and how an engine's job event
 * records (src/engine/job-events.ts) become them:
 *   1. emitRecord: one record → one typed emit;
 *   2. emitSafely: `error` without a listener is dropped, not thrown (the worker retries or ends:
 *      see `stopped`), and a throwing listener goes to the `error` listeners (or to `warn`),
 *      never into the worker;
 *   3. wireError: an error crossing a process boundary as {name, message}, back as an Error.
 */
import type { EventEmitter } from 'node:events';
import type { JobDoneEvent, JobEventRecord, JobFailedEvent, JobSkippedEvent, JobStartEvent } from '../engine/job-events';
import type { WorkerStopReport } from './runtime';

/** The events of a Worker (and of a WorkerPool: each job event names its worker in `workerId`). */
export interface WorkerEventMap {
  /** A job was taken and is about to run. */
  'job:start': [event: JobStartEvent];
  /** A job returned: `result`, and `durationMs` (ms the job ran). */
  'job:done': [event: JobDoneEvent];
  /** A job failed (threw, its process died or was killed for a limit, unreadable payload): the recorded error and `durationMs`. */
  'job:failed': [event: JobFailedEvent];
  /** A job threw DontPerform. */
  'job:skipped': [event: JobSkippedEvent];
  /** A pass found every queue empty; the worker now waits `interval` (or blocks). */
  idle: [];
  /** An error the worker survives (Redis errors are retried; a pool's worker process died and is replaced), or, just before `stopped`, the one that ended it. */
  error: [error: Error];
  /** Unregistered and done: stop() was called, `once` drained the queues, or an error ended it. */
  stopped: [report: WorkerStopReport];
}

export type Emitter = EventEmitter<WorkerEventMap>;

/** Emit without ever throwing into the caller. */
export function emitSafely<K extends keyof WorkerEventMap>(target: Emitter, warn: (msg: string) => void, name: K, ...args: WorkerEventMap[K]): void {
  if (name === 'error' && target.listenerCount('error') === 0) return;
  try {
    (target.emit as (n: K, ...a: WorkerEventMap[K]) => boolean).call(target, name, ...args);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (name !== 'error' && target.listenerCount('error') > 0) emitSafely(target, warn, 'error', err);
    else warn(`A ${String(name)} listener threw: ${err.message}`);
  }
}

/** One engine record as the typed event it is. */
export function emitRecord(target: Emitter, warn: (msg: string) => void, record: JobEventRecord): void {
  switch (record.name) {
    case 'job:start': return emitSafely(target, warn, 'job:start', record.event);
    case 'job:done': return emitSafely(target, warn, 'job:done', record.event);
    case 'job:failed': return emitSafely(target, warn, 'job:failed', record.event);
    case 'job:skipped': return emitSafely(target, warn, 'job:skipped', record.event);
    case 'idle': return emitSafely(target, warn, 'idle');
    case 'error': return emitSafely(target, warn, 'error', wireError(record.error));
  }
}

/** An error that crossed a process boundary as {name, message}. */
export function wireError(e: { readonly name: string; readonly message: string }): Error {
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
