/**
 * What the loop needs from Redis, as an interface it defines and others implement (the port;
 * src/engine/redis-ops.ts binds it to the jobs aggregate in src/store/jobs.ts, tests bind it to
 * an in-memory fake): the shapes of jobs taken and settled, and the operations:
 *   1. reserve: take up to N jobs from the first non-empty queue into this worker's in-flight list;
 *   2. settle: one round trip for a batch's plain successes, the job that needs its own record,
 *      and the next batch;
 *   3. giveBack: jobs taken but never started go back to the head of their queue, in order;
 *   4. wait: blocking or polling between empty passes; finish: one job's bookkeeping;
 *   5. reserve and settle reject with WorkerFencedError once this worker was pruned as dead (then
 *      amend corrects a job it did finish).
 */
import type { Settlement } from '../settlement';
import type { Claim, Reserved } from '../reserved';

export { sha1, type Taken, type Claim, type Reserved } from '../reserved';

/** How a job ended, as the bookkeeping needs it: decided by src/settlement.ts. */
export type { Settlement };

export interface WorkerOps {
  /** Take up to `max` jobs from the first queue (in priority order) that has any. */
  reserve(queues: readonly string[], childPid: number | undefined, max: number): Promise<Claim | null>;
  /**
   * One round trip: settle `done` (plain successes at the head of the in-flight list, in order),
   * then `last` (a job that needs its own bookkeeping), then — when `queues` is not empty — take
   * the next batch of up to `max` jobs.
   */
  settle(done: readonly Reserved[], last: { r: Reserved; s: Settlement } | undefined, queues: readonly string[], childPid: number | undefined, max: number): Promise<Claim | null>;
  /**
   * Put jobs taken but never started back at the head of their queue, in order; `behindRunning`:
   * they are parked behind a job that still runs (the tail of the in-flight list).
   */
  giveBack(jobs: readonly Reserved[], behindRunning?: boolean): Promise<void>;
  /** Blocking: resolves when a job may be ready or after `seconds`; polling: sleeps. Abortable. */
  wait(queues: readonly string[], seconds: number, signal: AbortSignal): Promise<void>;
  finish(r: Reserved, s: Settlement): Promise<void>;
  /**
   * This worker was fenced (pruned as dead while it was frozen or cut off) after it finished `r`:
   * correct what the pruner recorded for it, if nobody acted on that yet. Resolves whether it did.
   */
  amend(r: Reserved, s: Settlement): Promise<boolean>;
  /** Record the pid of the process running a job (when it was not known at reserve). */
  recordPid(r: Reserved, pid: number): Promise<void>;
  knownQueues(): Promise<string[]>;
  close(): Promise<void>;
  /** An error of these operations in an operator's words (`Redis at ADDR: connection refused (ECONNREFUSED)`). */
  explain?(e: unknown): string;
  /** Why the worker gives up after `seconds` of errors, `e` the last one. */
  outage?(seconds: number, e: unknown): string;
}
