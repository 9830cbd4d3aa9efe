/**
 * Running one decoded job, php-resque's Worker::perform + Job::perform adapted to JS. Shared by
 * the child entry and an in-process mode; it never exits the process and never throws.
 *   1. app afterFork(job) (skipped with `runAfterFork: false`, i.e. when nothing was forked);
 *   2. app beforePerform(job); resolve the class; `new Cls()`; set `args` (payload args[0],
 *      null when empty), `queue` and `job`; the instance's own beforePerform();
 *   3. setUp(), perform(...payload.args), tearDown(), each awaited when present.
 *      tearDown is NOT run when setUp or perform throws (php-resque behaviour);
 *   4. app afterPerform(job), then the instance's afterPerform();
 *   5. DontPerform (any copy of the class: matched by name too) thrown during 2–4 skips the job,
 *      as php-resque's Job::perform catches it around that whole block;
 *   6. any other throw fails the job: app onFailure(error, job), then the instance's
 *      onFailure(error), then `failed` is returned. A throwing onFailure is reported via `warn`
 *      and does not replace the job's error.
 */
import { DontPerform, normalizeError } from '../errors';
import type { DecodedJob } from '../payload';
import type { AppHooks, JobClass, JobContext, JobInfo, JobInstance } from './types';

export type ExecResult =
  | { kind: 'done'; result: unknown }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; error: unknown };

export interface ExecuteOptions {
  job: DecodedJob;
  queue: string;
  /** Class lookup (JobLoader#resolve); its errors fail the job like any other. */
  resolve(className: string): Promise<JobClass>;
  hooks?: Readonly<AppHooks>;
  /** Run the afterFork hook (default true: we are in a fresh child for this job). */
  runAfterFork?: boolean;
  /** Where hook problems that do not change the outcome are reported (default: stderr). */
  warn?(message: string): void;
}

const DONT_PERFORM_NAMES = new Set(['DontPerform', 'DoNotPerformException', 'Resque_Job_DontPerform']);

/** DontPerform from this library, or any error class of that name (user code may bundle its own). */
export function isDontPerform(e: unknown): boolean {
  if (e instanceof DontPerform) return true;
  if (typeof e !== 'object' || e === null) return false;
  const name = (e as { name?: unknown }).name;
  return typeof name === 'string' && DONT_PERFORM_NAMES.has(name);
}

/** Run one job through its whole life cycle (see the module comment). */
export async function executeJob(opts: ExecuteOptions): Promise<ExecResult> {
  const info = toJobInfo(opts.job, opts.queue);
  const hooks: Readonly<AppHooks> = opts.hooks ?? {};
  try {
    if (opts.runAfterFork !== false) await hooks.afterFork?.(info);
    return await performPhase(opts, info, hooks);
  } catch (error) {
    await failureHooks(error, info, hooks, opts.warn ?? defaultWarn);
    return { kind: 'failed', error };
  }
}

async function performPhase(opts: ExecuteOptions, info: JobInfo, hooks: Readonly<AppHooks>): Promise<ExecResult> {
  try {
    await hooks.beforePerform?.(info);
    const instance = prepare(await opts.resolve(info.className), opts.job, opts.queue);
    info.instance = instance;
    await callIfPresent(instance, 'beforePerform', []);
    await callIfPresent(instance, 'setUp', []);
    const result: unknown = await instance.perform(...opts.job.args);
    // Only reached when perform returned: php-resque skips tearDown after a throw.
    await callIfPresent(instance, 'tearDown', []);
    await hooks.afterPerform?.(info);
    await callIfPresent(instance, 'afterPerform', []);
    return { kind: 'done', result };
  } catch (e) {
    if (isDontPerform(e)) return { kind: 'skipped', reason: skipReason(e) };
    throw e;
  }
}

/** `new Cls()` with php-resque's properties assigned. */
function prepare(cls: JobClass, job: DecodedJob, queue: string): JobInstance {
  const instance = new cls();
  const context: JobContext = { id: job.id, className: job.className, payload: job.fields, raw: job.raw, queue };
  instance.args = job.arg0;
  instance.queue = queue;
  instance.job = context;
  return instance;
}

/** What hooks receive about a job; the worker uses it for beforeFork and parent-side onFailure. */
export function toJobInfo(job: DecodedJob, queue: string): JobInfo {
  return {
    className: job.className,
    queue,
    id: job.id,
    args: job.args,
    arg0: job.arg0,
    payload: job.fields,
    raw: job.raw,
  };
}

/** php-resque's is_callable check: a property that is not a function is ignored. */
async function callIfPresent(target: JobInstance, method: 'setUp' | 'tearDown' | 'beforePerform' | 'afterPerform' | 'onFailure', args: unknown[]): Promise<void> {
  const fn: unknown = target[method];
  if (typeof fn === 'function') await (fn as (...a: unknown[]) => unknown).apply(target, args);
}

async function failureHooks(error: unknown, info: JobInfo, hooks: Readonly<AppHooks>, warn: (m: string) => void): Promise<void> {
  try {
    await hooks.onFailure?.(error, info);
  } catch (e) {
    warn(`onFailure hook threw while handling a failure of ${info.className}: ${describe(e)}`);
  }
  if (!info.instance) return;
  try {
    await callIfPresent(info.instance, 'onFailure', [error]);
  } catch (e) {
    warn(`${info.className}#onFailure threw: ${describe(e)}`);
  }
}

function skipReason(e: unknown): string {
  const n = normalizeError(e);
  return n.message !== '' ? n.message : n.name;
}

function describe(e: unknown): string {
  const n = normalizeError(e);
  return `${n.name}: ${n.message}`;
}

function defaultWarn(message: string): void {
  process.stderr.write(`resque-ts: ${message}\n`);
}
