/**
 * The embedded Worker's options (the CLI's `resque start` flags, camelCased and typed) and how
 * they become the one WorkerConfig every engine reads, with the CLI's defaults (DEFAULTS):
 *   1. NUMERIC_SETTINGS: which numeric setting takes which kind of number — the one table the
 *      CLI's flag parsing (src/cli/commands/start.ts) and resolveWorkerOptions both read;
 *   2. WorkerOptions / WorkerPoolOptions: the public option types;
 *   3. resolveWorkerOptions: validates every option (an OptionError names the option and the
 *      value) and returns the config, the jobs map, the log settings and the jobs-folder check to
 *      run at start. Pure: reads only its arguments;
 *   4. jobs given as a map of classes run in this process (classes cannot be sent to a child
 *      process), so a map with a child-process option (inProcess: false, timeout, killGrace,
 *      maxChildMemory, hardChildMemory, jobsPerChild) is an OptionError;
 *   5. INTERNAL: what the CLI and the pool's worker processes add (their own logger, a folder
 *      check already done); not part of the public API.
 */
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { DEFAULTS, LOG_LEVELS, type LogFormat, type LogLevel, type WorkerConfig } from '../config';
import { OptionError } from '../errors';
import { Logger } from '../log';
import type { JobClass } from '../job/types';
import type { FolderOrigin, FolderSubject } from './jobs-folder';

// ---- 1. numbers ----

export type NumberKind = 'positive-integer' | 'non-negative-integer' | 'non-negative' | 'positive';

/** What each kind accepts, and how an error says it (the CLI's words). */
export const NUMBER_KINDS: Readonly<Record<NumberKind, { readonly expected: string; accepts(n: number): boolean }>> = {
  'positive-integer': { expected: 'a positive integer', accepts: (n) => Number.isSafeInteger(n) && n >= 1 },
  'non-negative-integer': { expected: 'a whole number, 0 or more', accepts: (n) => Number.isSafeInteger(n) && n >= 0 },
  'non-negative': { expected: 'a number, 0 or more', accepts: (n) => Number.isFinite(n) && n >= 0 },
  positive: { expected: 'a number above 0', accepts: (n) => Number.isFinite(n) && n > 0 },
};

/** Every numeric setting and its kind (the CLI flag of each is its kebab-case name; `database` is --database). */
export const NUMERIC_SETTINGS = {
  count: 'positive-integer',
  interval: 'non-negative',
  database: 'non-negative-integer',
  slowJobLog: 'non-negative',
  jobsPerChild: 'positive-integer',
  maxJobs: 'non-negative-integer',
  batch: 'positive-integer',
  timeout: 'non-negative',
  killGrace: 'non-negative',
  tries: 'positive-integer',
  retryDelay: 'non-negative',
  maxChildMemory: 'non-negative',
  hardChildMemory: 'non-negative',
  redisTimeout: 'non-negative',
  shutdownTimeout: 'non-negative',
  heartbeatInterval: 'positive',
  pruneAfter: 'positive',
} as const satisfies Record<string, NumberKind>;

export type NumericSetting = keyof typeof NUMERIC_SETTINGS;

// ---- 2. the public options ----

/** `logLevel` of an embedded worker: a Logger level, or `silent` (the default: nothing printed). */
export type WorkerLogLevel = LogLevel | 'silent';

/**
 * Options of `new Worker(…)`: the flags of `resque start`, camelCased, with the same defaults.
 * Only `queues` is required.
 */
