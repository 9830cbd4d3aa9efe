'use strict';
// src/cli/args.ts (the flag-parsing core), src/cli/commands/*.ts (each command's pure parse),
// src/cli/registry.ts (parseCommandLine) and src/cli/usage.ts: flags and php-resque variables →
// command and options (pure, no processes).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { parseCommandLine, COMMANDS } = require('../dist/cli/registry');
const { startCommand, NO_QUEUE_MESSAGE } = require('../dist/cli/commands/start');
const { demoCommand } = require('../dist/cli/commands/demo');
const { versionCommand } = require('../dist/cli/commands/version');
const { usage, commandHelp, flagTable, version, VERSION, usageLine, commandUsageLine } = require('../dist/cli/usage');
const { DEFAULTS } = require('../dist/config');

const CWD = '/srv/app';
const parse = (argv, env = {}) => parseCommandLine(argv, env, CWD);
const help = COMMANDS.find((c) => c.name === 'help');
const GENERAL_USAGE = usageLine(COMMANDS);
const START_USAGE = commandUsageLine(startCommand);

/** Parse a start command that must succeed; returns its config. */
function config(argv, env = {}) {
  const r = parse(['start', ...argv], { QUEUE: 'default', ...env });
  assert.ok(r.ok, r.error);
  assert.equal(r.command.name, 'start');
  return r.options.config;
}

/** Assert an exit-2 error whose message names every `needle`, and ends with a usage line. */
function usageError(argv, env, ...needles) {
  const r = parse(argv, env);
  assert.equal(r.ok, false, `expected an error for ${JSON.stringify(argv)} ${JSON.stringify(env)}`);
  assert.equal(r.exitCode, 2);
  for (const n of needles) assert.ok(r.error.includes(n), `"${r.error}" should name ${n}`);
  const last = r.error.split('\n').pop();
  const lines = [GENERAL_USAGE, ...COMMANDS.map(commandUsageLine)];
  assert.ok(lines.includes(last), `message ends with a usage line: ${r.error}`);
  return r.error;
}

/** The command a command line runs (its name), and its options. */
function command(argv, env = {}) {
  const r = parse(argv, env);
  assert.ok(r.ok, r.error);
  return { name: r.command.name, options: r.options };
}

test('defaults: only a queue given', () => {
  const c = config([]);
  assert.deepEqual(c.queues, ['default']);
  for (const [k, v] of Object.entries(DEFAULTS)) assert.equal(c[k], v, k);
  assert.equal(c.jobsDir, path.resolve(CWD, 'jobs'));
  assert.equal(c.pidfile, undefined);
  assert.equal(c.app, undefined);
  assert.equal(c.redis, undefined);
  assert.equal(c.database, undefined);
});

test('config and its queue list are frozen', () => {
  const c = config([]);
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.queues));
});

test('every flag', () => {
  const c = config([
    '--queue=high,low', '--count=3', '--interval=0.5', '--blocking', '--pidfile=run/w.pid', '--jobs=lib/jobs',
    '--app=boot.js', '--prefix=myapp', '--redis=redis://r:6380', '--database=4', '--verbose', '--log-format=json',
    '--once', '--jobs-per-child=10', '--in-process', '--timeout=30', '--kill-grace=2.5', '--max-child-memory=256',
    '--hard-child-memory=512.5', '--requeue-orphans', '--redis-timeout=60', '--graceful-term', '--shutdown-timeout=0',
    '--batch=16', '--slow-job-log=2.5', '--heartbeat-interval=5', '--prune-after=12.5', '--keep-job-children',
    '--tries=4', '--delay=7.5', '--max-jobs=50', '--no-history',
  ]);
  assert.deepEqual({ ...c, queues: [...c.queues] }, {
    queues: ['high', 'low'], count: 3, interval: 0.5, blocking: true, pidfile: '/srv/app/run/w.pid',
    jobsDir: '/srv/app/lib/jobs', app: '/srv/app/boot.js', namespace: 'myapp', redis: 'redis://r:6380', database: 4,
    logLevel: 'info', logFormat: 'json', once: true, jobsPerChild: 10, inProcess: true, timeout: 30,
    killGrace: 2.5, maxChildMemory: 256, hardChildMemory: 512.5, requeueOrphans: true, redisTimeout: 60,
    gracefulTerm: true, shutdownTimeout: 0, batch: 16, slowJobLog: 2.5, heartbeatInterval: 5, pruneAfter: 12.5, keepJobChildren: true,
    tries: 4, retryDelay: 7.5, maxJobs: 50, history: false,
  });
});

