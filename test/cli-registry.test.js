'use strict';
// src/cli/registry.ts: the list of commands, and everything that iterates it.
//   1. what the registry holds, and that each entry is a whole command (name, summary, usage,
//      flag table, parse, run);
//   2. `resque help` lists every command of the registry; `resque help NAME` and
//      `resque NAME --help` print that command's help;
//   3. adding a command is one file: a command defined here, put in a list, is dispatched,
//      has its flags checked, is listed by the help and run by main — nothing else changes;
//   4. main writes to the io it is given; under src/cli only bin/resque's caller touches
//      process.stdout, process.stderr, process.exit or process.argv;
//   5. the flag tables: one kind per flag name, the same flags the CLI always had, and every
//      variable in start's table is read by start.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Writable } = require('node:stream');
const { COMMANDS, main, parseCommandLine, everyFlag } = require('../dist/cli/registry');
const { helpCommand } = require('../dist/cli/commands/help');
const { startCommand } = require('../dist/cli/commands/start');
const { GLOBAL_FLAGS, parseFlags, catchOptionErrors } = require('../dist/cli/args');
const { usage, commandHelp } = require('../dist/cli/usage');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'resque');
const KINDS = ['boolean', 'string', 'number', 'list'];

/** `node bin/resque ARGV…` → { status, stdout, stderr }. */
function resque(argv) {
  const env = { ...process.env };
  delete env.QUEUE;
  delete env.NODE_TEST_CONTEXT;
  return spawnSync(process.execPath, [BIN, ...argv], { cwd: ROOT, env, encoding: 'utf8' });
}

/** A writable stream that keeps what is written to it. */
function capture() {
  const chunks = [];
  const stream = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
  return { stream, text: () => chunks.join('') };
}

// ---- 1. the registry ----

test('the registry holds start, scheduler, enqueue, delayed, schedules, failed, the operator commands, demo, help and version, in that order', () => {
  assert.deepEqual(COMMANDS.map((c) => c.name), ['start', 'scheduler', 'enqueue', 'delayed', 'schedules', 'failed', 'info', 'workers', 'queues', 'status', 'stop', 'pause', 'resume', 'restart', 'health', 'metrics', 'web', 'demo', 'help', 'version']);
  assert.ok(Object.isFrozen(COMMANDS) || Array.isArray(COMMANDS));
});

test('every command is whole: unique names, a summary, a usage line, a typed flag table, parse and run', () => {
  const names = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  assert.equal(new Set(names).size, names.length, 'names and aliases are unique');
  for (const c of COMMANDS) {
    assert.match(c.name, /^[a-z][a-z-]*$/, c.name);
    assert.ok(c.summary.length > 0, c.name);
    assert.ok(c.usage.startsWith(`resque ${c.name}`), c.usage);
    assert.equal(typeof c.parse, 'function', c.name);
    assert.equal(typeof c.run, 'function', c.name);
    assert.ok(Array.isArray(c.flags), c.name);
    for (const f of c.flags) {
      assert.match(f.name, /^[a-z][a-z-]*$/, `${c.name} --${f.name}`);
      assert.ok(KINDS.includes(f.kind), `${c.name} --${f.name}: ${f.kind}`);
      assert.equal(typeof f.default, 'string', `${c.name} --${f.name}`);
      assert.ok(f.help.length > 0, `${c.name} --${f.name}`);
      if (f.short !== undefined) assert.equal(f.kind, 'boolean', 'short forms are booleans');
      for (const v of f.variables ?? []) assert.match(v, /^[A-Z][A-Z_]*$/, v);
    }
    const flagNames = c.flags.flatMap((f) => [f.name, ...(f.aliases ?? [])]);
    assert.equal(new Set(flagNames).size, flagNames.length, `${c.name}: flag names are unique`);
    for (const g of GLOBAL_FLAGS) assert.ok(!flagNames.includes(g.name), `${c.name} does not redefine --${g.name}`);
  }
});

// ---- 2. the help iterates the registry ----