export interface WorkerOptions {
  /** Queues in priority order; `*` = every queue (`--queue`). A name may not hold `,`. */
  readonly queues: readonly string[];
  /** `host:port`, `redis[s]://…`, `tcp://…`, `unix:///path` (`--redis`). Default: `REDIS_URL`, else `127.0.0.1:6379`. */
  readonly redis?: string;
  /** Database when `redis` names none (`--database`). */
  readonly database?: number;
  /** Key namespace (`--prefix`, `new Resque({ namespace })`). Default `resque`. */
  readonly namespace?: string;
  /** Seconds between polls, or the blocking wait (`--interval`). Default 5. */
  readonly interval?: number;
  /** Blocking reserve with BLMOVE (`--blocking`). Default false. */
  readonly blocking?: boolean;
  /** Folder of job classes, resolved from the working directory (`--jobs`). Default `./jobs`. Checked at start(). */
  readonly jobsDir?: string;
  /**
   * Job classes by Resque class name, given in code. They run in this process (classes cannot
   * be sent to a child process): `inProcess` is implied, and child-process options are refused.
   */
  readonly jobs?: Readonly<Record<string, JobClass>>;
  /** Module loaded first in every process that runs jobs: `{ jobs, hooks, failureBackend }` (`--app`). */
  readonly app?: string;
  /** Most jobs taken in one round trip (`--batch`). Default 64. */
  readonly batch?: number;
  /** Default job time limit in seconds, 0 = none (`--timeout`). Default 0. Child processes only. */
  readonly timeout?: number;
  /** Seconds between TERM and KILL (`--kill-grace`). Default 5. Child processes only. */
  readonly killGrace?: number;
  /** Attempts in all for a failing job (`--tries`, default 1: no retry); a class's `static retry` wins. */
  readonly tries?: number;
  /** Seconds before a retry (`--retry-delay`). */
  readonly retryDelay?: number;
  /** Replace the job process after its job once its RSS is above this many MB, 0 = never (`--max-child-memory`). */
  readonly maxChildMemory?: number;
  /** Kill the job process at once above this many MB, 0 = never (`--hard-child-memory`). */
  readonly hardChildMemory?: number;
  /** Jobs a job process runs before it is replaced; 1 = a fresh process per job (`--jobs-per-child`). Default 100000. */
  readonly jobsPerChild?: number;
  /** Run jobs in this process, with no isolation (`--in-process`). Default false (true with `jobs`). */
  readonly inProcess?: boolean;
  /** Requeue instead of fail the jobs of dead workers and of a shutdown timeout (`--requeue-orphans`). */
  readonly requeueOrphans?: boolean;
  /** Stop (`stopped` with an error) after this many seconds without Redis, 0 = never (`--redis-timeout`). Default 300. */
  readonly redisTimeout?: number;
  /** How long a graceful stop waits for the current job, 0 = no limit (`--shutdown-timeout`). Default 0. */
  readonly shutdownTimeout?: number;
  /** Leave running what a job started after its job process ends (`--keep-job-children`). Default false: its process group is stopped. */
  readonly keepJobChildren?: boolean;
  /** Seconds between heartbeats (`--heartbeat-interval`). Default 60. */
  readonly heartbeatInterval?: number;
  /** Seconds without a heartbeat before a worker is pruned as dead, at least 2 × heartbeatInterval (`--prune-after`). Default 300. */
  readonly pruneAfter?: number;
  /** Warn once about a job running longer than this, 0 = off (`--slow-job-log`). Default 10. */
  readonly slowJobLog?: number;
  /** Drain the queues, then stop by itself (`--once`). Default false. */
  readonly once?: boolean;
  /** Take at most this many jobs, then stop by itself (`--max-jobs`, InstantCMS's cron batches); 0 = no limit (default). */
  readonly maxJobs?: number;
  /** Write our history for charts and metrics with each settle (`--no-history` turns it off). Default true. */
  readonly history?: boolean;
  /** The worker's log: `silent` (default: nothing printed), or the most detailed level printed (`--log-level`). */
  readonly logLevel?: WorkerLogLevel;
  /** `text` (php-resque's lines) or `json` (`--log-format`). Default `text`. */
  readonly logFormat?: LogFormat;
  /** Where log lines go when not silent. Default `process.stdout`. */
  readonly logStream?: NodeJS.WritableStream;
  /**
   * Set this process's title to `resque-VERSION: Waiting for …` / `Processing …`, as the CLI does.
   * Default false (the title belongs to the host app). php-resque and Ruby workers starting on
   * the same host unregister workers whose process line lacks `resque`: set it when they do.
   */
  readonly processTitle?: boolean;
}

