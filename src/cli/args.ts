/**
 * Command line + environment → one parsed command. Pure: reads only its arguments.
 *   1. prepare() rewrites boolean and short flags to `--name=1|0`, so `--debug=0`, `--no-blocking`
 *      and "not given" stay distinct and a boolean never swallows the next word.
 *   2. minimist collects the values; unknown flags and stray words are errors (exit 2).
 *   3. --help and --version win; then the command: start | demo | help | version.
 *   4. start resolves every setting once: flag → php-resque variable (WIRE.md §14.1) → default,
 *      validates it and returns a frozen WorkerConfig.
 *   5. the log level: --log-level beats --verbose/--debug and VERBOSE/LOGGING/VVERBOSE; --quiet is
 *      --log-level=warning, and --quiet with --verbose, --debug or another --log-level is an error.
 * Errors name the flag or variable and the bad value; no queue at all is php-resque's exit 1.
 */
import minimist from 'minimist';
import * as path from 'node:path';
import { DEFAULTS, LOG_LEVELS, type LogFormat, type LogLevel, type WorkerConfig } from '../config';
import { OptionError } from '../errors';
import { USAGE_LINE, usage, version } from './usage';

export type ParsedCommand =
  | { command: 'start'; config: WorkerConfig }
  | { command: 'help'; text: string }
  | { command: 'version'; text: string }
  | { command: 'demo'; redis?: string }
  | { command: 'error'; message: string; exitCode: 1 | 2 };

/** php-resque's bin/resque message (exit 1), followed by our hint. */
export const NO_QUEUE_MESSAGE =
  'Set QUEUE env var containing the list of queues to work.\n(or pass --queue=NAME[,NAME...] to resque start)';

const BOOLEAN_FLAGS: ReadonlySet<string> = new Set([
  'blocking', 'verbose', 'debug', 'quiet', 'once', 'in-process', 'requeue-orphans', 'graceful-term', 'help', 'version',
]);
const VALUE_FLAGS: ReadonlySet<string> = new Set([
  'queue', 'count', 'interval', 'pidfile', 'pid', 'jobs', 'app', 'prefix', 'redis', 'database', 'log-format',
  'jobs-per-child', 'timeout', 'kill-grace', 'max-child-memory', 'hard-child-memory', 'redis-timeout',
  'shutdown-timeout', 'batch', 'log-level', 'slow-job-log',
]);
const SHORT_FLAGS: Readonly<Record<string, string>> = { h: 'help', V: 'version' };
const FALSE_WORDS: ReadonlySet<string> = new Set(['', '0', 'false', 'no', 'off']);
const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'yes', 'on']);

/** Where a value came from (`--count` or `COUNT`) and its text. */
interface Source { readonly name: string; readonly text: string }

interface Ctx {
  /** Flags given, by name: the last value (`queue`: every value, joined with `,`). */
  readonly flags: ReadonlyMap<string, string>;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParsedCommand {
  try {
    const { flags, words } = collect(prepare(argv));
    if (flags.get('help') === '1') return { command: 'help', text: usage() };
    if (flags.get('version') === '1') return { command: 'version', text: version() };
    return dispatch({ flags, env, cwd }, words);
  } catch (err) {
    if (err instanceof OptionError) return { command: 'error', exitCode: 2, message: `${err.message}\n${USAGE_LINE}` };
    throw err;
  }
}

function dispatch(ctx: Ctx, words: readonly string[]): ParsedCommand {
  const [command, ...rest] = words;
  switch (command) {
    case undefined:
      throw new OptionError('No command given.');
    case 'help':
      return { command: 'help', text: usage() };
    case 'version':
      return { command: 'version', text: version() };
    case 'demo':
      noExtraWords(command, rest);
      return demo(ctx);
    case 'start':
      noExtraWords(command, rest);
      return start(ctx);
    default:
      throw new OptionError(`Unknown command "${command}".`);
  }
}

function noExtraWords(command: string, rest: readonly string[]): void {
  if (rest.length > 0) throw new OptionError(`Unexpected argument "${rest[0] ?? ''}" after "${command}".`);
}

// ---- 1. prepare: booleans and short flags ----

function prepare(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] ?? '';
    const next = argv[i + 1];
    if (token === '--') return out.concat(argv.slice(i));
    if (isValueFlagAwaitingNegative(token, next)) {
      out.push(`${token}=${next ?? ''}`); // `--count -1`: report the bad number, not a flag "-1"
      i += 1;
    } else if (token.startsWith('--')) {
      out.push(prepareLong(token));
    } else if (token.startsWith('-') && token !== '-') {
      out.push(...prepareShort(token));
    } else {
      out.push(token);
    }
  }
  return out;
}