test('--heartbeat-interval and --prune-after: Ruby\'s 60 s and 300 s by default, above 0, the prune age at least two heartbeats', () => {
  assert.equal(config([]).heartbeatInterval, 60);
  assert.equal(config([]).pruneAfter, 300);
  assert.throws(() => config(['--heartbeat-interval=0']), /heartbeat-interval/);
  assert.throws(() => config(['--prune-after=-1']), /prune-after/);
  assert.throws(() => config(['--heartbeat-interval=2', '--prune-after=3']), /prune-after: 3 \(expected at least twice the heartbeat interval, 4 s\)/);
  assert.equal(config(['--heartbeat-interval=2', '--prune-after=4']).pruneAfter, 4);
});

test('--batch must be a positive integer (1 = one job per round trip)', () => {
  assert.equal(config([]).batch, 64);
  assert.equal(config(['--batch=1']).batch, 1);
  assert.throws(() => config(['--batch=0']), /batch/);
  assert.throws(() => config(['--batch=2.5']), /batch/);
});

test('flags take their value as the next word too', () => {
  const c = config(['--queue', 'a', '--count', '2', '--log-format', 'json']);
  assert.deepEqual([...c.queues], ['a']);
  assert.equal(c.count, 2);
  assert.equal(c.logFormat, 'json');
});

test('a boolean flag never swallows the next word', () => {
  const r = command(['--verbose', 'start'], { QUEUE: 'q' });
  assert.equal(r.name, 'start');
  assert.equal(r.options.config.logLevel, 'info');
});

test('absolute paths are kept, relative ones resolved against cwd', () => {
  assert.equal(config(['--jobs=/opt/jobs']).jobsDir, '/opt/jobs');
  assert.equal(config(['--app=./app/index.js']).app, '/srv/app/app/index.js');
  assert.equal(config([], { APP_INCLUDE: 'inc.js' }).app, '/srv/app/inc.js');
  assert.equal(config([], { PIDFILE: '/var/run/r.pid' }).pidfile, '/var/run/r.pid');
});

test('--pid is --pidfile (ThinkPHP); the last one given wins', () => {
  assert.equal(config(['--pid=a.pid']).pidfile, '/srv/app/a.pid');
  assert.equal(config(['--pid=a.pid', '--pidfile=b.pid']).pidfile, '/srv/app/b.pid');
});

test('--debug, --debug=1 / any truthy value, --debug=0', () => {
  assert.equal(config(['--debug']).logLevel, 'debug');
  assert.equal(config(['--debug=1']).logLevel, 'debug');
  assert.equal(config(['--debug=2']).logLevel, 'debug');
  assert.equal(config(['--debug=true']).logLevel, 'debug');
  assert.equal(config(['--debug=0']).logLevel, 'notice');
  assert.equal(config(['--debug=false']).logLevel, 'notice');
  assert.equal(config(['--debug=0'], { VVERBOSE: '1' }).logLevel, 'notice');
  assert.equal(config(['--debug=0', '--verbose']).logLevel, 'info');
});

