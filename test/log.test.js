'use strict';
// src/log.ts: levels, php-resque text lines, timestamps (TTY or not), JSON lines, the per-job and
// slow-job lines, redaction, never throwing.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Writable } = require('node:stream');
const { Logger, redactSecrets } = require('../dist/log');

const NOW = new Date('2026-11-21T08:58:29.123Z');

/** A logger writing into an array of lines; the stream is a terminal unless `tty: false`. */
function capture(level, format = 'text', { tty = true, timestamps } = {}) {
  const lines = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter((l) => l !== ''));
      done();
    },
  });
  if (tty) stream.isTTY = true;
  return { lines, log: new Logger({ level, format, stream, now: () => NOW, ...(timestamps === undefined ? {} : { timestamps }) }) };
}

function everyLevel(log) {
  log.debug('d');
  log.info('i');
  log.notice('n');
  log.warning('w');
  log.error('e');
}

test('notice level (the default) on a terminal: notice, warning, error as "[level] message"', () => {
  const { lines, log } = capture('notice');
  everyLevel(log);
  assert.deepEqual(lines, ['[notice] n', '[warning] w', '[error] e']);
});

test('info (verbose) adds info, with php\'s [H:i:s Y-m-d] timestamp (UTC)', () => {
  const { lines, log } = capture('info');
  everyLevel(log);
  const t = '[08:58:29 2026-11-21]';
  assert.deepEqual(lines, [`[info] ${t} i`, `[notice] ${t} n`, `[warning] ${t} w`, `[error] ${t} e`]);
});

test('debug adds debug', () => {
  const { lines, log } = capture('debug');
  everyLevel(log);
  assert.equal(lines.length, 5);
  assert.equal(lines[0], '[debug] [08:58:29 2026-11-21] d');
});

test('enabled() follows the level', () => {
  const { log } = capture('notice');
  assert.equal(log.enabled('notice'), true);
  assert.equal(log.enabled('info'), false);
  assert.equal(capture('info').log.enabled('debug'), false);
  assert.equal(capture('debug').log.enabled('debug'), true);
  assert.equal(capture('warning').log.enabled('notice'), false);
  assert.equal(capture('warning').log.enabled('warning'), true);
  assert.equal(capture('error').log.enabled('warning'), false);
});

