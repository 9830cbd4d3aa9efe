/**
 * The protocol between a worker process and its job process in the default mode, where the
 * job process runs the reserve/perform/finish loop itself and the worker supervises it.
 */

/** Worker → job process. */
export type ToJobProcess =
  | { type: 'stop' } // finish the current job, then exit 0 (QUIT, graceful TERM)
  | { type: 'recycle' } // finish the current job, then exit EXIT_RECYCLE (grown past the soft memory limit)
  | { type: 'pause' }
  | { type: 'resume' };

/** Job process → worker. Sent only when a time limit applies, so the fast path stays quiet. */
export type FromJobProcess =
  /** Listening: messages sent before this may have been lost, so the worker replays its state. */
  | { type: 'ready' }
  | { type: 'job-start'; timeout: number }
  | { type: 'job-end' }
  /** Sent on transitions only (idle ↔ busy), so a steady stream of jobs costs no messages. */
  | { type: 'state'; busy: boolean; queue?: string; className?: string };

/** Exit code of a job process that did its share (jobsPerChild) or was recycled: start another. */
export const EXIT_RECYCLE = 64;

/** Exit code of a job process that gave up after --redis-timeout of outage. */
export const EXIT_REDIS_OUTAGE = 75;

/** Environment variable carrying the job process's settings (JSON). */
export const WORKER_CHILD_ENV = 'RESQUE_WORKER_CHILD';

export interface JobProcessSettings {
  config: import('../config').WorkerConfig;
  workerId: string;
}