test('--log-level=LEVEL: error, warning, notice, info, debug; it beats --verbose, --debug and their variables', () => {
  for (const level of ['error', 'warning', 'notice', 'info', 'debug']) assert.equal(config([`--log-level=${level}`]).logLevel, level);
  assert.equal(config(['--log-level', 'warning']).logLevel, 'warning');
  assert.equal(config(['--log-level=warning', '--verbose']).logLevel, 'warning');
  assert.equal(config(['--debug', '--log-level=notice']).logLevel, 'notice');
  assert.equal(config(['--log-level=info'], { VVERBOSE: '1' }).logLevel, 'info');
  assert.equal(config(['--log-level=error'], { VERBOSE: '1' }).logLevel, 'error');
  assert.equal(config(['--log-level=debug']).logLevel, 'debug');
  usageError(['start', '--log-level=loud'], { QUEUE: 'q' }, '--log-level', '"loud"');
  usageError(['start', '--log-level='], { QUEUE: 'q' }, '--log-level', '""');
  usageError(['start', '--log-level=WARNING'], { QUEUE: 'q' }, '--log-level', '"WARNING"');
  usageError(['start', '--no-log-level'], { QUEUE: 'q' }, '--no-log-level');
});

test('--quiet is --log-level=warning; --no-quiet / --quiet=0 leave the level alone; a flag beats VERBOSE/VVERBOSE', () => {
  assert.equal(config(['--quiet']).logLevel, 'warning');
  assert.equal(config(['--quiet=yes']).logLevel, 'warning');
  assert.equal(config(['--quiet=0']).logLevel, 'notice');
  assert.equal(config(['--no-quiet']).logLevel, 'notice');
  assert.equal(config(['--no-quiet', '--verbose']).logLevel, 'info');
  assert.equal(config(['--quiet', '--no-quiet']).logLevel, 'notice', 'last one wins');
  assert.equal(config(['--quiet'], { VERBOSE: '1' }).logLevel, 'warning');
  assert.equal(config(['--quiet'], { VVERBOSE: '1' }).logLevel, 'warning');
  assert.equal(config(['--quiet', '--no-verbose', '--debug=0']).logLevel, 'warning');
  assert.equal(config(['--quiet', '--log-level=warning']).logLevel, 'warning');
  assert.equal(config([], { QUIET: '1', LOGLEVEL: 'debug', LOG_LEVEL: 'debug' }).logLevel, 'notice', 'no variables');
  assert.equal(command(['--quiet', 'start'], { QUEUE: 'q' }).name, 'start', 'a boolean never swallows the next word');
});

test('--quiet with --verbose, --debug or another --log-level is a usage error naming both', () => {
  const q = { QUEUE: 'q' };
  usageError(['start', '--quiet', '--verbose'], q, '--quiet', '--verbose');
  usageError(['start', '--verbose', '--quiet'], q, '--quiet', '--verbose');
  usageError(['start', '--quiet', '--debug'], q, '--quiet', '--debug');
  usageError(['start', '--quiet', '--debug=1'], q, '--quiet', '--debug');
  usageError(['start', '--quiet', '--log-level=debug'], q, '--quiet', '--log-level=debug');
  usageError(['start', '--quiet', '--log-level=error'], q, '--quiet', '--log-level=error');
});

test('--slow-job-log=SECONDS: default 10, 0 = off, fractions allowed', () => {
  assert.equal(config([]).slowJobLog, 10);
  assert.equal(config(['--slow-job-log=0']).slowJobLog, 0);
  assert.equal(config(['--slow-job-log=0.3']).slowJobLog, 0.3);
  assert.equal(config(['--slow-job-log', '60']).slowJobLog, 60);
  assert.equal(config([], { SLOW_JOB_LOG: '3' }).slowJobLog, 10, 'no variable');
  usageError(['start', '--slow-job-log=-1'], { QUEUE: 'q' }, '--slow-job-log', '"-1"');
  usageError(['start', '--slow-job-log', '-1'], { QUEUE: 'q' }, '--slow-job-log', '"-1"');
  usageError(['start', '--slow-job-log=10s'], { QUEUE: 'q' }, '--slow-job-log', '"10s"');
});

test('--no-FLAG and --FLAG=0 turn a boolean off, beating its variable', () => {
  assert.equal(config(['--no-blocking'], { BLOCKING: '1' }).blocking, false);
  assert.equal(config(['--blocking=0'], { BLOCKING: '' }).blocking, false);
  assert.equal(config(['--blocking=off']).blocking, false);
  assert.equal(config(['--no-graceful-term'], { GRACEFUL_TERM: '1' }).gracefulTerm, false);
  assert.equal(config(['--no-verbose'], { VERBOSE: '1' }).logLevel, 'notice');
  assert.equal(config(['--once=yes']).once, true);
  assert.equal(config(['--blocking', '--no-blocking']).blocking, false);
});