function isValueFlagAwaitingNegative(token: string, next: string | undefined): boolean {
  return next !== undefined && /^-[\d.]/.test(next) && VALUE_FLAGS.has(token.slice(2)) && token.startsWith('--');
}

function prepareLong(token: string): string {
  const eq = token.indexOf('=');
  const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
  const value = eq < 0 ? undefined : token.slice(eq + 1);
  if (BOOLEAN_FLAGS.has(name)) return `--${name}=${value === undefined ? '1' : booleanText(name, value)}`;
  const base = name.startsWith('no-') ? name.slice(3) : undefined;
  if (base !== undefined && BOOLEAN_FLAGS.has(base)) {
    if (value !== undefined) throw new OptionError(`Invalid value for --${name}: "${value}" (--${name} takes no value).`);
    return `--${base}=0`;
  }
  if (base !== undefined && VALUE_FLAGS.has(base)) {
    throw new OptionError(`Unknown flag --${name} (--${base} takes a value, it has no --no- form).`);
  }
  return token;
}

function booleanText(name: string, value: string): '1' | '0' {
  const v = value.trim().toLowerCase();
  if (FALSE_WORDS.has(v) || (/^[+-]?\d+$/.test(v) && Number(v) === 0)) return '0';
  if (TRUE_WORDS.has(v) || /^[+-]?\d+$/.test(v)) return '1';
  throw new OptionError(`Invalid value for --${name}: ${JSON.stringify(value)} (expected 1/0, true/false, yes/no or on/off).`);
}

function prepareShort(token: string): string[] {
  return [...token.slice(1)].map((letter) => {
    const long = SHORT_FLAGS[letter];
    if (long === undefined) throw new OptionError(`Unknown flag -${letter}.`);
    return `--${long}=1`;
  });
}

// ---- 2. collect: minimist ----

function collect(args: readonly string[]): { flags: Map<string, string>; words: string[] } {
  const unknown: string[] = [];
  const parsed: Record<string, unknown> = minimist([...args], {
    string: [...BOOLEAN_FLAGS, ...VALUE_FLAGS, '_'],
    alias: { pid: 'pidfile' },
    unknown: (arg: string) => {
      const isFlag = arg.startsWith('-') && arg !== '-';
      if (isFlag) unknown.push(arg.split('=')[0] ?? arg);
      return !isFlag;
    },
  });
  if (unknown.length > 0) throw new OptionError(`Unknown flag ${unknown.join(', ')}.`);
  const flags = new Map<string, string>();
  for (const [key, raw] of Object.entries(parsed)) {
    if (key === '_' || key === 'pid') continue;
    const list = (Array.isArray(raw) ? raw : [raw]).map(String);
    flags.set(key, key === 'queue' ? list.join(',') : list[list.length - 1] ?? '');
  }
  const words = Array.isArray(parsed['_']) ? parsed['_'].map(String) : [];
  return { flags, words };
}

// ---- 3. demo ----

function demo(ctx: Ctx): ParsedCommand {
  for (const name of ctx.flags.keys()) {
    if (name !== 'redis' && name !== 'help' && name !== 'version') {
      throw new OptionError(`Flag --${name} does not apply to "demo" (only --redis does).`);
    }
  }
  const src = fromFlag(ctx, 'redis');
  return src ? { command: 'demo', redis: nonEmpty(src, 'a Redis address') } : { command: 'demo' };
}

// ---- 4. start: flag → variable → default ----

function start(ctx: Ctx): ParsedCommand {
  const settings = resolveSettings(ctx);
  const queues = resolveQueueList(ctx);
  if (queues === undefined) return { command: 'error', exitCode: 1, message: NO_QUEUE_MESSAGE };
  const config: WorkerConfig = { ...settings, queues: Object.freeze(queues) };
  return { command: 'start', config: Object.freeze(config) };
}

