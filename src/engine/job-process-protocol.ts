/**
 * The protocol between a worker process and its job process in the default mode, where the
 * job process runs the reserve/perform/finish loop itself and the worker supervises it.
 * The channel uses Node's `advanced` serialization (structured clone), so results with BigInt
 * cross it as they are.
 *   1. control (worker → job process): stop, recycle, pause, resume, and which job events anybody
 *      listens to (`events`: none by default, so a worker without listeners gets no event messages);
 *   2. reports (job process → worker): ready, job start/end when a time limit applies, busy/idle
 *      transitions for the title, the wanted job events batched per turn of its event loop, and —
 *      when the worker's log goes to a stream of its own — the job process's log text.
 */
import type { WorkerConfig } from '../config';
import type { JobEventName, JobEventRecord } from './job-events';

/** Worker → job process. */
export type ToJobProcess =
  | { type: 'stop' } // finish the current job, then exit 0 (QUIT, graceful TERM)
  | { type: 'recycle' } // finish the current job, then exit EXIT_RECYCLE (grown past the soft memory limit)
  | { type: 'pause' }
  | { type: 'resume' }
  /** The job events to report from now on (replaces the previous list; [] = none). */
  | { type: 'events'; names: readonly JobEventName[] };

/** Job process → worker. Sent only when a time limit applies, so the fast path stays quiet. */
export type FromJobProcess =
  /** Listening: messages sent before this may have been lost, so the worker replays its state. */
  | { type: 'ready' }
  | { type: 'job-start'; timeout: number }
  | { type: 'job-end' }
  /** Sent on transitions only (idle ↔ busy), so a steady stream of jobs costs no messages. */
  | { type: 'state'; busy: boolean; queue?: string; className?: string }
  /** The wanted job events of one turn of the job process's event loop, in order. */
  | { type: 'events'; list: readonly JobEventRecord[] }
  /** Log text (whole lines) for the worker's own log stream (JobProcessSettings.logTo = 'parent'). */
  | { type: 'log'; text: string };

/** Exit code of a job process that did its share (jobsPerChild) or was recycled: start another. */
export const EXIT_RECYCLE = 64;

/** Exit code of a job process that gave up after --redis-timeout of outage. */
export const EXIT_REDIS_OUTAGE = 75;

/** Environment variable carrying the job process's settings (JSON). */
export const WORKER_CHILD_ENV = 'RESQUE_WORKER_CHILD';

/**
 * Where the job process's log lines go: its stdout (inherited from the worker: the CLI), the
 * worker over IPC (an embedded worker logging to a stream of its own), or nowhere (silent).
 */
export type JobProcessLogTo = 'stdout' | 'parent' | 'nowhere';

export interface JobProcessSettings {
  config: WorkerConfig;
  workerId: string;
  /** Default 'stdout'. */
  logTo?: JobProcessLogTo;
  /** `[H:i:s Y-m-d]` on text lines, as the worker's logger decided for its stream (default: the Logger's rule). */
  timestamps?: boolean;
}