test('warning level (--quiet): warnings and errors only; no per-job lines', () => {
  const { lines, log } = capture('warning');
  everyLevel(log);
  log.jobLine({ id: 'a', className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Done', seconds: 0 });
  log.jobLine({ id: 'b', className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Failed', seconds: 0, error: 'x' });
  log.flush();
  assert.deepEqual(lines, ['[warning] w', '[error] e']);
  const err = capture('error');
  everyLevel(err.log);
  assert.deepEqual(err.lines, ['[error] e']);
});

test('timestamps: on at every level when the stream is not a terminal (pipe, systemd, Docker)', () => {
  const t = '[08:58:29 2026-11-21]';
  for (const level of ['error', 'warning', 'notice']) {
    const { lines, log } = capture(level, 'text', { tty: false });
    log.error('e');
    log.jobLine({ id: 'a', className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Done', seconds: 0 });
    log.flush();
    assert.equal(lines[0], `[error] ${t} e`, level);
    if (level === 'notice') assert.equal(lines[1], `[notice] ${t} [a] J (queue: q, attempt: 1, pid: 1) - Done (0.000 s)`);
  }
  assert.equal(capture('notice', 'text', { tty: false }).log.timestamps, true);
  assert.equal(capture('notice').log.timestamps, false, 'a terminal at the normal level: none');
  assert.equal(capture('warning').log.timestamps, false);
  assert.equal(capture('info').log.timestamps, true, 'verbose: always');
  assert.equal(capture('debug').log.timestamps, true);
});

test('timestamps: the option overrides the terminal check', () => {
  const on = capture('notice', 'text', { timestamps: true });
  on.log.notice('n');
  assert.equal(on.lines[0], '[notice] [08:58:29 2026-11-21] n');
  const off = capture('debug', 'text', { tty: false, timestamps: false });
  off.log.debug('d');
  assert.equal(off.lines[0], '[debug] d');
});

test('text: {placeholders} are filled from the context, the rest of it is not printed', () => {
  const { lines, log } = capture('notice');
  log.notice('Starting work on {job} in {queue} ({missing})', { job: 'J1', queue: 'default', extra: 1 });
  log.notice('{err} / {n} / {obj}', { err: new Error('boom'), n: 3, obj: { a: 1 } });
  assert.deepEqual(lines, ['[notice] Starting work on J1 in default ({missing})', '[notice] boom / 3 / {"a":1}']);
});

test('json: one object per line with time, level, msg and the context', () => {
  const { lines, log } = capture('notice', 'json');
  log.warning('Queue {queue} is slow', { queue: 'q', ms: 12, err: new Error('x'), big: 10n });
  log.info('hidden');
  assert.equal(lines.length, 1);
  assert.deepEqual(JSON.parse(lines[0]), {
    time: '2026-11-21T08:58:29.123Z', level: 'warning', msg: 'Queue q is slow', queue: 'q', ms: 12,
    err: { name: 'Error', message: 'x' }, big: '10',
  });
});

test('json: context keys cannot overwrite time/level/msg; cycles do not throw', () => {
  const { lines, log } = capture('notice', 'json');
  const loop = { name: 'loop' };
  loop.self = loop;
  log.error('m', { level: 'fake', time: 'no', loop });
  const o = JSON.parse(lines[0]);
  assert.equal(o.level, 'error');
  assert.equal(o.time, NOW.toISOString());
  assert.equal(o.ctx_level, 'fake');
  assert.equal(o.ctx_time, 'no');
  assert.equal(o.loop.self, '[Circular]');
});

test('jobLine text: yii2-queue shape at notice level, with the queue', () => {
  const { lines, log } = capture('notice');
  log.jobLine({ id: 'abc', className: 'App\\Jobs\\SendEmail', queue: 'mail', attempt: 1, pid: 42, outcome: 'Done', seconds: 0.2494 });
  log.jobLine({ id: 'def', className: 'Job', queue: 'default', attempt: 2, pid: 43, outcome: 'Failed', seconds: 0.012, error: 'line1\nline2' });
  log.jobLine({ id: 'ghi', className: 'Job', queue: 'default', attempt: 1, pid: 44, outcome: 'Skipped', seconds: 0.001 });
  log.jobLine({ id: undefined, className: '(invalid payload)', queue: 'default', attempt: 1, pid: undefined, outcome: 'Failed', seconds: 1 });
  log.jobLine({ id: undefined, className: 'Job', queue: undefined, attempt: 1, pid: undefined, outcome: 'Failed', seconds: 1 });
  log.flush();
  assert.deepEqual(lines, [
    '[notice] [abc] App\\Jobs\\SendEmail (queue: mail, attempt: 1, pid: 42) - Done (0.249 s)',
    '[notice] [def] Job (queue: default, attempt: 2, pid: 43) - Error (0.012 s): line1 line2',
    '[notice] [ghi] Job (queue: default, attempt: 1, pid: 44) - Skipped',
    '[notice] (invalid payload) (queue: default, attempt: 1) - Error (1.000 s)',
    '[notice] Job (attempt: 1) - Error (1.000 s)',
  ]);
});

test('slowJob: one warning line, text and JSON; hidden below warning', () => {
  const { lines, log } = capture('warning');
  log.slowJob({ id: 'abc', className: 'Slow', queue: 'default', pid: 42, seconds: 10.0213 });
  log.slowJob({ id: undefined, className: 'Slow', queue: 'q', pid: undefined, seconds: 0.3 });
  assert.deepEqual(lines, [
    '[warning] [abc] Slow (queue: default, pid: 42) still running after 10.0 s',
    '[warning] Slow (queue: q) still running after 0.3 s',
  ]);
  const json = capture('notice', 'json');
  json.log.slowJob({ id: 'abc', className: 'Slow', queue: 'default', pid: 42, seconds: 10.0213 });
  assert.deepEqual(JSON.parse(json.lines[0]), {
    time: NOW.toISOString(), level: 'warning', event: 'slow-job', id: 'abc', class: 'Slow', queue: 'default', pid: 42, seconds: 10.021,
  });
  const quiet = capture('error');
  quiet.log.slowJob({ id: 'abc', className: 'Slow', queue: 'default', pid: 42, seconds: 10 });
  assert.deepEqual(quiet.lines, []);
});

test('slowJob: job lines held so far are written first', () => {
  const { lines, log } = capture('notice');
  log.jobLine({ id: 'a', className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Done', seconds: 0 });
  log.slowJob({ id: 'b', className: 'Slow', queue: 'q', pid: 1, seconds: 1 });
  assert.deepEqual(lines, ['[notice] [a] J (queue: q, attempt: 1, pid: 1) - Done (0.000 s)', '[warning] [b] Slow (queue: q, pid: 1) still running after 1.0 s']);
});

test('job lines of one event-loop turn go out in one write, before any later line, and by themselves on the next turn', async () => {
  const writes = [];
  const stream = new Writable({ write(chunk, _enc, done) { writes.push(String(chunk)); done(); } });
  const log = new Logger({ level: 'notice', format: 'text', stream, now: () => NOW, timestamps: false });
  for (const id of ['a', 'b', 'c']) log.jobLine({ id, className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Done', seconds: 0 });
  assert.deepEqual(writes, []);
  log.warning('after the jobs');
  assert.deepEqual(writes, [
    '[notice] [a] J (queue: q, attempt: 1, pid: 1) - Done (0.000 s)\n[notice] [b] J (queue: q, attempt: 1, pid: 1) - Done (0.000 s)\n[notice] [c] J (queue: q, attempt: 1, pid: 1) - Done (0.000 s)\n',
    '[warning] after the jobs\n',
  ]);
  log.jobLine({ id: 'd', className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Done', seconds: 0 });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(writes.length, 3);
  assert.equal(writes[2], '[notice] [d] J (queue: q, attempt: 1, pid: 1) - Done (0.000 s)\n');
});

test('jobLine text in verbose mode carries the timestamp', () => {
  const { lines, log } = capture('info');
  log.jobLine({ id: 'a', className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Done', seconds: 0 });
  log.flush();
  assert.equal(lines[0], '[notice] [08:58:29 2026-11-21] [a] J (queue: q, attempt: 1, pid: 1) - Done (0.000 s)');
});

test('jobLine json, with the queue', () => {
  const { lines, log } = capture('notice', 'json');
  log.jobLine({ id: 'abc', className: 'J', queue: 'mail', attempt: 1, pid: 42, outcome: 'Failed', seconds: 0.01234, error: 'boom' });
  log.jobLine({ id: undefined, className: 'J', queue: undefined, attempt: 3, pid: undefined, outcome: 'Done', seconds: 2 });
  log.flush();
  assert.deepEqual(JSON.parse(lines[0]), {
    time: NOW.toISOString(), level: 'notice', event: 'job', id: 'abc', class: 'J', queue: 'mail', attempt: 1, pid: 42,
    outcome: 'Failed', seconds: 0.012, error: 'boom',
  });
  assert.deepEqual(Object.keys(JSON.parse(lines[0])), ['time', 'level', 'event', 'id', 'class', 'queue', 'attempt', 'pid', 'outcome', 'seconds', 'error']);
  const done = JSON.parse(lines[1]);
  assert.equal(done.id, null);
  assert.equal(done.queue, null);
  assert.equal(done.pid, null);
  assert.equal('error' in done, false);
});

test('redactSecrets masks passwords in URLs', () => {
  const cases = [
    ['redis://user:s3cret@host:6379/0', 'redis://user:***@host:6379/0'],
    ['rediss://:s3cret@host', 'rediss://:***@host'],
    ['tcp://u:p@ss@h:1', 'tcp://u:***@h:1'],
    ['connect to redis://u:pw@a and redis://v:pw2@b', 'connect to redis://u:***@a and redis://v:***@b'],
    ['"redis:\\/\\/u:pw@h"', '"redis:\\/\\/u:***@h"'],
    ['redis://h:6379?password=abc&db=1', 'redis://h:6379?password=***&db=1'],
    ['redis://user@host:6379', 'redis://user@host:6379'],
    ['redis://host:6379/0', 'redis://host:6379/0'],
    ['mail me at a@b.c', 'mail me at a@b.c'],
  ];
  for (const [input, want] of cases) assert.equal(redactSecrets(input), want, input);
});

test('every line is redacted: text, context, json, job errors', () => {
  const text = capture('notice');
  text.log.error('Could not connect to {url}', { url: 'redis://u:pw@h' });
  text.log.jobLine({ id: 'a', className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Failed', seconds: 0, error: 'at redis://u:pw@h' });
  const json = capture('notice', 'json');
  json.log.error('redis://u:pw@h', { backend: 'redis://u:pw@h' });
  for (const line of [...text.lines, ...json.lines]) assert.ok(!line.includes('pw@'), line);
  assert.equal(text.lines[0], '[error] Could not connect to redis://u:***@h');
});

test('never throws: a throwing stream, a destroyed stream, a stream emitting errors', async () => {
  const throwing = { writable: true, write() { throw new Error('EPIPE'); }, on() { return this; } };
  const log = new Logger({ level: 'debug', format: 'text', stream: throwing });
  assert.doesNotThrow(() => everyLevel(log));
  assert.doesNotThrow(() => log.jobLine({ id: 'a', className: 'J', queue: 'q', attempt: 1, pid: 1, outcome: 'Done', seconds: 0 }));
  assert.doesNotThrow(() => log.slowJob({ id: 'a', className: 'J', queue: 'q', pid: 1, seconds: 1 }));

  const failing = new Writable({ write(_c, _e, done) { done(new Error('EPIPE')); } });
  const log2 = new Logger({ level: 'notice', format: 'json', stream: failing });
  log2.notice('lost');
  await new Promise((r) => setImmediate(r));
  log2.notice('after the error');

  const destroyed = new Writable({ write(_c, _e, done) { done(); } });
  destroyed.destroy();
  assert.doesNotThrow(() => new Logger({ level: 'notice', format: 'text', stream: destroyed }).error('x'));
  await new Promise((r) => setImmediate(r));
});

test('one error guard per stream however many loggers', () => {
  const stream = new Writable({ write(_c, _e, done) { done(); } });
  for (let i = 0; i < 20; i += 1) new Logger({ level: 'notice', format: 'text', stream });
  assert.equal(stream.listenerCount('error'), 1);
});

test('defaults to process.stdout (timestamps unless it is a terminal) and the real clock', () => {
  // In a process of its own: what a default Logger writes goes to its stdout (a pipe, so with
  // timestamps), nothing to stderr, stamped with the real time (text) and the real instant (json).
  const { execFileSync } = require('node:child_process');
  const path = require('node:path');
  const script = `const { Logger } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'log'))});
    new Logger({ level: 'notice', format: 'text' }).notice('to the default stream');
    new Logger({ level: 'notice', format: 'json' }).notice('as json');`;
  const before = Date.now();
  const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const after = Date.now();
  const [text, json] = out.trim().split('\n');
  const m = /^\[notice\] \[(\d\d):(\d\d):(\d\d) (\d{4})-(\d\d)-(\d\d)\] to the default stream$/.exec(text);
  assert.ok(m, `a php-resque text line with a timestamp on stdout: ${JSON.stringify(out)}`);
  const stamped = Date.UTC(Number(m[4]), Number(m[5]) - 1, Number(m[6]), Number(m[1]), Number(m[2]), Number(m[3]));
  // The text stamp has whole seconds, in UTC or local time: compare in both.
  const near = (t) => t >= Math.floor(before / 1000) * 1000 - 1000 && t <= after + 1000;
  const local = new Date(Number(m[4]), Number(m[5]) - 1, Number(m[6]), Number(m[1]), Number(m[2]), Number(m[3])).getTime();
  assert.ok(near(stamped) || near(local), `stamped with the real clock: ${text} (now ${new Date(after).toISOString()})`);
  const rec = JSON.parse(json);
  assert.equal(rec.msg, 'as json');
  const at = Date.parse(rec.time);
  assert.ok(at >= before - 5 && at <= after + 5, `json time is the real instant: ${json}`);
  const log = new Logger({ level: 'notice', format: 'text' });
  assert.equal(log.timestamps, process.stdout.isTTY !== true);
});