function resolveSettings(ctx: Ctx): Omit<WorkerConfig, 'queues'> {
  const pidfile = fromFlag(ctx, 'pidfile') ?? fromEnv(ctx, 'PIDFILE');
  const app = fromFlag(ctx, 'app') ?? fromEnv(ctx, 'APP_INCLUDE');
  const jobs = fromFlag(ctx, 'jobs');
  const prefix = fromFlag(ctx, 'prefix') ?? fromEnv(ctx, 'PREFIX');
  return {
    count: number(ctx, 'count', 'COUNT', positiveInteger, DEFAULTS.count),
    interval: interval(ctx),
    blocking: flagBoolean(ctx, 'blocking') ?? ctx.env['BLOCKING'] !== undefined,
    pidfile: pidfile ? path.resolve(ctx.cwd, nonEmpty(pidfile, 'a file name')) : undefined,
    jobsDir: path.resolve(ctx.cwd, jobs ? nonEmpty(jobs, 'a folder') : 'jobs'),
    app: app ? path.resolve(ctx.cwd, nonEmpty(app, 'a module path')) : undefined,
    namespace: prefix ? nonEmpty(prefix, 'a key namespace') : DEFAULTS.namespace,
    ...redis(ctx),
    logLevel: logLevel(ctx),
    logFormat: logFormat(ctx),
    slowJobLog: number(ctx, 'slow-job-log', undefined, nonNegative, DEFAULTS.slowJobLog),
    once: flagBoolean(ctx, 'once') ?? DEFAULTS.once,
    jobsPerChild: number(ctx, 'jobs-per-child', undefined, positiveInteger, DEFAULTS.jobsPerChild),
    inProcess: flagBoolean(ctx, 'in-process') ?? DEFAULTS.inProcess,
    batch: number(ctx, 'batch', undefined, positiveInteger, DEFAULTS.batch),
    timeout: number(ctx, 'timeout', undefined, nonNegative, DEFAULTS.timeout),
    killGrace: number(ctx, 'kill-grace', undefined, nonNegative, DEFAULTS.killGrace),
    maxChildMemory: number(ctx, 'max-child-memory', undefined, nonNegative, DEFAULTS.maxChildMemory),
    hardChildMemory: number(ctx, 'hard-child-memory', undefined, nonNegative, DEFAULTS.hardChildMemory),
    requeueOrphans: flagBoolean(ctx, 'requeue-orphans') ?? DEFAULTS.requeueOrphans,
    redisTimeout: number(ctx, 'redis-timeout', undefined, nonNegative, DEFAULTS.redisTimeout),
    gracefulTerm: flagBoolean(ctx, 'graceful-term') ?? fromEnv(ctx, 'GRACEFUL_TERM') !== undefined,
    shutdownTimeout: number(ctx, 'shutdown-timeout', undefined, nonNegative, DEFAULTS.shutdownTimeout),
  };
}

/** QUEUE is split on `,` exactly as php-resque does (no trimming); the list becomes the worker id. */
function resolveQueueList(ctx: Ctx): string[] | undefined {
  const src = fromFlag(ctx, 'queue') ?? fromEnv(ctx, 'QUEUE');
  if (src === undefined) return undefined;
  return nonEmpty(src, 'a comma-separated list of queue names').split(',');
}

/** INTERVAL: php's empty() — unset, `` and `0` all mean the default. */
function interval(ctx: Ctx): number {
  const src = fromFlag(ctx, 'interval') ?? fromEnv(ctx, 'INTERVAL', phpEmpty);
  return src ? nonNegative(src) : DEFAULTS.interval;
}

/** REDIS_URL is read by the connection code; REDIS_BACKEND_DB only counts with REDIS_BACKEND. */
function redis(ctx: Ctx): { redis: string | undefined; database: number | undefined } {
  const dbFlag = fromFlag(ctx, 'database');
  const database = dbFlag ? nonNegativeInteger(dbFlag) : undefined;
  const redisFlag = fromFlag(ctx, 'redis');
  if (redisFlag) return { redis: nonEmpty(redisFlag, 'a Redis address'), database };
  const backend = ctx.env['REDIS_URL'] ? undefined : fromEnv(ctx, 'REDIS_BACKEND');
  if (!backend) return { redis: undefined, database };
  const dbVar = fromEnv(ctx, 'REDIS_BACKEND_DB', phpEmpty);
  return { redis: backend.text, database: database ?? (dbVar ? nonNegativeInteger(dbVar) : undefined) };
}

