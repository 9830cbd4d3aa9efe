/**
 * What the loop needs from Redis, as an interface it defines and others implement (the port;
 * src/engine/redis-ops.ts binds it to the jobs aggregate in src/store/jobs.ts, tests bind it to
 * an in-memory fake): the shapes of jobs taken and settled, and the operations:
 *   1. reserve: take up to N jobs from the first non-empty queue into this worker's in-flight list;
 *   2. settle: one round trip for a batch's plain successes, the job that needs its own record,
 *      and the next batch;
 *   3. giveBack: jobs taken but never started go back to the head of their queue, in order;
 *   4. wait: blocking or polling between empty passes; finish: one job's bookkeeping.
 */
import { createHash } from 'node:crypto';
import type { DecodedJob } from '../payload';
import type { NormalizedError } from '../errors';
import type { Settlement } from '../settlement';

/** A job just taken: `bytes` are the exact payload bytes (maybe not UTF-8), `raw` their UTF-8 reading. */
export interface Taken {
  queue: string;
  raw: string;
  bytes?: Buffer;
  /** Its status key exists (only a batch's first job can be tracked). */
  tracked?: boolean;
}

/** Jobs just taken from one queue, in order: the contiguous head of its in-flight list. */
export interface Claim {
  queue: string;
  jobs: Taken[];
}

/** A job taken from a queue: its bytes, and its decoded form when it decoded. */
export interface Reserved {
  queue: string;
  raw: string;
  bytes?: Buffer;
  /** The decoded job, or undefined when the payload is not a valid job. */
  job: DecodedJob | undefined;
  /** Why it did not decode. */
  invalid?: NormalizedError;
  /** Whether the payload is a strict JSON object (then embedded verbatim in records). */
  jsonObject: boolean;
  /** For an invalid payload: the id/prefix a lenient reading found (reserve may have marked it RUNNING). */
  looseId?: { id: string; prefix: string };
  /** The pid recorded as job:ID:pid at reserve time, if one was known. */
  pid?: number;
  /** Its status key existed at reserve (it is settled on its own, never in a batch). */
  tracked?: boolean;
  /** SHA-1 of its bytes, once computed (see sha1()). */
  sha1?: string;
}

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
  /** Put jobs taken but never started back at the head of their queue, in order. */
  giveBack(jobs: readonly Reserved[]): Promise<void>;
  /** Blocking: resolves when a job may be ready or after `seconds`; polling: sleeps. Abortable. */
  wait(queues: readonly string[], seconds: number, signal: AbortSignal): Promise<void>;
  finish(r: Reserved, s: Settlement): Promise<void>;
  /** Record the pid of the process running a job (when it was not known at reserve). */
  recordPid(r: Reserved, pid: number): Promise<void>;
  knownQueues(): Promise<string[]>;
  close(): Promise<void>;
}

/** SHA-1 of a job's exact bytes: how the scripts recognise the in-flight head (computed once per job). */
export function sha1(r: { raw: string; bytes?: Buffer; sha1?: string }): string {
  r.sha1 ??= createHash('sha1').update(r.bytes ?? r.raw).digest('hex');
  return r.sha1;
}
