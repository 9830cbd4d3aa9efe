/**
 * `resque start`: work the queues.
 *   1. FLAGS is its flag table (the help prints it, src/cli/args.ts checks the command line
 *      against it); a flag's name is typed, so the resolution below cannot read one it lacks.
 *   2. parse resolves every setting once: flag → php-resque variable (WIRE.md §14.1) → default,
 *      validates it and returns a frozen WorkerConfig; no queue at all is php-resque's exit 1.
 *      The log level: --log-level beats --verbose/--debug and VERBOSE/LOGGING/VVERBOSE; --quiet is
 *      --log-level=warning, and --quiet with --verbose, --debug or another --log-level is an error.
 *   3. run checks the jobs folder (src/cli/jobs-folder.ts) once per started command — in the
 *      supervisor before it forks, or in a worker started on its own, not in supervised workers —
 *      writes the pidfile, then runs the workers in this process (src/worker/fleet.ts: COUNT
 *      default-engine workers, each hosting the job process that is the registered worker, or
 *      one strict / in-process worker), or forks a process per strict / in-process worker
 *      (src/worker/supervisor.ts). The worker code is loaded on demand, so that supervisor does
 *      not load Redis code.
 * Numeric settings take the kind of number src/worker/options.ts assigns them (NUMERIC_SETTINGS),
 * the table the embedded Worker validates its options with.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, LOG_LEVELS, type LogFormat, type LogLevel, type WorkerConfig } from '../../config';
import { OptionError } from '../../errors';
import { parseRedisSpec } from '../../redis/connection';
import { Logger } from '../../log';
import { announceExit, announceStarted, runSupervisor } from '../../worker/supervisor';
import { batches, hostsJobProcesses, runsInThisProcess } from '../../worker/run-where';
import { relaunch, titlesCut } from '../relaunch';
import { supervisorTitle } from '../../proctitle';
import { VERSION } from '../../version';
import { checkCursorFolder } from '../../store/batch-cursor';
import { liveness, NUMERIC_SETTINGS, type NumberKind, type NumericSetting } from '../../worker/options';
import {
  catchOptionErrors, flagBoolean, fromEnv, fromFlag, invalid, noExtraWords, nonEmpty, nonNegative, positive,
  nonNegativeInteger, parseFlags, phpEmpty, positiveInteger, type Source,
} from '../args';
import type { Command, FlagTable, Io, ParseResult } from '../command';
import { checkJobsFolder } from '../jobs-folder';
import { removePidfile, writePidfile } from '../pidfile';
import { parseScheduleFile } from '../../store/schedules';

/** php-resque's bin/resque message (exit 1), followed by our hint. */
export const NO_QUEUE_MESSAGE =
  'Set QUEUE env var containing the list of queues to work.\n(or pass --queue=NAME[,NAME...] to resque start)';

export interface StartOptions {
  readonly config: WorkerConfig;
  /** The command line a COUNT supervisor starts its workers with (`start …`). */
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Started by a supervisor (RESQUE_SUPERVISED=1): no jobs-folder check, no pidfile. */
  readonly supervised: boolean;
  /** --scheduler: this process also moves delayed jobs and fires schedules (src/worker/scheduler.ts). */
  readonly scheduler: boolean;
  /** --schedule=FILE: recurring schedules stored at start. */
  readonly scheduleFile: string | undefined;
}

const D = DEFAULTS;

