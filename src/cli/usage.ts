/**
 * Help text and version of the `resque` command.
 *   1. VERSION comes from src/version.ts (package.json), re-exported for the help text's users.
 *   2. usage() is the --help text: commands, every flag with its variable and default, signals;
 *      the flag table's columns are as wide as their longest text, so every row lines up.
 *   3. USAGE_LINE is the one-line reminder appended to argument errors.
 */
import { DEFAULTS } from '../config';
import { VERSION } from '../version';

export { VERSION };

/** What `resque --version` prints. */
export function version(): string {
  return `resque-ts ${VERSION}`;
}

/** Appended to every argument error. */
export const USAGE_LINE = 'Usage: resque start [--queue=NAMES] [flags] | resque demo | resque --help';

const D = DEFAULTS;

/** [flag, what it does, environment variable, default] for every start flag. */
const FLAGS: ReadonlyArray<readonly [string, string, string, string]> = [
  ['--queue=A,B', 'queues in priority order; * = all', 'QUEUE', 'required'],
  ['--count=N', 'worker processes', 'COUNT', String(D.count)],
  ['--interval=SECONDS', 'poll sleep / blocking wait timeout', 'INTERVAL', String(D.interval)],
  ['--blocking', 'block on the queues (BLMOVE) instead of polling', 'BLOCKING (if set)', 'off'],
  ['--pidfile=FILE, --pid=FILE', 'write the pid to FILE', 'PIDFILE', 'none'],
  ['--jobs=DIR', 'folder of job classes', '-', './jobs'],
  ['--app=FILE', 'module loaded first (classes, hooks)', 'APP_INCLUDE', 'none'],
  ['--prefix=NS', 'Redis key namespace', 'PREFIX', D.namespace],
  ['--redis=URL', 'host:port, redis[s]://, unix://', 'REDIS_BACKEND', '$REDIS_URL or 127.0.0.1:6379'],
  ['--database=N', 'Redis database', 'REDIS_BACKEND_DB', '0'],
  ['--verbose', 'log info too, with timestamps', 'VERBOSE, LOGGING', 'off'],
  ['--debug, --debug=1', 'log debug too', 'VVERBOSE', 'off'],
  ['--quiet', 'warnings and errors only (= --log-level=warning)', '-', 'off'],
  ['--log-level=LEVEL', 'error|warning|notice|info|debug (beats --verbose)', '-', D.logLevel],
  ['--log-format=text|json', 'log line format', '-', D.logFormat],
  ['--slow-job-log=SECONDS', 'warn once when a job runs longer (0 = off)', '-', String(D.slowJobLog)],
  ['--once', 'drain the queues, then exit 0', '-', 'off'],
  ['--jobs-per-child=N', 'jobs a child runs before renewal', '-', String(D.jobsPerChild)],
  ['--in-process', 'run jobs in the worker itself', '-', 'off'],
  ['--batch=N', 'most jobs taken per round trip', '-', String(D.batch)],
  ['--timeout=SECONDS', 'default job time limit (0 = none)', '-', String(D.timeout)],
  ['--kill-grace=SECONDS', 'TERM to KILL delay for a child', '-', String(D.killGrace)],
  ['--max-child-memory=MB', 'renew a child above this RSS', '-', `${D.maxChildMemory} (never)`],
  ['--hard-child-memory=MB', 'kill a job above this RSS', '-', `${D.hardChildMemory} (never)`],
  ['--requeue-orphans', 'requeue (not fail) dead workers\' jobs', '-', 'off'],
  ['--redis-timeout=SECONDS', 'exit after this long without Redis', '-', String(D.redisTimeout)],
  ['--graceful-term', 'TERM acts like QUIT', 'GRACEFUL_TERM', 'off'],
  ['--shutdown-timeout=SECONDS', 'graceful wait for the current job', '-', String(D.shutdownTimeout)],
];

const HEAD = ['flag', 'what', 'variable', 'default'] as const;
/** Spaces between two columns. */
const GAP = 2;

/** The flag table: each column as wide as its longest cell plus GAP, so every row lines up. */
function flagTable(): string {
  const rows: ReadonlyArray<readonly string[]> = [HEAD, ...FLAGS];
  const widths = HEAD.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)) + GAP);
  const line = (row: readonly string[]): string =>
    `  ${row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('')}`;
  return rows.map(line).join('\n');
}

/** What `resque --help` prints. */
export function usage(): string {
  return `resque-ts ${VERSION}: a php-resque compatible background job worker

Commands
  resque start [flags]         work the queues
  resque demo [--redis=URL]    enqueue and run a few demo jobs
  resque help, --help, -h      this text
  resque --version, -V         the version

Flags for start (a flag beats its variable; booleans also take --no-FLAG and --FLAG=0|1)
${flagTable()}

Signals
  QUIT         finish the current job, then exit
  TERM, INT    exit now: the current child is killed (its job fails as a dirty exit);
               with --graceful-term, TERM acts like QUIT
  USR1         kill the current child, keep working
  USR2         pause: take no more jobs
  CONT         resume after USR2
`;
}
