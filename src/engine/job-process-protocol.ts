/**
 * The protocol between a job process and its host in the default mode: the job process is the
 * registered worker (its own pid is in the id) and runs the reserve/perform/finish loop; the host
 * (the `resque start` process, or the app embedding a Worker) registers it, heartbeats for it,
 * enforces its limits and settles what it leaves when it dies.
 * The channel uses Node's `advanced` serialization (structured clone), so results with BigInt
 * cross it as they are.
 *   1. control (host → job process): go (registered), stop, recycle, pause, resume, which job events anybody
 *      listens to (`events`: none by default, so a worker without listeners gets no event messages),
 *      and the outcome of each heartbeat the host wrote for it (`lease`, or `fenced`);
 *   2. reports (job process → host): ready, job start/end when a time limit applies, the control
 *      signals it was sent, the wanted job events batched per turn of its event loop, and — when
 *      the worker's log goes to a stream of its own — the job process's log text.
 * The job process sets its own title (it is the worker `ps` shows); the host's title is its own.
 */
import type { WorkerConfig } from '../config';
import type { JobEventName, JobEventRecord } from './job-events';

/** Host → job process. */
export type ToJobProcess =
  /** Registered under `id` (the job process's own `host:pid:queues`) at `at` (ms): start taking jobs. */
  | { type: 'go'; id: string; at: number }
  /** A heartbeat sent at `at` (ms since the epoch) was written for it: its lease (src/engine/lease.ts). */
  | { type: 'lease'; at: number }
  /** Its heartbeat was refused: it was pruned as dead (frozen or cut off) and fenced. */
  | { type: 'fenced' }
  | { type: 'stop' } // finish the current job, then exit 0 (QUIT, graceful TERM)
  | { type: 'recycle' } // finish the current job, then exit EXIT_RECYCLE (grown past the soft memory limit)
  | { type: 'pause' }
  | { type: 'resume' }
  /** The job events to report from now on (replaces the previous list; [] = none). */
  | { type: 'events'; names: readonly JobEventName[] };

/** Job process → host. Nothing per job unless a time limit applies or someone listens, so the fast path stays quiet. */
export type FromJobProcess =
  /** Listening: messages sent before this may have been lost, so the host replays its state. */
  | { type: 'ready' }
  /** A job with a time limit (`timeout` > 0) or a retry policy started; `retry`: seconds before it runs again should this process die running it. */
  | { type: 'job-start'; timeout: number; retry?: number }
  | { type: 'job-end' }
  /** With --max-jobs: it settled a job (the host counts them against the limit). */
  | { type: 'taken' }
  /** The wanted job events of one turn of the job process's event loop, in order. */
  | { type: 'events'; list: readonly JobEventRecord[] }
  /** Log text (whole lines) for the worker's own log stream (JobProcessSettings.logTo = 'parent'). */
  | { type: 'log'; text: string }
  /**
   * A control signal sent to the job process itself (its pid is the one in the worker id, so
   * php-resque and Ruby habits aim there): the host decides what it means (README "Signals").
   */
  | { type: 'signal'; name: ControlSignal }
  /** It gives up on Redis (then exits EXIT_REDIS_OUTAGE): why, in its words (address, real cause). */
  | { type: 'outage'; message: string };

/** The signals a job process hands to its host. */
export type ControlSignal = 'SIGQUIT' | 'SIGTERM' | 'SIGINT' | 'SIGUSR1' | 'SIGUSR2' | 'SIGCONT';

/** Exit code of a job process that did its share (jobsPerChild) or was recycled: start another. */
export const EXIT_RECYCLE = 64;

/** Exit code of a job process that found itself fenced (pruned as dead by another worker): start another. */
export const EXIT_FENCED = 65;

/** Exit code of a job process that gave up after --redis-timeout of outage. */
export const EXIT_REDIS_OUTAGE = 75;

/** Environment variable carrying the job process's settings (JSON). */
export const WORKER_CHILD_ENV = 'RESQUE_WORKER_CHILD';

/**
 * Where the job process's log lines go: its stdout (inherited from the host: the CLI), the
 * host over IPC (an embedded worker logging to a stream of its own), or nowhere (silent).
 */
export type JobProcessLogTo = 'stdout' | 'parent' | 'nowhere';

export interface JobProcessSettings {
  config: WorkerConfig;
  /** Default 'stdout'. */
  logTo?: JobProcessLogTo;
  /** `[H:i:s Y-m-d]` on text lines, as the worker's logger decided for its stream (default: the Logger's rule). */
  timestamps?: boolean;
}