/** Options of `new WorkerPool(…)`: a Worker's, plus how many worker processes. No `jobs` map (see WorkerPool). */
export interface WorkerPoolOptions extends Omit<WorkerOptions, 'jobs' | 'processTitle'> {
  /** Worker processes to run (`--count`), at least 1. */
  readonly count: number;
}

// ---- 5. the internal seam ----

/** Key of what the CLI and the pool's worker processes add to the options (not public API). */
export const INTERNAL: unique symbol = Symbol('resque-ts.worker-internal');

export interface InternalExtras {
  /** A logger of the caller's (the CLI's, to its stdout): used instead of logLevel / logStream. */
  readonly logger?: Logger;
  /** The caller checked the jobs folder already (the CLI, in its own words; a pool, once). */
  readonly folderChecked?: boolean;
}

export type InternalWorkerOptions = WorkerOptions & { readonly [INTERNAL]?: InternalExtras };

// ---- 3. resolution ----

/** How the job process logs: as the worker's own logger, to this process's stdout, the worker, or nowhere. */
export interface ResolvedLog {
  readonly logger: Logger;
  readonly logTo: 'stdout' | 'parent' | 'nowhere';
  /** Writes the job process's text when logTo is 'parent'. */
  readonly sink: ((text: string) => void) | undefined;
}

export interface ResolvedWorker {
  readonly config: WorkerConfig;
  readonly jobs: Readonly<Record<string, JobClass>> | undefined;
  readonly log: ResolvedLog;
  readonly processTitle: boolean;
  /** The jobs-folder check start() runs (undefined: the caller did it). */
  readonly folder: { readonly subject: FolderSubject; readonly origin: FolderOrigin } | undefined;
}

const CHILD_ONLY = ['timeout', 'killGrace', 'maxChildMemory', 'hardChildMemory', 'jobsPerChild'] as const;

/** Options → WorkerConfig and the rest; throws OptionError naming the option. */
export function resolveWorkerOptions(options: InternalWorkerOptions, cwd: string = process.cwd()): ResolvedWorker {
  if (options === null || typeof options !== 'object') throw new OptionError('Worker options must be an object ({ queues: [...] }).');
  const jobs = jobsMap(options.jobs);
  if (jobs) refuseChildOptions(options);
  const jobsDir = optionalString(options, 'jobsDir');
  const app = optionalString(options, 'app');
  const level = logLevel(options.logLevel);
  const config: WorkerConfig = Object.freeze({
    queues: queueList(options.queues),
    count: 1,
    pidfile: undefined,
    gracefulTerm: false,
    interval: num(options, 'interval', DEFAULTS.interval),
    blocking: bool(options, 'blocking', DEFAULTS.blocking),
    jobsDir: path.resolve(cwd, jobsDir ?? 'jobs'),
    app: app === undefined ? undefined : path.resolve(cwd, app),
    namespace: optionalString(options, 'namespace') ?? DEFAULTS.namespace,
    redis: optionalString(options, 'redis'),
    database: options.database === undefined ? undefined : num(options, 'database', 0),
    logLevel: level === 'silent' ? 'error' : level,
    logFormat: logFormat(options.logFormat),
    slowJobLog: num(options, 'slowJobLog', DEFAULTS.slowJobLog),
    once: bool(options, 'once', DEFAULTS.once),
    maxJobs: num(options, 'maxJobs', DEFAULTS.maxJobs),
    history: bool(options, 'history', DEFAULTS.history),
    jobsPerChild: num(options, 'jobsPerChild', DEFAULTS.jobsPerChild),
    inProcess: jobs ? true : bool(options, 'inProcess', DEFAULTS.inProcess),
    batch: num(options, 'batch', DEFAULTS.batch),
    timeout: num(options, 'timeout', DEFAULTS.timeout),
    killGrace: num(options, 'killGrace', DEFAULTS.killGrace),
    tries: num(options, 'tries', DEFAULTS.tries),
    retryDelay: num(options, 'retryDelay', DEFAULTS.retryDelay),
    maxChildMemory: num(options, 'maxChildMemory', DEFAULTS.maxChildMemory),
    hardChildMemory: num(options, 'hardChildMemory', DEFAULTS.hardChildMemory),
    requeueOrphans: bool(options, 'requeueOrphans', DEFAULTS.requeueOrphans),
    redisTimeout: num(options, 'redisTimeout', DEFAULTS.redisTimeout),
    shutdownTimeout: num(options, 'shutdownTimeout', DEFAULTS.shutdownTimeout),
    keepJobChildren: bool(options, 'keepJobChildren', DEFAULTS.keepJobChildren),
    ...liveness(num(options, 'heartbeatInterval', DEFAULTS.heartbeatInterval), num(options, 'pruneAfter', DEFAULTS.pruneAfter)),
  });
  const extras = options[INTERNAL];
  return {
    config,
    jobs,
    log: resolveLog(options, level, config.logFormat, extras?.logger),
    processTitle: bool(options, 'processTitle', false),
    folder: extras?.folderChecked ? undefined : folderCheck(config, jobsDir, cwd, jobs !== undefined),
  };
}