test('repeated --queue flags add up; other flags: last wins', () => {
  assert.deepEqual([...config(['--queue=a', '--queue=b,c']).queues], ['a', 'b', 'c']);
  assert.equal(config(['--count=2', '--count=5']).count, 5);
});

test('QUEUE: split on "," without trimming, order and * kept', () => {
  assert.deepEqual([...config([], { QUEUE: 'high, low,*' }).queues], ['high', ' low', '*']);
  assert.deepEqual([...config([], { QUEUE: 'a,,b' }).queues], ['a', '', 'b']);
  assert.deepEqual([...config([], { QUEUE: '*' }).queues], ['*']);
  assert.deepEqual([...config(['--queue=x'], { QUEUE: 'y' }).queues], ['x']);
});

test('no queue: php-resque message, exit 1', () => {
  for (const env of [{}, { QUEUE: '' }]) {
    const r = parse(['start'], env);
    assert.equal(r.ok, false);
    assert.equal(r.exitCode, 1);
    assert.ok(r.error.startsWith('Set QUEUE env var containing the list of queues to work.'));
    assert.equal(r.error, NO_QUEUE_MESSAGE, 'no usage line after the exit-1 message');
    assert.ok(r.error.includes('--queue'));
  }
});

test('COUNT: used when non-empty, must be a positive integer', () => {
  assert.equal(config([], { COUNT: '4' }).count, 4);
  assert.equal(config([], { COUNT: '' }).count, 1);
  assert.equal(config(['--count=2'], { COUNT: '4' }).count, 2);
  usageError(['start'], { QUEUE: 'q', COUNT: 'x' }, 'COUNT', '"x"');
  usageError(['start'], { QUEUE: 'q', COUNT: '0' }, 'COUNT', '"0"');
  usageError(['start'], { QUEUE: 'q', COUNT: '1.5' }, 'COUNT', '"1.5"');
});

test('INTERVAL: php empty() (unset, "", "0") means 5; fractions allowed', () => {
  assert.equal(config([], { INTERVAL: '' }).interval, 5);
  assert.equal(config([], { INTERVAL: '0' }).interval, 5);
  assert.equal(config([], { INTERVAL: '0.25' }).interval, 0.25);
  assert.equal(config([], { INTERVAL: '2' }).interval, 2);
  assert.equal(config(['--interval=.5'], { INTERVAL: '9' }).interval, 0.5);
  assert.equal(config(['--interval=0']).interval, 0);
  usageError(['start'], { QUEUE: 'q', INTERVAL: '-1' }, 'INTERVAL', '"-1"');
  usageError(['start'], { QUEUE: 'q', INTERVAL: '5s' }, 'INTERVAL', '"5s"');
});

test('BLOCKING: on when the variable exists, whatever its value', () => {
  for (const v of ['', '0', 'false', '1']) assert.equal(config([], { BLOCKING: v }).blocking, true, JSON.stringify(v));
  assert.equal(config([]).blocking, false);
});

test('PIDFILE, APP_INCLUDE, PREFIX: empty values are ignored', () => {
  const c = config([], { PIDFILE: '', APP_INCLUDE: '', PREFIX: '' });
  assert.equal(c.pidfile, undefined);
  assert.equal(c.app, undefined);
  assert.equal(c.namespace, 'resque');
  assert.equal(config([], { PREFIX: 'app:' }).namespace, 'app:');
  assert.equal(config(['--prefix=flag'], { PREFIX: 'env' }).namespace, 'flag');
});

test('VERBOSE / LOGGING / VVERBOSE: non-empty turns logging up', () => {
  assert.equal(config([], { VERBOSE: '1' }).logLevel, 'info');
  assert.equal(config([], { LOGGING: 'yes' }).logLevel, 'info');
  assert.equal(config([], { VERBOSE: '' }).logLevel, 'notice');
  assert.equal(config([], { VVERBOSE: '1' }).logLevel, 'debug');
  assert.equal(config(['--verbose'], { VVERBOSE: '1' }).logLevel, 'debug');
});