const FLAGS = [
  { name: 'queue', kind: 'list', value: 'A,B', variables: ['QUEUE'], default: 'required', help: 'queues in priority order; * = all' },
  { name: 'count', kind: 'number', value: 'N', variables: ['COUNT'], default: String(D.count), help: 'worker processes' },
  { name: 'interval', kind: 'number', value: 'SECONDS', variables: ['INTERVAL'], default: String(D.interval), help: 'poll sleep / blocking wait timeout' },
  { name: 'blocking', kind: 'boolean', variables: ['BLOCKING'], variableNote: '(if set)', default: 'off', help: 'block on the queues (BLMOVE) instead of polling' },
  { name: 'pidfile', kind: 'string', value: 'FILE', aliases: ['pid'], variables: ['PIDFILE'], default: 'none', help: 'write the pid to FILE' },
  { name: 'jobs', kind: 'string', value: 'DIR', default: './jobs', help: 'folder of job classes' },
  { name: 'app', kind: 'string', value: 'FILE', variables: ['APP_INCLUDE'], default: 'none', help: 'module loaded first (classes, hooks)' },
  { name: 'prefix', kind: 'string', value: 'NS', variables: ['PREFIX'], default: D.namespace, help: 'Redis key namespace' },
  { name: 'redis', kind: 'string', value: 'URL', variables: ['REDIS_BACKEND'], default: '$REDIS_URL or 127.0.0.1:6379', help: 'host:port, redis[s]://, unix://' },
  { name: 'database', kind: 'number', value: 'N', variables: ['REDIS_BACKEND_DB'], default: '0', help: 'Redis database' },
  { name: 'verbose', kind: 'boolean', variables: ['VERBOSE', 'LOGGING'], default: 'off', help: 'log info too, with timestamps' },
  { name: 'debug', kind: 'boolean', variables: ['VVERBOSE'], default: 'off', help: 'log debug too' },
  { name: 'quiet', kind: 'boolean', default: 'off', help: 'warnings and errors only (= --log-level=warning)' },
  { name: 'log-level', kind: 'string', value: 'LEVEL', default: D.logLevel, help: 'error|warning|notice|info|debug (beats --verbose)' },
  { name: 'log-format', kind: 'string', value: 'text|json', default: D.logFormat, help: 'log line format' },
  { name: 'slow-job-log', kind: 'number', value: 'SECONDS', default: String(D.slowJobLog), help: 'warn once when a job runs longer (0 = off)' },
  { name: 'once', kind: 'boolean', default: 'off', help: 'drain the queues, then exit 0' },
  { name: 'history', kind: 'boolean', default: 'on', help: 'keep per-minute counts and job-duration histograms for charts and metrics (--no-history: off)' },
  { name: 'max-jobs', kind: 'number', value: 'N', default: 'none', help: 'take at most N jobs per worker, then exit 0 (with --once: or when drained)' },
  { name: 'jobs-per-child', kind: 'number', value: 'N', default: String(D.jobsPerChild), help: 'jobs a child runs before renewal' },
  { name: 'in-process', kind: 'boolean', default: 'off', help: 'run jobs in the worker itself' },
  { name: 'batch', kind: 'number', value: 'N', default: String(D.batch), help: 'most jobs taken per round trip' },
  { name: 'timeout', kind: 'number', value: 'SECONDS', default: String(D.timeout), help: 'default job time limit (0 = none)' },
  { name: 'kill-grace', kind: 'number', value: 'SECONDS', default: String(D.killGrace), help: 'TERM to KILL delay for a child' },
  { name: 'tries', kind: 'number', value: 'N', default: String(D.tries), help: 'attempts per failing job (1 = no retry)' },
  { name: 'retry-delay', kind: 'number', value: 'SECONDS', aliases: ['delay'], default: String(D.retryDelay), help: 'wait before a retry' },
  { name: 'max-child-memory', kind: 'number', value: 'MB', default: `${D.maxChildMemory} (never)`, help: 'renew a child above this RSS' },
  { name: 'hard-child-memory', kind: 'number', value: 'MB', default: `${D.hardChildMemory} (never)`, help: 'kill a job above this RSS' },
  { name: 'requeue-orphans', kind: 'boolean', default: 'off', help: 'requeue (not fail) dead workers\' jobs' },
  { name: 'redis-timeout', kind: 'number', value: 'SECONDS', default: String(D.redisTimeout), help: 'exit after this long without Redis' },
  { name: 'graceful-term', kind: 'boolean', variables: ['GRACEFUL_TERM'], default: 'off', help: 'TERM acts like QUIT' },
  { name: 'shutdown-timeout', kind: 'number', value: 'SECONDS', default: String(D.shutdownTimeout), help: 'graceful wait for the current job' },
  { name: 'keep-job-children', kind: 'boolean', default: 'off', help: 'leave running what jobs started' },
  { name: 'heartbeat-interval', kind: 'number', value: 'SECONDS', default: String(D.heartbeatInterval), help: 'seconds between heartbeats' },
  { name: 'prune-after', kind: 'number', value: 'SECONDS', default: String(D.pruneAfter), help: 'prune a worker silent this long (≥ 2 heartbeats)' },
  { name: 'scheduler', kind: 'boolean', default: 'off', help: 'also move delayed jobs and fire schedules (one per host is plenty)' },
  { name: 'schedule', kind: 'string', value: 'FILE', default: 'none', help: 'recurring schedules to store at start (JSON or YAML)' },
] as const satisfies FlagTable;

