'use strict';
// Logging through the real CLI over a private redis-server (issue 9, "Logs"):
//   1. the per-job line names the queue (text and JSON), invalid payloads too;
//   2. --quiet / --log-level=warning: no per-job line, warnings still shown; the level reaches
//      every process that logs (job process, strict mode, --in-process, COUNT workers);
//   3. text lines carry php's [H:i:s Y-m-d] timestamp when stdout is not a terminal (a pipe here),
//      and none on a terminal at the normal level (a real pty through script(1));
//   4. --slow-job-log=SECONDS: one warning per job still running past it, in every engine;
//   5. the --help flag table is aligned whatever the length of its texts.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { startWorker, spawnResque, BIN, ROOT, JOBS } = require('./helpers/worker');
const { Resque } = require('..');

const redis = useRedis();

const ENGINES = [
  { name: 'default', args: [] },
  { name: 'strict --jobs-per-child=1', args: ['--jobs-per-child=1'] },
  { name: '--in-process', args: ['--in-process'] },
];

/** php's date('H:i:s Y-m-d') in brackets. */
const STAMP = /\[\d\d:\d\d:\d\d \d{4}-\d\d-\d\d\]/;
/** A text log line: `[level] ` then, when timestamped, `[H:i:s Y-m-d] `. */
const TEXT_LINE = /^\[(error|warning|notice|info|debug)\] /;

async function setup(t, name) {
  const srv = await redis();
  const ns = uniqueNamespace(name);
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  return { srv, ns, resque, r: await resque.redis() };
}

/** `resque start --once ARGS` over the given namespace; resolves the finished handle (exit 0 asserted). */
async function runOnce(t, { srv, ns }, args, queue = 'default', env = {}) {
  const w = startWorker({ srv, ns, queue, env, args: ['--once', ...args] });
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null }, w.output);
  return w;
}

const lines = (text) => text.split('\n').filter((l) => l !== '');
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---- 1. the queue in job lines ----

