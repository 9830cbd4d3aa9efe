/**
 * The settlement policy: what happens to a job once it has ended, decided in this one pure
 * module for every place a job can end (the loop, the job-process host when its job process
 * died, recovery of a dead worker). Nothing here touches Redis or a process.
 *   1. An `Outcome` says how the job ended: it completed, was skipped (DontPerform), was not a
 *      job (invalid payload), threw, or its process died — by itself (crashed), killed for its
 *      time limit or memory cap, killed by a shutdown timeout — or its worker died (pruned).
 *   2. `settlementFor(outcome, policy)` turns it into a `Settlement`, the bookkeeping to write:
 *      done (status 4 + result), skipped (status 4, result false), failed (a record in `failed`,
 *      status 3; counted in stat:failed), requeue (back to the head of its queue, status 1), or
 *      retry (attempts left, or a release: the same job again later, counted processed, not failed).
 *   3. A process that died leaves no stack worth keeping: its record's backtrace is `[]`, like
 *      Ruby's DirtyExit (php-resque stores the parent's stack).
 *   4. A job whose process died (crashed, time or memory limit) with attempts left under its
 *      policy is retried like a failure; one killed by a shutdown timeout never is.
 *   5. `--requeue-orphans` requeues instead of failing a job killed by a shutdown timeout or
 *      held by a dead worker; a job a dead worker had only parked (never started) always goes
 *      back, since it never ran.
 * The failure record itself is built in one place, src/store/failures.ts (failureRecordParts).
 */
import type { NormalizedError } from './errors';

export type Outcome =
  | { kind: 'done'; result: unknown }
  | { kind: 'skipped' }
  | { kind: 'invalid'; error: NormalizedError }
  /** `retry`: attempts are left (the job's retry policy): it runs again `delay` seconds later as attempt `attempt`. */
  | { kind: 'failed'; error: NormalizedError; retry?: { delay: number; attempt: number } }
  /** The job asked to run again later (this.release): attempt `attempt` again, no failure. */
  | { kind: 'released'; delay: number; attempt: number }
  /** `retry`: attempts are left under the job's policy (told when its class was loaded); never for a shutdown kill. */
  | { kind: 'crashed' | 'timed-out' | 'memory-killed' | 'shutdown-killed'; error: NormalizedError; retry?: { delay: number; attempt: number } }
  /** Its worker died holding it; `running` = it was the job being run (else it was only parked). */
  | { kind: 'pruned'; reason: string; byWorker: string; running: boolean };

/** How a job ended, as the bookkeeping needs it. */
export type Settlement =
  | { kind: 'done'; result: unknown }
  | { kind: 'skipped' }
  | { kind: 'failed'; error: NormalizedError; countFailed?: boolean }
  /** Put it back at the head of its queue, untouched. */
  | { kind: 'requeue' }
  /**
   * Run it again as attempt `attempt`, `delay` seconds from now (0: at the tail of its queue; else
   * through the delayed queue): the same job, its payload with `attempt` set. Counted processed,
   * not failed; `error` is what the attempt failed with (none for a release).
   */
  | { kind: 'retry'; delay: number; attempt: number; error?: NormalizedError };

export interface SettlementPolicy {
  /** `--requeue-orphans`: a shutdown-killed or dead worker's running job goes back instead of failing. */
  readonly requeueOrphans: boolean;
}

export function settlementFor(outcome: Outcome, policy: SettlementPolicy): Settlement {
  switch (outcome.kind) {
    case 'done':
      return { kind: 'done', result: outcome.result };
    case 'skipped':
      return { kind: 'skipped' };
    case 'failed':
      if (outcome.retry) return { kind: 'retry', delay: outcome.retry.delay, attempt: outcome.retry.attempt, error: outcome.error };
      return { kind: 'failed', error: outcome.error };
    case 'released':
      return { kind: 'retry', delay: outcome.delay, attempt: outcome.attempt };
    case 'invalid':
      return { kind: 'failed', error: outcome.error };
    case 'crashed':
    case 'timed-out':
    case 'memory-killed':
      if (outcome.retry) return { kind: 'retry', delay: outcome.retry.delay, attempt: outcome.retry.attempt, error: withoutStack(outcome.error) };
      return { kind: 'failed', error: withoutStack(outcome.error) };
    case 'shutdown-killed':
      return policy.requeueOrphans ? { kind: 'requeue' } : { kind: 'failed', error: withoutStack(outcome.error) };
    case 'pruned':
      if (policy.requeueOrphans || !outcome.running) return { kind: 'requeue' };
      return { kind: 'failed', error: prunedError(outcome.reason, outcome.byWorker) };
  }
}

/** The error of a job whose worker died (Ruby's PruneDeadWorkerDirtyExit), naming who recovered it. */
export function prunedError(reason: string, byWorker: string): NormalizedError {
  return { name: 'PruneDeadWorkerDirtyExit', message: reason, backtrace: [`recovered by ${byWorker}`] };
}

function withoutStack(error: NormalizedError): NormalizedError {
  return error.backtrace.length === 0 ? error : { ...error, backtrace: [] };
}