test('GRACEFUL_TERM: present and non-empty', () => {
  assert.equal(config([], { GRACEFUL_TERM: '1' }).gracefulTerm, true);
  assert.equal(config([], { GRACEFUL_TERM: '' }).gracefulTerm, false);
});

test('non-php settings have no variables', () => {
  const c = config([], { JOBS_PER_CHILD: '3', TIMEOUT: '9', LOG_FORMAT: 'json' });
  assert.equal(c.jobsPerChild, DEFAULTS.jobsPerChild);
  assert.equal(c.timeout, DEFAULTS.timeout);
  assert.equal(c.logFormat, 'text');
});

test('REDIS_BACKEND (+ _DB only with it, only when non-empty and not 0)', () => {
  let c = config([], { REDIS_BACKEND: 'r:6379', REDIS_BACKEND_DB: '3' });
  assert.equal(c.redis, 'r:6379');
  assert.equal(c.database, 3);
  c = config([], { REDIS_BACKEND: 'r:6379', REDIS_BACKEND_DB: '0' });
  assert.equal(c.database, undefined);
  c = config([], { REDIS_BACKEND: 'r:6379', REDIS_BACKEND_DB: '' });
  assert.equal(c.database, undefined);
  c = config([], { REDIS_BACKEND_DB: '3' });
  assert.equal(c.redis, undefined);
  assert.equal(c.database, undefined);
  usageError(['start'], { QUEUE: 'q', REDIS_BACKEND: 'r', REDIS_BACKEND_DB: 'two' }, 'REDIS_BACKEND_DB', '"two"');
});

test('REDIS_URL set: redis left to the connection code unless --redis is given', () => {
  let c = config([], { REDIS_URL: 'redis://u', REDIS_BACKEND: 'r:1', REDIS_BACKEND_DB: '3' });
  assert.equal(c.redis, undefined);
  assert.equal(c.database, undefined);
  c = config(['--redis=flag:1'], { REDIS_URL: 'redis://u', REDIS_BACKEND: 'r:1' });
  assert.equal(c.redis, 'flag:1');
  c = config(['--database=2'], { REDIS_BACKEND: 'r:1', REDIS_BACKEND_DB: '3' });
  assert.equal(c.database, 2);
});

test('bad flag values: exit 2 naming the flag and the value', () => {
  const q = { QUEUE: 'q' };
  usageError(['start', '--count=abc'], q, '--count', '"abc"');
  usageError(['start', '--count=0'], q, '--count', '"0"');
  usageError(['start', '--count', '-1'], q, '--count', '"-1"');
  usageError(['start', '--count'], q, '--count', '""');
  usageError(['start', '--interval=-2'], q, '--interval', '"-2"');
  usageError(['start', '--interval=fast'], q, '--interval', '"fast"');
  usageError(['start', '--log-format=xml'], q, '--log-format', '"xml"');
  usageError(['start', '--jobs-per-child=0'], q, '--jobs-per-child', '"0"');
  usageError(['start', '--jobs-per-child=1.5'], q, '--jobs-per-child', '"1.5"');
  usageError(['start', '--timeout=-1'], q, '--timeout', '"-1"');
  usageError(['start', '--kill-grace=x'], q, '--kill-grace', '"x"');
  usageError(['start', '--max-child-memory=1GB'], q, '--max-child-memory', '"1GB"');
  usageError(['start', '--hard-child-memory=-5'], q, '--hard-child-memory', '"-5"');
  usageError(['start', '--redis-timeout=NaN'], q, '--redis-timeout', '"NaN"');
  usageError(['start', '--shutdown-timeout=Infinity'], q, '--shutdown-timeout', '"Infinity"');
  usageError(['start', '--database=-1'], q, '--database', '"-1"');
  usageError(['start', '--database=0x1'], q, '--database', '"0x1"');
  usageError(['start', '--queue='], {}, '--queue', '""');
  usageError(['start', '--pidfile='], q, '--pidfile', '""');
  usageError(['start', '--redis='], q, '--redis', '""');
  usageError(['start', '--blocking=maybe'], q, '--blocking', '"maybe"');
  usageError(['start', '--no-blocking=1'], q, '--no-blocking', '"1"');
});

