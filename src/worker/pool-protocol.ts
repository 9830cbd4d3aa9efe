/**
 * The protocol between a WorkerPool (in the app's process) and its worker processes
 * (src/worker/pool-member.ts), over an IPC channel with `advanced` serialization:
 *   1. the member's settings travel in an environment variable (the options are plain data: no
 *      `jobs` map, no stream), the listeners' event names with them;
 *   2. control (pool → member): stop (graceful or not), pause, resume, the wanted events;
 *   3. reports (member → pool): started (its worker id) or start-failed (why), job events batched
 *      per turn, log text (when the pool logs to a stream of its own), stopped (the report).
 */
import type { JobEventName, JobEventRecord } from '../engine/job-events';
import type { WorkerOptions } from './options';

/** Environment variable carrying a member's settings (JSON). */
export const POOL_MEMBER_ENV = 'RESQUE_POOL_MEMBER';

/** The options of a member's Worker: plain data only. */
export type MemberOptions = Omit<WorkerOptions, 'jobs' | 'logStream' | 'processTitle'>;

export interface MemberSettings {
  readonly options: MemberOptions;
  /** The job events the pool's listeners want. */
  readonly events: readonly JobEventName[];
  /** Send log text to the pool (its logStream is not this process's stdout). */
  readonly logToParent: boolean;
}

export interface WireError {
  readonly name: string;
  readonly message: string;
}

/** Pool → member. */
export type ToMember =
  | { type: 'stop'; graceful: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'events'; names: readonly JobEventName[] };

/** Member → pool. */
export type FromMember =
  | { type: 'started'; workerId: string }
  | { type: 'start-failed'; error: WireError }
  | { type: 'events'; list: readonly JobEventRecord[] }
  | { type: 'log'; text: string }
  | { type: 'stopped'; reason: 'stopped' | 'drained' | 'restart' | 'error'; error?: WireError };