/** The options that give a Worker exactly `config` (what `resque start` parsed), processTitle on. */
export function optionsFromConfig(config: WorkerConfig): WorkerOptions {
  return {
    queues: config.queues, redis: config.redis, database: config.database, namespace: config.namespace,
    interval: config.interval, blocking: config.blocking, jobsDir: config.jobsDir, app: config.app,
    batch: config.batch, timeout: config.timeout, killGrace: config.killGrace, tries: config.tries, retryDelay: config.retryDelay, maxChildMemory: config.maxChildMemory,
    hardChildMemory: config.hardChildMemory, jobsPerChild: config.jobsPerChild, inProcess: config.inProcess,
    requeueOrphans: config.requeueOrphans, redisTimeout: config.redisTimeout, shutdownTimeout: config.shutdownTimeout,
    heartbeatInterval: config.heartbeatInterval, pruneAfter: config.pruneAfter, keepJobChildren: config.keepJobChildren,
    slowJobLog: config.slowJobLog, once: config.once, maxJobs: config.maxJobs, history: config.history, logLevel: config.logLevel, logFormat: config.logFormat, processTitle: true,
  };
}

/**
 * The heartbeat interval and the prune age, checked together: a worker pruned after fewer than
 * two heartbeat intervals would be pruned while alive (a worker starts no job unless it beat
 * within half the prune age, so that half must hold a heartbeat).
 */
export function liveness(heartbeatInterval: number, pruneAfter: number): { heartbeatInterval: number; pruneAfter: number } {
  if (pruneAfter < 2 * heartbeatInterval) {
    throw new OptionError(`Invalid value for option prune-after: ${pruneAfter} (expected at least twice the heartbeat interval, ${2 * heartbeatInterval} s).`);
  }
  return { heartbeatInterval, pruneAfter };
}

/** The error message of a bad numeric value, in the CLI's words. */
export function invalidNumber(name: string, value: unknown, kind: NumberKind): OptionError {
  return new OptionError(`Invalid value for option ${name}: ${show(value)} (expected ${NUMBER_KINDS[kind].expected}).`);
}

function num(options: WorkerOptions, name: NumericSetting & keyof WorkerOptions, fallback: number): number {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  const kind = NUMERIC_SETTINGS[name];
  if (typeof value !== 'number' || !NUMBER_KINDS[kind].accepts(value)) throw invalidNumber(name, value, kind);
  return value;
}

type BooleanOption = 'blocking' | 'once' | 'inProcess' | 'requeueOrphans' | 'processTitle' | 'keepJobChildren' | 'history';

function bool(options: WorkerOptions, name: BooleanOption, fallback: boolean): boolean {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new OptionError(`Invalid value for option ${name}: ${show(value)} (expected true or false).`);
  return value;
}

function optionalString(options: WorkerOptions, name: 'jobsDir' | 'app' | 'namespace' | 'redis'): string | undefined {
  const value: unknown = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new OptionError(`Invalid value for option ${name}: ${show(value)} (expected a non-empty string).`);
  return value;
}