test('a bad value is reported before a missing queue', () => {
  usageError(['start', '--count=x'], {}, '--count');
});

test('unknown flags, commands and stray words: exit 2', () => {
  usageError(['start', '--bogus'], { QUEUE: 'q' }, '--bogus');
  usageError(['start', '--bogus=1'], { QUEUE: 'q' }, '--bogus');
  usageError(['start', '--no-bogus'], { QUEUE: 'q' }, '--no-bogus');
  usageError(['start', '--no-count'], { QUEUE: 'q' }, '--no-count');
  usageError(['start', '-q', 'x'], { QUEUE: 'q' }, '-q');
  usageError(['launch'], {}, '"launch"');
  usageError(['start', 'extra'], { QUEUE: 'q' }, '"extra"');
  usageError(['start', '--', '--queue=x'], { QUEUE: 'q' }, '"--queue=x"');
  usageError([], {}, 'No command');
});

test('help and version', () => {
  for (const argv of [['--help'], ['-h'], ['help'], ['-hV'], ['--verbose', '--help']]) {
    assert.deepEqual(command(argv), { name: 'help', options: { text: usage(COMMANDS) } }, argv.join(' '));
  }
  for (const argv of [['start', '--help'], ['help', 'start'], ['start', '-h', '--count=x'], ['help', 'start', '-h'], ['--queue=a', 'start', '-h']]) {
    assert.deepEqual(command(argv), { name: 'help', options: { text: commandHelp(startCommand) } }, argv.join(' '));
  }
  for (const argv of [['demo', '-h'], ['help', 'demo'], ['demo', '--count=2', '--help']]) {
    assert.deepEqual(command(argv), { name: 'help', options: { text: commandHelp(demoCommand) } }, argv.join(' '));
  }
  for (const argv of [['help', '--help'], ['help', 'help'], ['-h', 'help']]) {
    assert.deepEqual(command(argv), { name: 'help', options: { text: commandHelp(help) } }, argv.join(' '));
  }
  for (const argv of [['--version'], ['-V'], ['version'], ['start', '-V'], ['version', 'extra'], ['demo', '-V']]) {
    assert.deepEqual(command(argv), { name: 'version', options: { text: version() } }, argv.join(' '));
  }
  usageError(['help', 'launch'], {}, '"launch"');
  usageError(['launch', '--help'], {}, '"launch"');
  usageError(['help', 'start', 'demo'], {}, '"demo"');
  usageError(['help', '--verbose'], {}, '--verbose', '"help"');
  usageError(['version', '--count=2'], {}, '--count', '"version"');
});

test('version comes from package.json', () => {
  const pkg = require('../package.json');
  assert.equal(VERSION, pkg.version);
  assert.equal(version(), `resque-ts ${pkg.version}`);
});

test('usage lists every flag, its variable, and the signals', () => {
  const text = usage(COMMANDS);
  const flags = ['queue', 'count', 'interval', 'blocking', 'pidfile', 'pid', 'jobs', 'app', 'prefix', 'redis', 'database',
    'verbose', 'debug', 'log-format', 'once', 'jobs-per-child', 'in-process', 'timeout', 'kill-grace',
    'max-child-memory', 'hard-child-memory', 'requeue-orphans', 'redis-timeout', 'graceful-term', 'shutdown-timeout',
    'quiet', 'log-level', 'slow-job-log'];
  for (const f of flags) assert.match(text, new RegExp(`--${f}\\b`), f);
  for (const v of ['QUEUE', 'COUNT', 'INTERVAL', 'BLOCKING', 'PIDFILE', 'APP_INCLUDE', 'PREFIX', 'REDIS_BACKEND',
    'REDIS_BACKEND_DB', 'VERBOSE', 'LOGGING', 'VVERBOSE', 'GRACEFUL_TERM']) assert.ok(text.includes(v), v);
  for (const s of ['QUIT', 'TERM', 'INT', 'USR1', 'USR2', 'CONT']) assert.match(text, new RegExp(`\\b${s}\\b`), s);
});