test('resque help lists every command of the registry: its usage and summary', () => {
  const r = resque(['help']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${usage(COMMANDS)}\n`);
  const list = r.stdout.slice(r.stdout.indexOf('Commands\n'), r.stdout.indexOf('\n\n', r.stdout.indexOf('Commands\n')));
  const rows = list.split('\n').slice(1);
  assert.equal(rows.length, COMMANDS.length, list);
  COMMANDS.forEach((c, i) => {
    assert.match(rows[i], new RegExp(`^ {2}${escape(c.usage)} +${escape(c.summary)}$`), rows[i]);
  });
  for (const c of COMMANDS.filter((x) => x.flags.length > 0)) assert.match(r.stdout, new RegExp(`^Flags for ${c.name}\\b`, 'm'), c.name);
  assert.equal(resque(['--help']).stdout, r.stdout);
  assert.equal(resque(['-h']).stdout, r.stdout);
});

test('resque help NAME and resque NAME --help print that command\'s help, for every command', () => {
  for (const c of COMMANDS) {
    const expected = `${commandHelp(c)}\n`;
    const a = resque(['help', c.name]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, expected, c.name);
    const b = resque([c.name, '--help']);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(b.stdout, expected, c.name);
  }
  const bad = resque(['help', 'launch']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Unknown command "launch"/);
});

// ---- 3. adding a command is one file ----

/** What a new src/cli/commands/greet.ts would export. */
const greetFlags = [
  { name: 'loud', kind: 'boolean', default: 'off', help: 'shout' },
  { name: 'name', kind: 'string', value: 'WHO', variables: ['GREET_NAME'], default: 'world', help: 'who to greet' },
];
const greet = {
  name: 'greet',
  aliases: ['hi'],
  summary: 'say hello',
  usage: 'resque greet [--name=WHO] [--loud]',
  flags: greetFlags,
  parse: (argv, env) => catchOptionErrors(() => {
    const { flags } = parseFlags(argv, greetFlags, greet);
    const who = flags.get('name') ?? env.GREET_NAME ?? 'world';
    return { ok: true, options: { text: `hello ${who}`, loud: flags.get('loud') === '1' } };
  }),
  run: async (options, io) => {
    io.stdout.write(`${options.loud ? options.text.toUpperCase() : options.text}\n`);
    return 0;
  },
};

test('a new command in the list is dispatched, flag-checked, listed by help and run by main', async () => {
  const list = [...COMMANDS.filter((c) => c.name !== 'help'), greet, helpCommand(() => list)];
  const r = parseCommandLine(['greet', '--name', 'Ann'], {}, '/', list);
  assert.ok(r.ok, r.error);
  assert.equal(r.command, greet);
  assert.deepEqual(r.options, { text: 'hello Ann', loud: false });
  assert.deepEqual(parseCommandLine(['--loud', 'hi'], { GREET_NAME: 'Bo' }, '/', list).options, { text: 'hello Bo', loud: true }, 'alias, flag first');
  const bad = parseCommandLine(['greet', '--count=2'], {}, '/', list);
  assert.equal(bad.ok, false);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.error, /--count for "greet"/);
  const foreign = parseCommandLine(['start', '--loud'], { QUEUE: 'q' }, '/', list);
  assert.equal(foreign.ok, false, 'greet\'s flags are not start\'s');
  assert.match(foreign.error, /--loud for "start"/);
  assert.equal(parseCommandLine(['start', '--loud'], { QUEUE: 'q' }, '/').ok, false, 'nor in the real registry');

  const text = usage(list);
  assert.match(text, /^ {2}resque greet \[--name=WHO\] \[--loud\] +say hello$/m);
  assert.match(text, /^Flags for greet\b/m);
  assert.match(text, /^ {2}--name=WHO +who to greet +GREET_NAME +world$/m);
  const helpLine = parseCommandLine(['greet', '--help'], {}, '/', list);
  assert.deepEqual(helpLine.options, { text: commandHelp(greet) });

  const out = capture();
  const err = capture();
  assert.equal(await main(['greet', '--loud'], {}, '/', { stdout: out.stream, stderr: err.stream }, list), 0);
  assert.equal(out.text(), 'HELLO WORLD\n');
  assert.equal(err.text(), '');
  assert.equal(await main(['help'], {}, '/', { stdout: out.stream, stderr: err.stream }, list), 0);
  assert.ok(out.text().includes('resque greet'));
});

test('two commands may share a flag only with the same kind', () => {
  assert.doesNotThrow(() => everyFlag(COMMANDS));
  const clash = { ...greet, name: 'clash', flags: [{ name: 'redis', kind: 'boolean', default: 'off', help: 'x' }] };
  assert.throws(() => everyFlag([...COMMANDS, clash]), /--redis is a string in one command and a boolean in another/);
});

// ---- 4. io ----

test('main writes to the io it is given and resolves the exit code', async () => {
  const out = capture();
  const err = capture();
  const io = { stdout: out.stream, stderr: err.stream };
  assert.equal(await main(['version'], {}, ROOT, io), 0);
  assert.match(out.text(), /^resque-ts \d+\.\d+\.\d+\n$/);
  assert.equal(await main(['start', '--bogus'], { QUEUE: 'q' }, ROOT, io), 2);
  assert.match(err.text(), /^Unknown flag --bogus\.\nUsage: resque start /);
  assert.equal(await main(['start'], {}, ROOT, io), 1);
  assert.match(err.text(), /Set QUEUE env var/);
  assert.equal(await main(['demo', '--count=4'], {}, ROOT, io), 2);
  assert.match(err.text(), /Unknown flag --count for "demo"/);
});

test('under src/cli no code touches process.stdout, process.stderr, process.exit or process.argv', () => {
  const dir = path.join(ROOT, 'src', 'cli');
  const files = fs.readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.ts'));
  assert.ok(files.length >= 9, files.join(' '));
  for (const file of files) {
    const code = fs.readFileSync(path.join(dir, String(file)), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    assert.doesNotMatch(code, /process\.(stdout|stderr|exit|argv)\b/, String(file));
  }
  assert.match(fs.readFileSync(BIN, 'utf8'), /process\.stdout, stderr: process\.stderr/);
});

// ---- 5. flag tables ----

test('phase one reads every command\'s flags together: the flag set the CLI always had', () => {
  const booleans = ['blocking', 'verbose', 'debug', 'quiet', 'once', 'in-process', 'requeue-orphans', 'graceful-term', 'keep-job-children', 'scheduler', 'track', 'all', 'keep', 'retried', 'json', 'history', 'watch', 'graceful', 'process-metrics', 'read-only'];
  const values = ['queue', 'count', 'interval', 'pidfile', 'jobs', 'app', 'prefix', 'redis', 'database', 'log-format',
    'jobs-per-child', 'timeout', 'kill-grace', 'max-child-memory', 'hard-child-memory', 'redis-timeout',
    'shutdown-timeout', 'batch', 'log-level', 'slow-job-log', 'heartbeat-interval', 'prune-after', 'schedule', 'in', 'at', 'limit', 'tries', 'retry-delay', 'max-jobs', 'max-age', 'host', 'port', 'token', 'basic-auth', 'base-path', 'class', 'exception', 'since', 'until', 'search', 'offset'];
  const all = everyFlag(COMMANDS);
  assert.deepEqual(all.filter((f) => f.kind === 'boolean').map((f) => f.name).sort(), [...booleans].sort());
  assert.deepEqual(all.filter((f) => f.kind !== 'boolean').map((f) => f.name).sort(), [...values].sort());
  assert.deepEqual(all.filter((f) => f.kind === 'list').map((f) => f.name), ['queue']);
  assert.deepEqual(all.flatMap((f) => f.aliases ?? []), ['pid', 'delay']);
  assert.deepEqual(GLOBAL_FLAGS.map((f) => [f.name, f.short]), [['help', 'h'], ['version', 'V']]);
});

test('every variable in start\'s flag table is read by start (the help does not promise one it ignores)', () => {
  /** variable → [env with it, env without it]; the two configs must differ. */
  const samples = {
    QUEUE: [{ QUEUE: 'x' }, { QUEUE: 'y' }],
    COUNT: [{ COUNT: '3' }, {}],
    INTERVAL: [{ INTERVAL: '2' }, {}],
    BLOCKING: [{ BLOCKING: '' }, {}],
    PIDFILE: [{ PIDFILE: 'w.pid' }, {}],
    APP_INCLUDE: [{ APP_INCLUDE: 'app.js' }, {}],
    PREFIX: [{ PREFIX: 'ns' }, {}],
    REDIS_BACKEND: [{ REDIS_BACKEND: 'r:1' }, {}],
    REDIS_BACKEND_DB: [{ REDIS_BACKEND: 'r:1', REDIS_BACKEND_DB: '2' }, { REDIS_BACKEND: 'r:1' }],
    VERBOSE: [{ VERBOSE: '1' }, {}],
    LOGGING: [{ LOGGING: '1' }, {}],
    VVERBOSE: [{ VVERBOSE: '1' }, {}],
    GRACEFUL_TERM: [{ GRACEFUL_TERM: '1' }, {}],
  };
  const listed = startCommand.flags.flatMap((f) => f.variables ?? []);
  assert.deepEqual([...listed].sort(), Object.keys(samples).sort());
  const cfg = (env) => {
    const r = startCommand.parse([], { QUEUE: 'q', ...env }, '/srv');
    assert.ok(r.ok, r.error);
    return JSON.stringify(r.options.config);
  };
  for (const [variable, [withIt, without]] of Object.entries(samples)) {
    assert.notEqual(cfg(withIt), cfg(without), variable);
  }
});

function escape(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
