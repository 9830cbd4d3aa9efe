/**
 * Errors a job leaves behind: a rejection nobody handles, or an exception thrown from a timer,
 * that fire after the job's own promise settled (or outside it). Node's default would end the
 * process in the middle of whatever job runs then, which would be failed for another's fault.
 *   1. runAsJob runs a job inside an AsyncLocalStorage context naming it; timers, promises and
 *      callbacks it starts keep that context, so the error can be traced to the job that made it;
 *   2. catchStrayErrors installs the process handlers: the error is reported with that job (when
 *      known) and nothing fails; the caller decides what to do with a process in doubt (a job
 *      process finishes its current job and is replaced).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The job a piece of code was started by. */
export interface JobContext {
  readonly className: string;
  readonly id: string | undefined;
  readonly queue: string;
}

const context = new AsyncLocalStorage<JobContext>();

/** Run `fn` as the code of job `job` (what it starts is traced to it). */
export function runAsJob<T>(job: JobContext, fn: () => Promise<T>): Promise<T> {
  return context.run(job, fn);
}

export type StrayKind = 'unhandled rejection' | 'uncaught exception';

/** Install the handlers (once per process); `report` gets the error, its kind and the job that started it, if known. */
export function catchStrayErrors(report: (error: Error, kind: StrayKind, job: JobContext | undefined) => void): void {
  const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(`non-Error value: ${String(e)}`));
  process.on('unhandledRejection', (reason) => report(asError(reason), 'unhandled rejection', context.getStore()));
  process.on('uncaughtException', (e) => report(asError(e), 'uncaught exception', context.getStore()));
}

/** The log line of a stray error. */
export function strayMessage(error: Error, kind: StrayKind, job: JobContext | undefined): string {
  const who = job ? `job ${job.className}${job.id ? ` ${job.id}` : ''} (queue ${job.queue})` : 'code outside any job';
  return `An ${kind} from ${who}: ${error.name}: ${error.message}`;
}

/** Who is running now, for a log line: `Job CLASS ID (queue Q)`, or `Code outside any job`. */
export function closerOf(): string {
  const job = context.getStore();
  return job ? `Job ${job.className}${job.id ? ` ${job.id}` : ''} (queue ${job.queue})` : 'Code outside any job';
}