test('demo: only --redis', () => {
  assert.deepEqual(command(['demo']), { name: 'demo', options: { env: {} } });
  assert.deepEqual(command(['demo', '--redis=redis://h:1']), { name: 'demo', options: { redis: 'redis://h:1', env: {} } });
  assert.deepEqual(command(['--redis', 'redis://h:1', 'demo']).options.redis, 'redis://h:1');
  usageError(['demo', '--count=2'], {}, '--count', 'demo');
  usageError(['demo', 'now'], {}, '"now"');
  usageError(['demo', '--redis='], {}, '--redis', '""');
});

test('the caller\'s argv and env are not modified', () => {
  const argv = Object.freeze(['start', '--verbose', '--count', '2']);
  const env = Object.freeze({ QUEUE: 'a' });
  assert.equal(command(argv, env).name, 'start');
});

// ---- each command's own parse: pure, the command line without the command's name ----

test('start.parse: the words after "start"; flags before the name reach it too', () => {
  const r = startCommand.parse(['--queue=a,b', '--count', '2', '--redis=redis://h:1'], {}, CWD);
  assert.ok(r.ok, r.error);
  assert.deepEqual([...r.options.config.queues], ['a', 'b']);
  assert.equal(r.options.config.count, 2);
  assert.equal(r.options.config.redis, 'redis://h:1');
  assert.deepEqual(r.options.argv, ['start', '--queue=a,b', '--count', '2', '--redis=redis://h:1'], 'what a supervisor forks');
  assert.equal(r.options.supervised, false);
  assert.equal(startCommand.parse([], { QUEUE: 'q', RESQUE_SUPERVISED: '1' }, CWD).options.supervised, true);
  assert.deepEqual(command(['--verbose', 'start', '--queue=a']).options.argv, ['start', '--verbose', '--queue=a']);
});

test('start.parse: errors are bare (the registry adds the usage line), exit 2; no queue is exit 1', () => {
  assert.deepEqual(startCommand.parse(['--count=0'], { QUEUE: 'q' }, CWD),
    { ok: false, exitCode: 2, error: 'Invalid value for --count: "0" (expected a positive integer).' });
  assert.deepEqual(startCommand.parse([], {}, CWD), { ok: false, exitCode: 1, error: NO_QUEUE_MESSAGE });
  assert.deepEqual(startCommand.parse(['extra'], { QUEUE: 'q' }, CWD),
    { ok: false, exitCode: 2, error: 'Unexpected argument "extra" after "start".' });
});

test('resque start --redis=... still works; --redis is start\'s and demo\'s flag', () => {
  assert.equal(config(['--redis=redis://r:6380']).redis, 'redis://r:6380');
  assert.equal(config(['--redis', 'r:1']).redis, 'r:1');
  assert.equal(command(['demo', '--redis=r:2']).options.redis, 'r:2');
});

test('flags are checked per command: resque demo --count=4 is exit 2 naming --count and demo', () => {
  const message = usageError(['demo', '--count=4'], {}, '--count', '"demo"', '--redis');
  assert.equal(message, `Unknown flag --count for "demo" (it takes only --redis).\n${commandUsageLine(demoCommand)}`);
  usageError(['demo', '--queue', 'a'], {}, '--queue', '"demo"');
  usageError(['demo', '--verbose'], {}, '--verbose', '"demo"');
  usageError(['demo', '--no-blocking'], {}, '--no-blocking', '"demo"');
  usageError(['demo', '--count', '-1'], {}, '--count', '"demo"');
  usageError(['--prefix=x', 'demo'], {}, '--prefix', '"demo"');
  usageError(['demo', '--bogus'], {}, '--bogus');
  assert.deepEqual(demoCommand.parse(['--count=4'], {}, CWD),
    { ok: false, exitCode: 2, error: 'Unknown flag --count for "demo" (it takes only --redis).' });
  assert.deepEqual(demoCommand.parse(['--redis=r:1'], { X: '1' }, CWD), { ok: true, options: { redis: 'r:1', env: { X: '1' } } });
  assert.deepEqual(versionCommand.parse(['--verbose'], {}, CWD),
    { ok: false, exitCode: 2, error: 'Unknown flag --verbose for "version" (it takes no flags).' });
  assert.deepEqual(help.parse(['--batch', '-1'], {}, CWD),
    { ok: false, exitCode: 2, error: 'Unknown flag --batch for "help" (it takes no flags).' });
  assert.equal(startCommand.parse(['--help', '-V'], { QUEUE: 'q' }, CWD).ok, true, 'every command takes the global flags');
});

