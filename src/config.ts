/**
 * Worker settings: one typed, frozen object resolved once from flags and php-resque's
 * environment variables (src/cli/args.ts does the resolving; this file holds the type
 * and the defaults).
 */

export type LogFormat = 'text' | 'json';
/** The most detailed severity printed: `notice` is php-resque's normal level, `info` its VERBOSE, `debug` VVERBOSE. */
export type LogLevel = 'error' | 'warning' | 'notice' | 'info' | 'debug';

/** Every log level, least detailed first (what --log-level accepts). */
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warning', 'notice', 'info', 'debug'];

export interface WorkerConfig {
  /** Queues in priority order, as given (`*` kept literally; resolved each pass). */
  readonly queues: readonly string[];
  /** Worker processes to run (COUNT). */
  readonly count: number;
  /** Seconds between polls, or the blocking wait's timeout in blocking mode (INTERVAL; 0 = forever). */
  readonly interval: number;
  /** Blocking reserve (BLOCKING, on when present). */
  readonly blocking: boolean;
  /** File receiving the pid of the started process (PIDFILE). */
  readonly pidfile: string | undefined;
  /** Folder holding job classes (absolute). */
  readonly jobsDir: string;
  /** Module loaded first in every process: job classes and hooks (APP_INCLUDE); absolute. */
  readonly app: string | undefined;
  /** Key namespace (PREFIX). */
  readonly namespace: string;
  /** Redis backend string, when given (else REDIS_URL / REDIS_BACKEND / default). */
  readonly redis: string | undefined;
  /** Database when `redis` names none (REDIS_BACKEND_DB). */
  readonly database: number | undefined;
  /** --log-level, --quiet (= warning), --verbose / VERBOSE (= info), --debug / VVERBOSE (= debug). */
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Log a warning once for a job still running after this many seconds (0 = never). */
  readonly slowJobLog: number;
  /** Drain what is there, then exit 0. */
  readonly once: boolean;
  /** Take at most this many jobs per worker, then exit 0 (InstantCMS's cron batches); 0 = no limit. */
  readonly maxJobs: number;
  /** Write our per-minute history, per-queue counters and duration histograms with each settle (src/store/history.ts). */
  readonly history: boolean;
  /** Jobs a child runs before it is replaced (1 = php-resque's fresh process per job). */
  readonly jobsPerChild: number;
  /** Run jobs in the worker process itself (no isolation). */
  readonly inProcess: boolean;
  /** Most jobs a loop takes in one round trip (1 = one at a time; strict mode always 1). */
  readonly batch: number;
  /** Default per-job time limit in seconds (0 = none). */
  readonly timeout: number;
  /** Seconds between TERM and KILL when stopping a child. */
  readonly killGrace: number;
  /** Attempts in all for a failing job, the first included (think-queue's --tries); 1 = no retry. A class's `static retry` wins. */
  readonly tries: number;
  /** Seconds before a retry (think-queue's --delay). */
  readonly retryDelay: number;
  /** Recycle a child after its job when its RSS exceeds this many MB (0 = never). */
  readonly maxChildMemory: number;
  /** Kill a job whose child exceeds this many MB (0 = no hard cap). */
  readonly hardChildMemory: number;
  /** Requeue (instead of fail) jobs of dead workers found by recovery. */
  readonly requeueOrphans: boolean;
  /** Exit non-zero after this many seconds of continuous Redis outage. */
  readonly redisTimeout: number;
  /**
   * Leave the processes a job started running after its job process ends (a job that daemonises
   * on purpose); by default the job process's process group is stopped when it is replaced or stopped.
   */
  readonly keepJobChildren: boolean;
  /** Seconds between heartbeats (Ruby's 60). */
  readonly heartbeatInterval: number;
  /**
   * Seconds without a heartbeat after which a worker is pruned as dead (Ruby's prune_interval,
   * 300); at least twice heartbeatInterval. A worker starts no job unless it beat within half of it.
   */
  readonly pruneAfter: number;
  /** TERM behaves like QUIT (GRACEFUL_TERM). */
  readonly gracefulTerm: boolean;
  /** Seconds a graceful shutdown (QUIT, or TERM with gracefulTerm) waits for the current job before
   * killing it (its job then fails, or is requeued with requeueOrphans); 0 = wait as long as it takes. */
  readonly shutdownTimeout: number;
}

export const DEFAULTS = {
  count: 1,
  interval: 5,
  blocking: false,
  namespace: 'resque',
  logLevel: 'notice',
  logFormat: 'text',
  slowJobLog: 10,
  once: false,
  maxJobs: 0,
  history: true,
  jobsPerChild: 100000,
  inProcess: false,
  batch: 64,
  timeout: 0,
  killGrace: 5,
  tries: 1,
  retryDelay: 0,
  maxChildMemory: 0,
  hardChildMemory: 0,
  requeueOrphans: false,
  redisTimeout: 300,
  keepJobChildren: false,
  heartbeatInterval: 60,
  pruneAfter: 300,
  gracefulTerm: false,
  shutdownTimeout: 0,
} as const;
