'use strict';
// src/engine/per-job-child-runner.ts + src/worker/per-job-child.ts + src/job/execute.ts: one outcome per fixture job, hooks, recycling,
// kill, close, and children that die with (or without) their parent. No Redis needed.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ChildRunner } = require('../dist/engine/per-job-child-runner');
const { waitFor } = require('./helpers/wait');

const JOBS = path.join(__dirname, 'fixtures', 'jobs');
const APP = path.join(__dirname, 'fixtures', 'app.js');
const ID = '0123456789abcdef0123456789abcdef';

/** A php-resque 2.x payload: args wrapped in a one-element array. */
const php = (cls, args) => JSON.stringify({ class: cls, args: [args], id: ID, prefix: '', queue_time: 1700000000.25 });
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

const runners = [];
function runner(opts = {}) {
  const r = new ChildRunner({ jobsDir: JOBS, jobsPerChild: 100, killGraceMs: 500, ...opts });
  runners.push(r);
  return r;
}
test.after(() => Promise.all(runners.map((r) => r.close())));

function tmpFile(t, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resque-runner-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, name);
}

const shared = runner();

test('done: the result crosses the channel intact', async () => {
  const o = await shared.run('q1', php('ReturnsValue', {}));
  assert.equal(o.kind, 'done');
  assert.deepEqual(o.result, { ok: true, n: 1.5, s: '完成' });
  assert.equal(typeof o.pid, 'number');
  assert.ok(o.durationMs >= 0);
});

test('php payload: this.args is args[0]; queue and job id are set', async () => {
  const o = await shared.run('q1', php('Echo', { a: 1 }));
  assert.deepEqual(o.result, { args: { a: 1 }, positional: [{ a: 1 }], queue: 'q1', id: ID });
  const empty = await shared.run('q1', '{"class":"Echo","args":[]}');
  assert.deepEqual(empty.result, { args: null, positional: [], queue: 'q1', id: undefined });
});

test('Ruby-style payload: perform gets the positional args', async () => {
  const o = await shared.run('q2', '{"class":"Echo","args":[{"a":1},2,"x"]}');
  assert.equal(o.kind, 'done');
  assert.deepEqual(o.result.positional, [{ a: 1 }, 2, 'x']);
  assert.deepEqual(o.result.args, { a: 1 });
});

test('integers beyond 2^53 arrive and return as exact bigints', async () => {
  const o = await shared.run('q', '{"class":"Echo","args":[{"big":9007199254740993}]}');
  assert.equal(o.result.args.big, 9007199254740993n);
});

test('failed: name, message and backtrace of the thrown error', async () => {
  const o = await shared.run('q', php('Throws', { message: 'kaput' }));
  assert.equal(o.kind, 'failed');
  assert.equal(o.error.name, 'Error');
  assert.equal(o.error.message, 'kaput');
  assert.match(o.error.backtrace[0], /Throws\.js/);
});

test('failed: unknown class, class without perform, bad payload, unsendable result', async () => {
  const missing = await shared.run('q', php('NoSuchJob', {}));
  assert.deepEqual([missing.kind, missing.error.name, missing.error.message], ['failed', 'JobClassNotFoundError', `Could not find job class NoSuchJob. Looked in ${JOBS} for NoSuchJob.{js,cjs,mjs,ts,cts,mts}.`]);
  const noPerform = await shared.run('q', php('NoPerform', {}));
  assert.equal(noPerform.error.message, 'Job class NoPerform does not contain a perform method.');
  const bad = await shared.run('q', '{not json');
  assert.deepEqual([bad.kind, bad.error.name], ['failed', 'InvalidPayloadError']);
  const fn = await shared.run('q', php('ReturnsFunction', {}));
  assert.deepEqual([fn.kind, fn.error.name], ['failed', 'UnserializableResultError']);
});

test('skipped: DontPerform from setUp, the library class or a local copy', async () => {
  for (const local of [false, true]) {
    const o = await shared.run('q', php('Skips', { local, reason: `local=${local}` }));
    assert.deepEqual([o.kind, o.reason], ['skipped', `local=${local}`]);
  }
});

test('TypeScript, ESM and namespaced jobs run', async () => {
  assert.deepEqual((await shared.run('q', php('TsJob', { name: 'ts' }))).result, { greeting: 'hello ts', typed: true });
  assert.deepEqual((await shared.run('q', php('EsmJob', 7))).result, { esm: true, args: 7 });
  assert.deepEqual((await shared.run('q', php('\\App\\Jobs\\SendEmail', { to: 'a@b.c' }))).result, { sent: 'a@b.c' });
});