function queueList(value: unknown): readonly string[] {
  // As the CLI's --queue, split on `,` without trimming: an empty name is allowed, a `,` is not (it would split the id).
  const ok = Array.isArray(value) && value.length > 0 && value.every((q) => typeof q === 'string' && !q.includes(','));
  if (!ok) throw new OptionError(`Invalid value for option queues: ${show(value)} (expected a non-empty array of queue names without ",", e.g. ['default']).`);
  return Object.freeze([...(value as string[])]);
}

function logLevel(value: unknown): WorkerLogLevel {
  if (value === undefined) return 'silent';
  const level = [...LOG_LEVELS, 'silent' as const].find((l) => l === value);
  if (level === undefined) throw new OptionError(`Invalid value for option logLevel: ${show(value)} (expected silent, ${LOG_LEVELS.join(', ')}).`);
  return level;
}

function logFormat(value: unknown): LogFormat {
  if (value === undefined) return DEFAULTS.logFormat;
  if (value === 'text' || value === 'json') return value;
  throw new OptionError(`Invalid value for option logFormat: ${show(value)} (expected "text" or "json").`);
}

function jobsMap(value: unknown): Readonly<Record<string, JobClass>> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionError(`Invalid value for option jobs: ${show(value)} (expected an object of job classes by class name).`);
  }
  const out: Record<string, JobClass> = {};
  for (const [name, cls] of Object.entries(value as Record<string, unknown>)) {
    if (typeof cls !== 'function') throw new OptionError(`Invalid value for option jobs: jobs[${JSON.stringify(name)}] is not a class.`);
    out[name] = cls as JobClass;
  }
  return Object.freeze(out);
}

/** A map runs in-process: refuse what only child processes do. */
function refuseChildOptions(options: WorkerOptions): void {
  const given = CHILD_ONLY.filter((k) => options[k] !== undefined);
  if (options.inProcess === false) given.unshift('inProcess: false' as never);
  if (given.length === 0) return;
  throw new OptionError(
    `Option jobs (a map of classes) runs its jobs in this process, since classes cannot be sent to a child process; ` +
    `${given.join(', ')} ${given.length === 1 ? 'needs' : 'need'} child processes. ` +
    'For child processes, give jobsDir (a folder of job files) or app (a module whose jobs map holds the classes) instead of jobs.',
  );
}

function resolveLog(options: WorkerOptions, level: WorkerLogLevel, format: LogFormat, given: Logger | undefined): ResolvedLog {
  if (given) return { logger: given, logTo: 'stdout', sink: undefined };
  if (level === 'silent') return { logger: new Logger({ level: 'error', format, stream: discard() }), logTo: 'nowhere', sink: undefined };
  const stream: unknown = options.logStream;
  if (stream !== undefined && (stream === null || typeof (stream as { write?: unknown }).write !== 'function')) {
    throw new OptionError(`Invalid value for option logStream: ${show(stream)} (expected a writable stream).`);
  }
  const out = (stream as NodeJS.WritableStream | undefined) ?? process.stdout;
  const logger = new Logger({ level, format, stream: out });
  if (out === process.stdout) return { logger, logTo: 'stdout', sink: undefined };
  return { logger, logTo: 'parent', sink: (text) => { try { out.write(text); } catch { /* a broken stream loses the line */ } } };
}

function discard(): Writable {
  return new Writable({ write(_chunk, _enc, done) { done(); } });
}

function folderCheck(config: WorkerConfig, given: string | undefined, cwd: string, registry: boolean): ResolvedWorker['folder'] {
  const origin: FolderOrigin = {
    given: given !== undefined,
    text: given === undefined
      ? `the default jobsDir "jobs", resolved from the working directory ${cwd}`
      : path.isAbsolute(given) ? `option jobsDir` : `option jobsDir "${given}", resolved from the working directory ${cwd}`,
    hint: 'Set the jobsDir option (absolute, or relative to the working directory), or give the classes as jobs.',
    appTerm: 'the app module (option app) or the jobs option',
  };
  return { subject: { jobsDir: config.jobsDir, app: config.app, registry }, origin };
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
