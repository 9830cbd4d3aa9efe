/**
 * Retries: whether a failed attempt runs again, and when. Decided where the job ran (its class's
 * policy may be a function), carried by the job itself (`attempt` in its payload), never keyed by
 * its args.
 *   1. The policy: the class's `static retry = { limit, delay, backoff, jitter, retryOn, fatal }`,
 *      else the worker's `--tries` / `--retry-delay` (think-queue's; `limit` = tries − 1);
 *   2. FatalError (or an error in `fatal`) never retries; RetryError always does while attempts are
 *      left; with `retryOn`, only the errors it names do;
 *   3. the delay: `backoff` (a ladder of seconds, the last repeated; 'exponential' = delay × 2^(n−1);
 *      a function of (attempt, error)), else `delay`; `jitter` (0–1) spreads it by ± that fraction.
 */
import { DirtyExitError, FatalError, RetryError } from '../errors';
export { attemptOf } from '../payload';

/** An error class, or the name of one (`'TypeError'`, `'App\\Errors\\Busy'`). */
export type ErrorMatcher = string | (abstract new (...args: never[]) => unknown);

export interface RetryPolicy {
  /** Retries after the first attempt (0: none). */
  limit: number;
  /** Seconds before a retry (default: the worker's --retry-delay, else 0). */
  delay?: number;
  /** Seconds per retry: a ladder (the last one repeats), 'exponential' (delay × 2^(retry−1)), or a function. */
  backoff?: readonly number[] | 'exponential' | ((attempt: number, error: unknown) => number);
  /** Spread each delay by ± this fraction (0–1), so that many jobs failing together do not return together. */
  jitter?: number;
  /** Only these errors are retried. */
  retryOn?: readonly ErrorMatcher[];
  /** These errors are never retried. */
  fatal?: readonly ErrorMatcher[];
}

/** The worker's defaults (`--tries`, `--retry-delay`). */
export interface RetryDefaults {
  /** Attempts in all, the first included (think-queue's --tries); 1 = no retry. */
  readonly tries: number;
  readonly retryDelay: number;
}

export const NO_RETRY: RetryDefaults = { tries: 1, retryDelay: 0 };

function matches(error: unknown, m: ErrorMatcher): boolean {
  if (typeof m === 'string') {
    const name = (error as { name?: unknown } | null)?.name;
    return name === m || (error as { constructor?: { name?: unknown } } | null)?.constructor?.name === m;
  }
  return error instanceof (m as new (...a: never[]) => unknown);
}

const isNamed = (error: unknown, name: string): boolean => (error as { name?: unknown } | null)?.name === name;

/** The class's policy, or one from the worker's defaults; undefined when nothing retries. */
export function policyOf(cls: unknown, defaults: RetryDefaults): RetryPolicy | undefined {
  const own = (cls as { retry?: unknown } | null)?.retry;
  if (own && typeof own === 'object' && typeof (own as RetryPolicy).limit === 'number') return own as RetryPolicy;
  return defaults.tries > 1 ? { limit: defaults.tries - 1, delay: defaults.retryDelay } : undefined;
}

/**
 * After attempt `attempt` (1-based) failed with `error`: the seconds until the next attempt, or
 * undefined when it is the last (the job fails).
 */
export function retryDelay(policy: RetryPolicy | undefined, defaults: RetryDefaults, attempt: number, error: unknown, random: () => number = Math.random): number | undefined {
  if (!policy || attempt > policy.limit) return undefined;
  if (error instanceof FatalError || isNamed(error, 'FatalError') || policy.fatal?.some((m) => matches(error, m))) return undefined;
  const forced = error instanceof RetryError || isNamed(error, 'RetryError');
  if (!forced && policy.retryOn && !policy.retryOn.some((m) => matches(error, m))) return undefined;
  const base = policy.delay ?? defaults.retryDelay;
  let seconds: number;
  const b = policy.backoff;
  if (typeof b === 'function') seconds = Number(b(attempt, error));
  else if (b === 'exponential') seconds = (base > 0 ? base : 1) * 2 ** (attempt - 1);
  else if (Array.isArray(b) && b.length > 0) seconds = Number(b[Math.min(attempt - 1, b.length - 1)]);
  else seconds = base;
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const j = Math.min(Math.max(policy.jitter ?? 0, 0), 1);
  if (j > 0) seconds *= 1 - j + 2 * j * random();
  return Math.round(seconds * 1000) / 1000;
}


/**
 * Should the process running attempt `attempt` of a job of class `cls` die (a crash, a time or
 * memory limit), the seconds until the job runs again under its policy; undefined: it fails.
 * Decided when the class is loaded and told to whoever settles the death (the host, the worker).
 */
export function crashRetryDelay(cls: unknown, defaults: RetryDefaults, attempt: number): number | undefined {
  return retryDelay(policyOf(cls, defaults), defaults, attempt, new DirtyExitError(null, 'SIGKILL'));
}