test('crashed: exit code 3, then the next job runs in a fresh child', async () => {
  const o = await shared.run('q', php('ExitNonZero', {}));
  assert.equal(o.kind, 'crashed');
  assert.deepEqual([o.exitCode, o.signal, o.error.name, o.error.message], [3, null, 'DirtyExitError', 'Job exited with exit code 3']);
  const next = await shared.run('q', php('Noop', { after: 'crash' }));
  assert.deepEqual([next.kind, next.result], ['done', { after: 'crash' }]);
  assert.notEqual(next.pid, o.pid);
});

test('crashed: exit 0 without a reply, and killed by SIGKILL', async () => {
  const zero = await shared.run('q', php('ExitNonZero', { code: 0 }));
  assert.deepEqual([zero.kind, zero.exitCode], ['crashed', 0]);
  assert.match(zero.error.message, /before reporting a result/);
  const o = await shared.run('q', php('KillsItself', {}));
  assert.deepEqual([o.kind, o.exitCode, o.signal, o.error.name], ['crashed', null, 'SIGKILL', 'DirtyExitError']);
  assert.match(o.error.message, /SIGKILL/);
});

test('WritesFile and LeaksMemory fixtures', async (t) => {
  const file = tmpFile(t, 'done.txt');
  await shared.run('q', php('WritesFile', { file }));
  await shared.run('q', php('WritesFile', { file }));
  assert.equal(fs.readFileSync(file, 'utf8'), `${ID}\n${ID}\n`);
  const leak = await shared.run('q', php('LeaksMemory', { mb: 4, ms: 1 }));
  assert.ok(leak.result.heldMb >= 4);
});

test('one job at a time', async () => {
  const r = runner();
  const first = r.run('q', php('Slow', { ms: 200 }));
  await assert.rejects(r.run('q', php('Noop', {})), /already running/);
  assert.equal((await first).kind, 'done');
});

test('jobsPerChild: same pid until N jobs, then a new child; the old one exits', async () => {
  const r = runner({ jobsPerChild: 3 });
  const pids = [];
  for (let i = 0; i < 4; i++) pids.push((await r.run('q', php('Noop', {}))).pid);
  assert.equal(pids[0], pids[1]);
  assert.equal(pids[1], pids[2]);
  assert.notEqual(pids[3], pids[2]);
  await waitFor(() => !alive(pids[0]), { what: 'the recycled child to exit' });
});

test('jobsPerChild=1: a fresh process per job, the next one forked while the job runs', async () => {
  const r = runner({ jobsPerChild: 1 });
  let during;
  const first = await r.run('q', php('Slow', { ms: 300 }), (pid) => setTimeout(() => { during = r.pids.filter((p) => p !== pid); }, 150));
  assert.equal(during.length, 1, 'a spare child exists while the job runs');
  const second = await r.run('q', php('Noop', {}));
  assert.notEqual(second.pid, first.pid);
  assert.equal(second.pid, during[0], 'the pre-spawned child took the next job');
});

test('kill() during a job: crashed with SIGKILL; currentPid names the child', async () => {
  const r = runner();
  let started;
  let current;
  // Read in the callback, asserted after: the runner swallows what its onStart callback throws.
  const o = await r.run('q', php('Slow', { ms: 20000 }), (pid) => {
    started = pid;
    current = r.currentPid;
    setTimeout(() => r.kill(), 100);
  });
  assert.equal(typeof started, 'number', 'onStart was called with the child pid');
  assert.equal(current, started, 'currentPid names the child while the job runs');
  assert.deepEqual([o.kind, o.signal, o.pid], ['crashed', 'SIGKILL', started]);
  assert.ok(o.durationMs < 5000);
  assert.equal(r.currentPid, undefined);
  assert.equal((await r.run('q', php('Noop', 1))).result, 1);
});

test('kill("SIGTERM") escalates to SIGKILL when the job ignores TERM', async () => {
  const r = runner({ killGraceMs: 300 });
  const o = await r.run('q', php('Hangs', { ignoreTerm: true }), () => setTimeout(() => r.kill('SIGTERM'), 100));
  assert.deepEqual([o.kind, o.signal], ['crashed', 'SIGKILL']);
  const busy = await r.run('q', php('Hangs', { busy: true }), () => setTimeout(() => r.kill('SIGTERM'), 100));
  assert.deepEqual([busy.kind, busy.signal], ['crashed', 'SIGTERM']);
});

