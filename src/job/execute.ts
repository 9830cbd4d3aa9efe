/**
 * Running one decoded job, php-resque's Worker::perform + Job::perform adapted to JS. Shared by
 * the child entry and an in-process mode; it never exits the process and never throws.
 *   1. app afterFork(job) (skipped with `runAfterFork: false`, i.e. when nothing was forked);
 *   2. app beforePerform(job); resolve the class; `new Cls()`; set `args` (payload args[0],
 *      null when empty), `queue` and `job`; the instance's own beforePerform();
 *   3. setUp(), perform(...payload.args) (or METHOD for a think-queue `Class@METHOD` name),
 *      tearDown(), each awaited when present.
 *      tearDown is NOT run when setUp or perform throws (php-resque behaviour);
 *   4. app afterPerform(job), then the instance's afterPerform();
 *   5. DontPerform (any copy of the class: matched by name too) thrown during 2–4 skips the job,
 *      as php-resque's Job::perform catches it around that whole block;
 *   6. any other throw fails the job: app onFailure(error, job), then the instance's
 *      onFailure(error), then `failed` is returned. A throwing onFailure is reported via `warn`
 *      and does not replace the job's error.
 */
import { DontPerform, FatalError, RetryError, normalizeError } from '../errors';
import { attemptOf, NO_RETRY, policyOf, retryDelay, type RetryDefaults } from './retry';
import type { DecodedJob } from '../payload';
import { splitJobName } from './loader';
import type { AppHooks, JobClass, JobContext, JobInfo, JobInstance } from './types';

export type ExecResult =
  | { kind: 'done'; result: unknown }
  | { kind: 'skipped'; reason: string }
  /** `retryIn`: attempts are left (its policy): it runs again that many seconds later, nothing failed yet. */
  | { kind: 'failed'; error: unknown; retryIn?: number }
  /** The job called `this.release(seconds)`: it runs again then, no failure counted. */
  | { kind: 'released'; delay: number };

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
  /** The worker's retry defaults (--tries, --retry-delay); a class's `static retry` wins. */
  retry?: RetryDefaults;
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
  const run: RunState = { cls: undefined, released: undefined };
  try {
    if (opts.runAfterFork !== false) await hooks.afterFork?.(info);
    return await performPhase(opts, info, hooks, run);
  } catch (error) {
    if (run.released !== undefined) return { kind: 'released', delay: run.released };
    // Attempts left: it runs again; onFailure and failed() wait for the last attempt.
    const retryIn = retryDelay(policyOf(run.cls, opts.retry ?? NO_RETRY), opts.retry ?? NO_RETRY, attemptOf(opts.job.fields), error);
    if (retryIn !== undefined) return { kind: 'failed', error, retryIn };
    await failureHooks(error, info, hooks, opts.warn ?? defaultWarn);
    return { kind: 'failed', error };
  }
}

interface RunState {
  cls: JobClass | undefined;
  /** Seconds, once the job called this.release(). */
  released: number | undefined;
}

async function performPhase(opts: ExecuteOptions, info: JobInfo, hooks: Readonly<AppHooks>, run: RunState): Promise<ExecResult> {
  try {
    await hooks.beforePerform?.(info);
    const cls = await opts.resolve(info.className);
    run.cls = cls;
    const instance = prepare(cls, opts.job, opts.queue, run);
    info.instance = instance;
    await callIfPresent(instance, 'beforePerform', []);
    await callIfPresent(instance, 'setUp', []);
    // think-queue's `Class@method`: that method instead of perform (the loader checked it exists).
    const method = splitJobName(info.className).method;
    const result: unknown = await (instance as unknown as Record<string, (...a: unknown[]) => unknown>)[method]?.(...opts.job.args);
    if (run.released !== undefined) return { kind: 'released', delay: run.released };
    // InstantCMS-style jobs: `false` asks for a retry, a string is a failure with that message.
    if ((cls as { returnSemantics?: unknown }).returnSemantics === 'instantcms') {
      if (result === false) throw new RetryError('perform() returned false');
      if (typeof result === 'string') throw new FatalError(result);
    }
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

/** `new Cls()` with php-resque's properties assigned, its attempt, and release(). */
function prepare(cls: JobClass, job: DecodedJob, queue: string, run: RunState): JobInstance {
  const instance = new cls();
  const context: JobContext = { id: job.id, className: job.className, payload: job.fields, raw: job.raw, queue };
  instance.args = job.arg0;
  instance.queue = queue;
  instance.job = context;
  instance.attempt = attemptOf(job.fields);
  instance.release = (seconds = 0): void => {
    run.released = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  };
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
  // think-queue's failed(args, error): once, after the last attempt.
  try {
    const failed: unknown = (info.instance as { failed?: unknown }).failed;
    if (typeof failed === 'function') await (failed as (a: unknown, e: unknown) => unknown).call(info.instance, info.arg0, error);
  } catch (e) {
    warn(`${info.className}#failed threw: ${describe(e)}`);
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
