/**
 * The one retry backoff: `baseMs` doubled per attempt in a row (attempt 0 waits `baseMs`), at
 * most `maxMs`. Used by Redis reconnects, the loop's retries of its bookkeeping, and the job-process
 * host settling a dead job process's job.
 */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

export function backoffMs(attempt: number, { baseMs, maxMs }: Backoff): number {
  return Math.min(baseMs * 2 ** Math.min(Math.max(0, attempt), 30), maxMs);
}

/** backoffMs, cut so that the wait ends by `deadline` (a Date.now() time): a last try falls on it. */
export function backoffBefore(deadline: number, attempt: number, backoff: Backoff): number {
  return Math.min(backoffMs(attempt, backoff), Math.max(0, deadline - Date.now()));
}