/** The flags `resque scheduler` shares with start, read the same way (flag → variable → default). */
const SCHEDULER_FLAG_NAMES: ReadonlySet<string> = new Set(['interval', 'pidfile', 'app', 'schedule', 'prefix', 'redis', 'database', 'verbose', 'debug', 'quiet', 'log-level', 'log-format']);

/** The flags of the commands that only talk to Redis (enqueue, delayed, schedules). */
const CLIENT_FLAG_NAMES: ReadonlySet<string> = new Set(['prefix', 'redis', 'database']);
export const CLIENT_FLAGS: FlagTable = FLAGS.filter((f) => CLIENT_FLAG_NAMES.has(f.name));

/** --schedule=FILE, resolved from the working directory. */
export function scheduleFileOf(flags: ReadonlyMap<string, string>, cwd: string): string | undefined {
  const src = fromFlag(flags, 'schedule');
  if (!src) return undefined;
  const file = path.resolve(cwd, nonEmpty(src, 'a file name'));
  // Checked now: a schedule that does not parse is a usage error (exit 2), not a failure later.
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptionError(`--schedule: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  parseScheduleFile(file, text);
  return file;
}
export const SCHEDULER_FLAGS: FlagTable = FLAGS.filter((f) => SCHEDULER_FLAG_NAMES.has(f.name));

/** start's settings from flags parsed against another command's table (a subset of start's). */
export function settingsOf(flags: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, cwd: string): Omit<WorkerConfig, 'queues'> {
  return resolveSettings({ flags, env, cwd });
}

type Name = (typeof FLAGS)[number]['name'];

const SIGNALS = `Signals
  QUIT         finish the current job, then exit
  TERM, INT    exit now: the current child is killed (its job fails as a dirty exit);
               with --graceful-term, TERM acts like QUIT
  USR1         kill the current child, keep working
  USR2         pause: take no more jobs
  CONT         resume after USR2`;

export const startCommand: Command<StartOptions> = {
  name: 'start',
  summary: 'work the queues',
  usage: 'resque start [--queue=NAMES] [flags]',
  flags: FLAGS,
  notes: SIGNALS,
  parse,
  run,
};

// ---- parse: flag → variable → default ----

interface Ctx {
  readonly flags: ReadonlyMap<string, string>;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParseResult<StartOptions> {
  return catchOptionErrors(() => {
    const { flags, words } = parseFlags(argv, FLAGS, startCommand);
    noExtraWords('start', words);
    const ctx: Ctx = { flags, env, cwd };
    const settings = resolveSettings(ctx);
    const queues = resolveQueueList(ctx);
    if (queues === undefined) return { ok: false, exitCode: 1, error: NO_QUEUE_MESSAGE };
    const config: WorkerConfig = Object.freeze({ ...settings, queues: Object.freeze(queues) });
    const supervised = env['RESQUE_SUPERVISED'] === '1';
    const scheduleFile = scheduleFileOf(flags, cwd);
    if (scheduleFile && bool(ctx, 'scheduler') !== true) throw new OptionError('--schedule=FILE is read by the scheduler: add --scheduler (or run resque scheduler --schedule=FILE)');
    return { ok: true, options: { config, argv: ['start', ...argv], env, cwd, supervised, scheduler: bool(ctx, 'scheduler') === true, scheduleFile } };
  });
}

function flag(ctx: Ctx, name: Name): Source | undefined {
  return fromFlag(ctx.flags, name);
}

function bool(ctx: Ctx, name: Name): boolean | undefined {
  return flagBoolean(ctx.flags, name);
}

function resolveSettings(ctx: Ctx): Omit<WorkerConfig, 'queues'> {
  const pidfile = flag(ctx, 'pidfile') ?? fromEnv(ctx.env, 'PIDFILE');
  const app = flag(ctx, 'app') ?? fromEnv(ctx.env, 'APP_INCLUDE');
  const jobs = flag(ctx, 'jobs');
  const prefix = flag(ctx, 'prefix') ?? fromEnv(ctx.env, 'PREFIX');
  return {
    count: number(ctx, 'count', 'COUNT', 'count', D.count),
    interval: interval(ctx),
    blocking: bool(ctx, 'blocking') ?? ctx.env['BLOCKING'] !== undefined,
    pidfile: pidfile ? path.resolve(ctx.cwd, nonEmpty(pidfile, 'a file name')) : undefined,
    jobsDir: path.resolve(ctx.cwd, jobs ? nonEmpty(jobs, 'a folder') : 'jobs'),
    app: app ? path.resolve(ctx.cwd, nonEmpty(app, 'a module path')) : undefined,
    namespace: prefix ? nonEmpty(prefix, 'a key namespace') : D.namespace,
    ...redis(ctx),
    logLevel: logLevel(ctx),
    logFormat: logFormat(ctx),
    slowJobLog: number(ctx, 'slow-job-log', undefined, 'slowJobLog', D.slowJobLog),
    once: bool(ctx, 'once') ?? D.once,
    maxJobs: number(ctx, 'max-jobs', undefined, 'maxJobs', D.maxJobs),
    history: bool(ctx, 'history') ?? D.history,
    jobsPerChild: number(ctx, 'jobs-per-child', undefined, 'jobsPerChild', D.jobsPerChild),
    inProcess: bool(ctx, 'in-process') ?? D.inProcess,
    batch: number(ctx, 'batch', undefined, 'batch', D.batch),
    timeout: number(ctx, 'timeout', undefined, 'timeout', D.timeout),
    killGrace: number(ctx, 'kill-grace', undefined, 'killGrace', D.killGrace),
    tries: number(ctx, 'tries', undefined, 'tries', D.tries),
    retryDelay: number(ctx, 'retry-delay', undefined, 'retryDelay', D.retryDelay),
    maxChildMemory: number(ctx, 'max-child-memory', undefined, 'maxChildMemory', D.maxChildMemory),
    hardChildMemory: number(ctx, 'hard-child-memory', undefined, 'hardChildMemory', D.hardChildMemory),
    requeueOrphans: bool(ctx, 'requeue-orphans') ?? D.requeueOrphans,
    redisTimeout: number(ctx, 'redis-timeout', undefined, 'redisTimeout', D.redisTimeout),
    gracefulTerm: bool(ctx, 'graceful-term') ?? fromEnv(ctx.env, 'GRACEFUL_TERM') !== undefined,
    shutdownTimeout: number(ctx, 'shutdown-timeout', undefined, 'shutdownTimeout', D.shutdownTimeout),
    keepJobChildren: bool(ctx, 'keep-job-children') ?? D.keepJobChildren,
    ...liveness(number(ctx, 'heartbeat-interval', undefined, 'heartbeatInterval', D.heartbeatInterval), number(ctx, 'prune-after', undefined, 'pruneAfter', D.pruneAfter)),
  };
}

/** QUEUE is split on `,` exactly as php-resque does (no trimming); the list becomes the worker id. */
function resolveQueueList(ctx: Ctx): string[] | undefined {
  const src = flag(ctx, 'queue') ?? fromEnv(ctx.env, 'QUEUE');
  if (src === undefined) return undefined;
  return nonEmpty(src, 'a comma-separated list of queue names').split(',');
}

/** INTERVAL: php's empty() — unset, `` and `0` all mean the default. */
function interval(ctx: Ctx): number {
  const src = flag(ctx, 'interval') ?? fromEnv(ctx.env, 'INTERVAL', phpEmpty);
  return src ? PARSERS[NUMERIC_SETTINGS.interval](src) : D.interval;
}

/** REDIS_URL is read by the connection code; REDIS_BACKEND_DB only counts with REDIS_BACKEND. */
function redis(ctx: Ctx): { redis: string | undefined; database: number | undefined } {
  const dbFlag = flag(ctx, 'database');
  const database = dbFlag ? PARSERS[NUMERIC_SETTINGS.database](dbFlag) : undefined;
  const redisFlag = flag(ctx, 'redis');
  if (redisFlag) return { redis: redisAddress(redisFlag), database };
  const backend = ctx.env['REDIS_URL'] ? undefined : fromEnv(ctx.env, 'REDIS_BACKEND');
  if (!backend) return { redis: undefined, database };
  redisAddress(backend);
  const dbVar = fromEnv(ctx.env, 'REDIS_BACKEND_DB', phpEmpty);
  return { redis: backend.text, database: database ?? (dbVar ? PARSERS[NUMERIC_SETTINGS.database](dbVar) : undefined) };
}

/** A Redis address that parses (a bad one is a usage error naming its flag or variable). */
function redisAddress(src: Source): string {
  const text = nonEmpty(src, 'a Redis address');
  try {
    parseRedisSpec(text);
  } catch (e) {
    if (e instanceof OptionError) throw invalid(src, `a redis://, rediss://, tcp:// or unix:// address, or host:port: ${e.message}`);
    throw e;
  }
  return text;
}