test('close() reaps idle, spare and running children', async () => {
  const r = runner({ jobsPerChild: 1 });
  await r.run('q', php('Noop', {}));
  const running = r.run('q', php('Hangs', {}));
  await waitFor(() => r.currentPid !== undefined && r.pids.length === 2, { what: 'a running and a spare child' });
  const pids = r.pids;
  await r.close();
  assert.equal((await running).kind, 'crashed');
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  assert.deepEqual(r.pids, []);
  await assert.rejects(r.run('q', php('Noop', {})), /closed/);
});

test('app hooks and job hooks run in php-resque order', async (t) => {
  const log = tmpFile(t, 'hooks.log');
  const r = runner({ app: APP, env: { HOOK_LOG: log } });
  const read = () => fs.readFileSync(log, 'utf8').trim().split('\n');
  assert.equal((await r.run('q', php('Hooked', {}))).result, 'hooked');
  assert.deepEqual(read(), ['afterFork:Hooked', 'beforePerform:Hooked', 'job.beforePerform', 'job.setUp', 'job.perform', 'job.tearDown', 'afterPerform:Hooked', 'job.afterPerform']);
  fs.writeFileSync(log, '');
  const failed = await r.run('q', php('Hooked', { fail: true }));
  assert.equal(failed.error.message, 'hooked failure');
  assert.deepEqual(read().slice(-3), ['job.perform', 'onFailure:Hooked:hooked failure', 'job.onFailure:hooked failure'], 'no tearDown after a throw');
  const skipped = await r.run('q', php('Hooked', { skip: true }));
  assert.deepEqual([skipped.kind, skipped.reason], ['skipped', 'skipped by job']);
  assert.equal((await r.run('q', php('Noop', { skipInHook: true }))).kind, 'skipped');
  const hookFail = await r.run('q', php('Noop', { failIn: 'afterFork' }));
  assert.deepEqual([hookFail.kind, hookFail.error.message], ['failed', 'afterFork failed']);
  assert.ok(read().includes('onFailure:Noop:afterFork failed'));
  assert.deepEqual((await r.run('q', php('Registered::Job', 5))).result, { registered: true, args: 5 });
});

test('an app module that fails to load: warm() rejects, run() is crashed with the reason', async (t) => {
  const app = tmpFile(t, 'broken.js');
  fs.writeFileSync(app, "throw new Error('bad bootstrap');\n");
  const r = runner({ app });
  await assert.rejects(r.warm(), { name: 'DirtyExitError', message: /could not start: Error: bad bootstrap/ });
  const o = await r.run('q', php('Noop', {}));
  assert.deepEqual([o.kind, o.exitCode], ['crashed', 1]);
  assert.match(o.error.message, /bad bootstrap/);
});

test('a child that never reports ready is killed after readyTimeoutMs', async (t) => {
  const entry = tmpFile(t, 'silent.js');
  fs.writeFileSync(entry, 'setInterval(() => {}, 1000);\n');
  const r = runner({ entry, readyTimeoutMs: 300 });
  const o = await r.run('q', php('Noop', {}));
  assert.deepEqual([o.kind, o.signal], ['crashed', 'SIGKILL']);
  assert.match(o.error.message, /did not start within 300 ms/);
});

test('a child exits by itself when its parent dies', async () => {
  const script = `const { ChildRunner } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'engine', 'per-job-child-runner'))});
    const r = new ChildRunner({ jobsDir: ${JSON.stringify(JOBS)}, jobsPerChild: 1 });
    r.run('q', '{"class":"Slow","args":[{"ms":60000}]}', (pid) => console.log(pid));`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  parent.stdout.on('data', (d) => { out += d; });
  const childPid = Number(await waitFor(() => out.trim(), { what: 'the child pid' }));
  assert.ok(alive(childPid));
  parent.kill('SIGKILL');
  await waitFor(() => !alive(childPid), { what: 'the orphaned child to exit' });
});

test('the example jobs in jobs/ work', async () => {
  const r = runner({ jobsDir: path.join(__dirname, '..', 'jobs') });
  assert.deepEqual((await r.run('q', php('App\\Jobs\\SendEmail', { to: 'x@y.z' }))).result, { sent: true, to: 'x@y.z' });
  assert.equal((await r.run('q', php('Noop', {}))).kind, 'done');
  assert.deepEqual((await r.run('q', php('Sleep', { seconds: 0.01 }))).result, { slept: 0.01 });
  assert.deepEqual([(await r.run('q', php('Fail', {}))).kind], ['failed']);
});