/** --quiet (= warning) → --log-level → --debug / VVERBOSE (debug) → --verbose / VERBOSE / LOGGING (info) → notice. */
function logLevel(ctx: Ctx): LogLevel {
  const explicit = explicitLogLevel(ctx);
  if (flagBoolean(ctx, 'quiet') === true) return quietLevel(ctx, explicit);
  if (explicit !== undefined) return explicit;
  const debug = flagBoolean(ctx, 'debug') ?? fromEnv(ctx, 'VVERBOSE') !== undefined;
  if (debug) return 'debug';
  const verbose = flagBoolean(ctx, 'verbose') ?? (fromEnv(ctx, 'VERBOSE') ?? fromEnv(ctx, 'LOGGING')) !== undefined;
  return verbose ? 'info' : DEFAULTS.logLevel;
}

function explicitLogLevel(ctx: Ctx): LogLevel | undefined {
  const src = fromFlag(ctx, 'log-level');
  if (src === undefined) return undefined;
  const level = LOG_LEVELS.find((l) => l === src.text);
  if (level === undefined) throw invalid(src, LOG_LEVELS.join(', '));
  return level;
}

/** --quiet is --log-level=warning: a flag asking for more on the same command line contradicts it. */
function quietLevel(ctx: Ctx, explicit: LogLevel | undefined): LogLevel {
  const louder = flagBoolean(ctx, 'debug') === true ? '--debug'
    : flagBoolean(ctx, 'verbose') === true ? '--verbose'
      : explicit !== undefined && explicit !== 'warning' ? `--log-level=${explicit}` : undefined;
  if (louder !== undefined) throw new OptionError(`Conflicting flags --quiet and ${louder} (--quiet is --log-level=warning; give one of them).`);
  return 'warning';
}

function logFormat(ctx: Ctx): LogFormat {
  const src = fromFlag(ctx, 'log-format');
  if (src === undefined) return DEFAULTS.logFormat;
  if (src.text === 'text' || src.text === 'json') return src.text;
  throw invalid(src, '"text" or "json"');
}

// ---- sources ----

function fromFlag(ctx: Ctx, flag: string): Source | undefined {
  const text = ctx.flags.get(flag);
  return text === undefined ? undefined : { name: `--${flag}`, text };
}

/** A variable counts when set and not "empty" (default: not the empty string). */
function fromEnv(ctx: Ctx, variable: string, empty: (v: string) => boolean = (v) => v === ''): Source | undefined {
  const text = ctx.env[variable];
  return text === undefined || empty(text) ? undefined : { name: variable, text };
}

function phpEmpty(v: string): boolean {
  return v === '' || v === '0';
}

function flagBoolean(ctx: Ctx, flag: string): boolean | undefined {
  const text = ctx.flags.get(flag);
  return text === undefined ? undefined : text === '1';
}

// ---- validation ----

type Parse = (src: Source) => number;

function number(ctx: Ctx, flag: string, variable: string | undefined, parse: Parse, fallback: number): number {
  const src = fromFlag(ctx, flag) ?? (variable === undefined ? undefined : fromEnv(ctx, variable));
  return src ? parse(src) : fallback;
}

function positiveInteger(src: Source): number {
  const n = /^\s*\d+\s*$/.test(src.text) ? Number(src.text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(src, 'a positive integer');
  return n;
}

function nonNegativeInteger(src: Source): number {
  const n = /^\s*\d+\s*$/.test(src.text) ? Number(src.text) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid(src, 'a whole number, 0 or more');
  return n;
}

/** Seconds or megabytes: 0 or more, fractions allowed (`0.5`, `.5`, `2.`). */
function nonNegative(src: Source): number {
  const n = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(src.text) ? Number(src.text) : NaN;
  if (!Number.isFinite(n)) throw invalid(src, 'a number, 0 or more');
  return n;
}

function nonEmpty(src: Source, expected: string): string {
  if (src.text === '') throw invalid(src, expected);
  return src.text;
}

function invalid(src: Source, expected: string): OptionError {
  return new OptionError(`Invalid value for ${src.name}: ${JSON.stringify(src.text)} (expected ${expected}).`);
}