/** --quiet (= warning) → --log-level → --debug / VVERBOSE (debug) → --verbose / VERBOSE / LOGGING (info) → notice. */
function logLevel(ctx: Ctx): LogLevel {
  const explicit = explicitLogLevel(ctx);
  if (bool(ctx, 'quiet') === true) return quietLevel(ctx, explicit);
  if (explicit !== undefined) return explicit;
  const debug = bool(ctx, 'debug') ?? fromEnv(ctx.env, 'VVERBOSE') !== undefined;
  if (debug) return 'debug';
  const verbose = bool(ctx, 'verbose') ?? (fromEnv(ctx.env, 'VERBOSE') ?? fromEnv(ctx.env, 'LOGGING')) !== undefined;
  return verbose ? 'info' : D.logLevel;
}

function explicitLogLevel(ctx: Ctx): LogLevel | undefined {
  const src = flag(ctx, 'log-level');
  if (src === undefined) return undefined;
  const level = LOG_LEVELS.find((l) => l === src.text);
  if (level === undefined) throw invalid(src, LOG_LEVELS.join(', '));
  return level;
}

/** --quiet is --log-level=warning: a flag asking for more on the same command line contradicts it. */
function quietLevel(ctx: Ctx, explicit: LogLevel | undefined): LogLevel {
  const louder = bool(ctx, 'debug') === true ? '--debug'
    : bool(ctx, 'verbose') === true ? '--verbose'
      : explicit !== undefined && explicit !== 'warning' ? `--log-level=${explicit}` : undefined;
  if (louder !== undefined) throw new OptionError(`Conflicting flags --quiet and ${louder} (--quiet is --log-level=warning; give one of them).`);
  return 'warning';
}