test('job lines name the queue (text): done, failed, invalid payload', async (t) => {
  const ctx = await setup(t, 'lq');
  const ok = await ctx.resque.enqueue('mail', 'Noop', {});
  const bad = await ctx.resque.enqueue('mail', 'Throws', { message: 'nope' });
  await ctx.r.rpush(`${ctx.ns}:queue:mail`, '{not json');
  const w = await runOnce(t, ctx, [], 'mail');
  assert.match(w.stdout, new RegExp(`\\[${ok}\\] Noop \\(queue: mail, attempt: 1, pid: \\d+\\) - Done \\(\\d+\\.\\d{3} s\\)\\n`));
  assert.match(w.stdout, new RegExp(`\\[${bad}\\] Throws \\(queue: mail, attempt: 1, pid: \\d+\\) - Error \\(\\d+\\.\\d{3} s\\): Error: nope\\n`));
  assert.match(w.stdout, /\(invalid payload\) \(queue: mail, attempt: 1\) - Error \(0\.000 s\): InvalidPayloadError: /);
  assert.doesNotMatch(w.stdout, /\(attempt: 1/, 'no job line without its queue');
});

test('job lines name the queue (JSON): a "queue" field after "class"', async (t) => {
  const ctx = await setup(t, 'lj');
  const ok = await ctx.resque.enqueue('high', 'Noop', {});
  const w = await runOnce(t, ctx, ['--log-format=json'], 'low,high');
  const jobs = lines(w.stdout).map((l) => JSON.parse(l)).filter((o) => o.event === 'job');
  assert.equal(jobs.length, 1, w.stdout);
  assert.equal(jobs[0].id, ok);
  assert.equal(jobs[0].queue, 'high');
  assert.deepEqual(Object.keys(jobs[0]), ['time', 'level', 'event', 'id', 'class', 'queue', 'attempt', 'pid', 'outcome', 'seconds']);
});

// ---- 2. --quiet and --log-level ----

/** N Noop jobs and one Slow job past --slow-job-log: only the slow-job warning may be printed. */
async function assertQuiet(t, name, args, env = {}) {
  const ctx = await setup(t, name);
  const N = 25;
  for (let i = 0; i < N; i++) await ctx.resque.enqueue('default', 'Noop', { i });
  const slow = await ctx.resque.enqueue('default', 'Slow', { ms: 700 });
  const w = await runOnce(t, ctx, ['--slow-job-log=0.3', ...args], 'default', env);
  assert.equal(await ctx.r.get(`${ctx.ns}:stat:processed`), String(N + 1));
  assert.doesNotMatch(w.output, /attempt: 1|- Done|\[notice\]|\[info\]/, `no per-job line, no notice:\n${w.output}`);
  // Only warnings remain. The Slow job's is there; a Noop may also pass 0.3 s on a loaded machine
  // (strict mode forks per job), and its warning is as legitimate.
  const out = lines(w.stdout);
  for (const l of out) assert.match(l, /^\[warning\] .* still running after /, w.stdout);
  assert.equal(out.filter((l) => new RegExp(`\\[${slow}\\] Slow \\(queue: default, pid: \\d+\\) still running after`).test(l)).length, 1, w.stdout);
  return w;
}

test('--quiet: no per-job lines for N jobs, a warning still shows', async (t) => {
  await assertQuiet(t, 'qq', ['--quiet']);
});

test('--log-level=warning: no per-job lines for N jobs, a warning still shows', async (t) => {
  await assertQuiet(t, 'qw', ['--log-level=warning']);
});

test('--log-level=warning beats VERBOSE and --debug; strict and --in-process engines are quiet too', async (t) => {
  for (const engine of ENGINES.slice(1)) {
    await assertQuiet(t, 'qe', ['--log-level=warning', '--debug', ...engine.args], { VERBOSE: '1' });
  }
});

test('--quiet beats VVERBOSE (a flag beats its variable)', async (t) => {
  await assertQuiet(t, 'qv', ['--quiet'], { VVERBOSE: '1' });
});

test('--quiet reaches the workers of a COUNT supervisor (through its argv)', async (t) => {
  const ctx = await setup(t, 'qc');
  for (let i = 0; i < 10; i++) await ctx.resque.enqueue('default', 'Noop', { i });
  const w = await runOnce(t, ctx, ['--quiet', '--count=2']);
  assert.equal(await ctx.r.get(`${ctx.ns}:stat:processed`), '10');
  assert.equal(w.stdout, '', 'nothing below warning, from the supervisor or its workers');
});

test('--log-level=error hides warnings too; --quiet --verbose is a usage error (exit 2) naming both', async (t) => {
  const ctx = await setup(t, 'qe2');
  await ctx.resque.enqueue('default', 'Slow', { ms: 600 });
  const w = await runOnce(t, ctx, ['--log-level=error', '--slow-job-log=0.2']);
  assert.equal(w.stdout, '');
  const bad = spawnResque(['start', '--queue=q', '--quiet', '--verbose']);
  assert.deepEqual(await bad.waitExit(), { code: 2, signal: null });
  assert.match(bad.stderr, /--quiet/);
  assert.match(bad.stderr, /--verbose/);
});

// ---- 3. timestamps when stdout is not a terminal ----

test('stdout is a pipe: every text line carries the [H:i:s Y-m-d] timestamp at the normal level', async (t) => {
  const ctx = await setup(t, 'ts');
  const id = await ctx.resque.enqueue('default', 'Noop', {});
  const w = await runOnce(t, ctx, []);
  const out = lines(w.stdout);
  assert.ok(out.length >= 3, w.stdout); // start, the job, stop
  for (const l of out) assert.match(l, new RegExp(`${TEXT_LINE.source}${STAMP.source} `), l);
  assert.match(w.stdout, new RegExp(`^\\[notice\\] ${STAMP.source} \\[${id}\\] Noop \\(queue: default, `, 'm'));
  assert.match(out[0], new RegExp(`^\\[notice\\] ${STAMP.source} \\*\\*\\* Starting worker `));
});

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

test('stdout is a terminal (a pty through script(1)): no timestamp at the normal level', { skip: !hasScript && 'no script(1)' }, async (t) => {
  const ctx = await setup(t, 'tt');
  const id = await ctx.resque.enqueue('default', 'Noop', {});
  const argv = [process.execPath, BIN, 'start', '--once', `--redis=${ctx.srv.url}`, `--prefix=${ctx.ns}`, `--jobs=${JOBS}`, '--queue=default'];
  const env = { ...process.env };
  for (const k of ['QUEUE', 'VERBOSE', 'LOGGING', 'VVERBOSE', 'REDIS_URL', 'REDIS_BACKEND', 'PREFIX', 'COUNT', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT']) delete env[k];
  const proc = spawn('script', ['-qfec', argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '), '/dev/null'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  t.after(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  const timer = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 20000);
  const code = await new Promise((resolve) => proc.once('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, out);
  const got = lines(out.replace(/\r/g, ''));
  assert.ok(got.some((l) => l.startsWith(`[notice] [${id}] Noop (queue: default, attempt: 1, pid: `)), out);
  assert.ok(got.some((l) => l.startsWith('[notice] *** Starting worker ')), out);
  for (const l of got) assert.doesNotMatch(l, STAMP, l);
});

// ---- 4. --slow-job-log ----

for (const engine of ENGINES) {
  test(`--slow-job-log=0.3 (${engine.name}): one warning for a job running past it, none for a fast job`, async (t) => {
    const ctx = await setup(t, 'sl');
    const fast = await ctx.resque.enqueue('default', 'Noop', {});
    const slow = await ctx.resque.enqueue('default', 'Slow', { ms: 1100 });
    const fast2 = await ctx.resque.enqueue('default', 'Slow', { ms: 50 });
    const w = await runOnce(t, ctx, ['--slow-job-log=0.3', ...engine.args]);
    const warned = lines(w.stdout).filter((l) => l.includes('still running after'));
    assert.equal(warned.length, 1, w.stdout);
    const m = new RegExp(`^\\[warning\\] ${STAMP.source} \\[${slow}\\] Slow \\(queue: default, pid: (\\d+)\\) still running after (\\d+\\.\\d) s$`).exec(warned[0]);
    assert.ok(m, warned[0]);
    const seconds = Number(m[2]);
    assert.ok(seconds >= 0.3 && seconds < 1.1, `${seconds} s`);
    const done = new RegExp(`\\[${escapeRe(slow)}\\] Slow \\(queue: default, attempt: 1, pid: (\\d+)\\) - Done`).exec(w.stdout);
    assert.ok(done, w.stdout);
    assert.equal(m[1], done[1], 'the pid is the process that ran the job');
    assert.ok(w.stdout.indexOf(warned[0]) < done.index, 'logged while the job ran');
    for (const id of [fast, fast2]) assert.ok(!warned[0].includes(id));
  });
}

test('--slow-job-log=0 is off; JSON shape of the slow-job line', async (t) => {
  const ctx = await setup(t, 'so');
  await ctx.resque.enqueue('default', 'Slow', { ms: 500 });
  const off = await runOnce(t, ctx, ['--slow-job-log=0']);
  assert.doesNotMatch(off.stdout, /still running/);
  const slow = await ctx.resque.enqueue('default', 'Slow', { ms: 600 });
  const w = await runOnce(t, ctx, ['--slow-job-log=0.2', '--log-format=json']);
  const slowLines = lines(w.stdout).map((l) => JSON.parse(l)).filter((o) => o.event === 'slow-job');
  assert.equal(slowLines.length, 1, w.stdout);
  const o = slowLines[0];
  assert.deepEqual(Object.keys(o), ['time', 'level', 'event', 'id', 'class', 'queue', 'pid', 'seconds']);
  assert.equal(o.level, 'warning');
  assert.equal(o.id, slow);
  assert.equal(o.class, 'Slow');
  assert.equal(o.queue, 'default');
  assert.equal(typeof o.pid, 'number');
  assert.ok(o.seconds >= 0.2 && o.seconds < 0.6, String(o.seconds));
});

// ---- 5. --help ----

test('--help: every row of the flag table starts its columns at the same offsets', async () => {
  const h = spawnResque(['--help']);
  assert.deepEqual(await h.waitExit(), { code: 0, signal: null });
  const all = h.stdout.split('\n');
  const head = all.findIndex((l) => /^ {2}flag +what +variable +default$/.test(l));
  assert.ok(head > 0, h.stdout);
  const rows = [];
  for (let i = head + 1; i < all.length && all[i] !== ''; i++) rows.push(all[i]);
  assert.ok(rows.length >= 25, h.stdout);
  const offsets = ['what', 'variable', 'default'].map((word) => all[head].indexOf(` ${word}`) + 1);
  for (const row of rows) {
    assert.equal(row.slice(0, 4), `  --`, row);
    for (const at of offsets) {
      assert.equal(row.slice(at - 2, at), '  ', `two spaces before column ${at}: ${row}`);
      assert.notEqual(row[at], ' ', `a column starts at ${at}: ${row}`);
    }
  }
  for (const flag of ['--quiet', '--log-level=', '--slow-job-log=SECONDS']) assert.ok(h.stdout.includes(flag), flag);
});