test('usage lines: a command\'s after its own errors, every command\'s before a command is known', () => {
  assert.equal(START_USAGE, 'Usage: resque start [--queue=NAMES] [flags] | resque help start');
  assert.equal(GENERAL_USAGE, `Usage: ${COMMANDS.map((c) => c.usage).join(' | ')}`);
  assert.ok(usageError(['start', '--count=x'], { QUEUE: 'q' }).endsWith(`\n${START_USAGE}`));
  assert.ok(usageError(['start', '--bogus'], { QUEUE: 'q' }).endsWith(`\n${START_USAGE}`), 'the first word names the command');
  assert.ok(usageError(['launch'], {}).endsWith(`\n${GENERAL_USAGE}`));
  assert.ok(usageError([], {}).endsWith(`\n${GENERAL_USAGE}`));
  assert.ok(usageError(['--bogus'], {}).endsWith(`\n${GENERAL_USAGE}`));
  assert.equal(usageError(['version', '--x=1'], {}).split('\n').pop(), 'Usage: resque version');
});

test('every command\'s flag table: columns line up, one row per flag', () => {
  for (const c of COMMANDS) {
    if (c.flags.length === 0) continue;
    const rows = flagTable(c.flags).split('\n');
    assert.equal(rows.length, c.flags.length + 1, c.name);
    const offsets = ['what', 'variable', 'default'].map((word) => rows[0].indexOf(` ${word}`) + 1);
    for (const row of rows.slice(1)) {
      assert.equal(row.slice(0, 4), '  --', row);
      for (const at of offsets) {
        assert.equal(row.slice(at - 2, at), '  ', `${c.name}: two spaces before column ${at}: ${row}`);
        assert.notEqual(row[at], ' ', `${c.name}: a column starts at ${at}: ${row}`);
      }
    }
  }
});

test('resque help start: start\'s usage, summary, flag table and signals, not demo\'s table', () => {
  const text = commandHelp(startCommand);
  assert.ok(text.startsWith(`${startCommand.usage}: ${startCommand.summary}\n`), text);
  assert.ok(text.includes(flagTable(startCommand.flags)));
  assert.match(text, /^Signals$/m);
  assert.ok(!text.includes(flagTable(demoCommand.flags)));
  assert.match(commandHelp(versionCommand), /"version" takes no flags\./);
});

// Issue 11 point 12 (the scheme part): `http://host:6379` used to be read as an IPv6 address
// ("Could not connect to Redis at [http://127.0.0.1:6379]:6379: ENOTFOUND").
test('a Redis address with another scheme than redis/rediss/tcp/unix is a usage error naming the flag or variable', () => {
  usageError(['start', '--redis=http://127.0.0.1:6379'], { QUEUE: 'q' }, '--redis', 'http://', 'redis://');
  usageError(['start'], { QUEUE: 'q', REDIS_BACKEND: 'https://cache:6379' }, 'REDIS_BACKEND', 'https://');
  assert.ok(parse(['start', '--redis=[::1]:6380'], { QUEUE: 'q' }).ok, 'IPv6 addresses still parse');
  assert.ok(parse(['start', '--redis=rediss://u:p@h:6380/2'], { QUEUE: 'q' }).ok);
});