function logFormat(ctx: Ctx): LogFormat {
  const src = flag(ctx, 'log-format');
  if (src === undefined) return D.logFormat;
  if (src.text === 'text' || src.text === 'json') return src.text;
  throw invalid(src, '"text" or "json"');
}

/** The flag's text parsers by kind of number; which setting takes which kind is NUMERIC_SETTINGS. */
const PARSERS: Readonly<Record<NumberKind, (src: Source) => number>> = {
  'positive-integer': positiveInteger,
  'non-negative-integer': nonNegativeInteger,
  'non-negative': nonNegative,
  positive,
};

function number(ctx: Ctx, name: Name, variable: string | undefined, setting: NumericSetting, fallback: number): number {
  const src = flag(ctx, name) ?? (variable === undefined ? undefined : fromEnv(ctx.env, variable));
  return src ? PARSERS[NUMERIC_SETTINGS[setting]](src) : fallback;
}

// ---- run ----

async function run(options: StartOptions, io: Io): Promise<number> {
  const { config, supervised } = options;
  // Titles that the command line cannot hold: start again with room for them (src/cli/relaunch.ts).
  if (!supervised && titlesCut(titleBytes(config), options.env, io.launcher)) return relaunch(io.launcher as string, options.argv, options.env);
  const logger = new Logger({ level: config.logLevel, format: config.logFormat, stream: io.stdout });
  if (!supervised) {
    const folder = checkJobsFolder(config, options.argv, options.cwd);
    if (folder.level === 'error') {
      io.stderr.write(`${folder.message}\n`);
      return 2; // a usage error, like a bad flag value
    }
    if (folder.level === 'warning') logger.warning(folder.message);
    // Batches record their progress in a local file: a folder that cannot take it is a set-up error.
    const cursors = batches(config) ? checkCursorFolder() : undefined;
    if (cursors) {
      io.stderr.write(`${cursors.message}\n`);
      return 2;
    }
  }
  const pidfile = supervised ? undefined : config.pidfile;
  if (pidfile !== undefined && !writePidfile(pidfile, io, logger)) return 1;
  // --scheduler: the started process moves delayed jobs too (its supervised workers never do).
  const mover = options.scheduler && !supervised ? (require('../../worker/scheduler') as typeof import('../../worker/scheduler')).startScheduler({ ...config, scheduleFile: options.scheduleFile }, logger) : undefined;
  try {
    if (config.count > 1 && !supervised && !runsInThisProcess(config)) return await runSupervisor({ config, logger, argv: options.argv, env: options.env });
    // Loaded here, not at the top: a supervisor of worker processes never needs Redis code.
    const { runFleet } = require('../../worker/fleet') as typeof import('../../worker/fleet');
    const exit = await runFleet(supervised ? { ...config, count: 1 } : config, logger, supervised ? { onStarted: announceStarted } : {});
    // A supervised worker says it is leaving on purpose (or that Redis is out): any other exit is a crash to its supervisor.
    if (supervised) await announceExit(exit.code, exit.redisDown, exit.restart === true);
    else if (exit.restart) logger.notice('*** Ended for a restart (resque restart): the service manager starts the new code (systemd: Restart=always)');
    return exit.code;
  } catch (e) {
    logger.error((e as Error).message);
    return 1;
  } finally {
    await mover?.stop();
    if (pidfile !== undefined) removePidfile(pidfile);
  }
}

/**
 * The bytes this process's titles need: the host's or supervisor's `Supervising N workers for Q`,
 * or, when it is the worker itself, `Processing Q since T [Class]` (classes vary: room for 128).
 */
function titleBytes(config: WorkerConfig): number {
  const fixed = config.count > 1 || hostsJobProcesses(config);
  return fixed ? Buffer.byteLength(supervisorTitle(VERSION, config.count, config.queues)) : 128;
}
