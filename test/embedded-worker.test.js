'use strict';
// The embedded Worker and WorkerPool (src/worker/embedded.ts, src/worker/pool.ts), started from
// this test process against the file's private redis-server:
//   - jobs as a folder run in a job process (another pid), jobs as a map of classes in this process;
//   - job:start / job:done / job:failed / job:skipped / idle carry the right payloads and durations;
//   - stop({ graceful: true }) lets the running job finish, stop({ graceful: false }) kills it
//     (DirtyExitError, in the event and in `failed`); both resolve once unregistered;
//   - start() rejects clearly: unreachable Redis, missing jobs folder, bad options, a map with a
//     child-process option;
//   - nothing process-wide: no signal handlers, silent by default, the host exits after stop();
//     logStream receives the job process's lines;
//   - a pool runs N workers, each in a process of its own with its own id;
//   - a strict TypeScript consumer compiles against the types (and a wrong handler does not).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { PassThrough } = require('node:stream');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { useRedis } = require('./helpers/redis');
const { ROOT, HOST, tempDir, testSetup } = require('./helpers/worker');
const { waitFor } = require('./helpers/wait');
const { Worker, WorkerPool, Resque, DontPerform, OptionError } = require('..');

const run = promisify(execFile);
const redis = useRedis();

/** A throwaway app: jobs/Nap.js (sleeps args.ms, returns its pid), jobs/Boom.js (throws). */
function makeApp() {
  const app = tempDir('resque-embedded-');
  fs.mkdirSync(path.join(app, 'jobs'));
  fs.writeFileSync(path.join(app, 'jobs', 'Nap.js'), `'use strict';
module.exports = class Nap {
  async perform(args) {
    await new Promise((r) => setTimeout(r, (args && args.ms) || 0));
    return { pid: process.pid, slept: (args && args.ms) || 0 };
  }
};
`);
  fs.writeFileSync(path.join(app, 'jobs', 'Boom.js'), `'use strict';
module.exports = class Boom { perform() { throw new TypeError('boom'); } };
`);
  return app;
}

/** A started Worker on queue `q` of a fresh namespace; stopped (immediately) after the test. */
async function started(t, name, options) {
  const ctx = await testSetup(t, redis, name);
  const resque = new Resque({ redis: ctx.srv.url, namespace: ctx.ns });
  t.after(() => resque.close());
  const worker = new Worker({ queues: ['q'], redis: ctx.srv.url, namespace: ctx.ns, interval: 0.05, ...options });
  t.after(() => worker.stop({ graceful: false }));
  return { ...ctx, resque, worker };
}

/** Collect every event of `names` as [name, payload]. */
function record(emitter, names) {
  const seen = [];
  for (const n of names) emitter.on(n, (e) => seen.push([n, e]));
  return seen;
}

function failures(r, ns) {
  return r.lrange(`${ns}:failed`, 0, -1).then((l) => l.map((x) => JSON.parse(x)));
}

test('jobs as a folder run in a job process; events carry payloads, pids and durations', async (t) => {
  const app = makeApp();
  const { r, ns, resque, worker } = await started(t, 'fold', { jobsDir: path.join(app, 'jobs') });
  const seen = record(worker, ['job:start', 'job:done', 'job:failed']);
  assert.equal(worker.id, '', 'no id before start(): it is the job process\'s');
  await worker.start();
  assert.equal(worker.state, 'running');
  const [pid] = worker.id.match(/:(\d+):q$/)?.slice(1).map(Number) ?? [];
  assert.equal(worker.id, `${HOST}:${pid}:q`);
  assert.notEqual(pid, process.pid, 'the registered worker is the job process');
  assert.equal(await r.sismember(`${ns}:workers`, worker.id), 1, 'registered once start() resolved');
  const napId = await resque.enqueue('q', 'Nap', { ms: 150 });
  const boomId = await resque.enqueue('q', 'Boom', {});
  await waitFor(() => seen.length >= 4, { what: 'four events' });

  const [start, done, start2, failed] = seen;
  assert.deepEqual([start[0], done[0], start2[0], failed[0]], ['job:start', 'job:done', 'job:start', 'job:failed']);
  assert.deepEqual({ ...start[1], pid: 0 }, { workerId: worker.id, queue: 'q', className: 'Nap', id: napId, args: [{ ms: 150 }], pid: 0 });
  assert.equal(start[1].pid, pid, 'the job ran in the job process, not in this one');
  assert.equal(done[1].result.pid, start[1].pid, 'job:start names the process that ran it');
  assert.equal(done[1].pid, start[1].pid);
  assert.equal(done[1].id, napId);
  assert.ok(done[1].durationMs >= 145 && done[1].durationMs < 5000, `durationMs ${done[1].durationMs}`);
  assert.equal(failed[1].id, boomId);
  assert.equal(failed[1].className, 'Boom');
  assert.deepEqual([failed[1].error.name, failed[1].error.message], ['TypeError', 'boom']);
  assert.ok(Array.isArray(failed[1].error.backtrace) && failed[1].error.backtrace.length > 0);
  assert.ok(failed[1].durationMs >= 0 && failed[1].durationMs < 5000);

  await worker.stop();
  assert.equal(worker.state, 'stopped');
  assert.equal(await r.sismember(`${ns}:workers`, worker.id), 0, 'unregistered once stop() resolved');
  assert.deepEqual(await worker.waitUntilStopped(), { reason: 'stopped' });
});

test('jobs as a map of classes run in this process: done, failed, skipped, idle', async (t) => {
  class Hello {
    async perform(args) { return { hello: args.name, pid: process.pid, big: 2n ** 64n }; }
  }
  class Fails {
    perform() { throw new RangeError('out of range'); }
  }
  class Skip {
    perform() { throw new DontPerform('not today'); }
  }
  const { r, ns, resque, worker } = await started(t, 'map', { jobs: { Hello, 'App\\Fails': Fails, Skip } });
  const seen = record(worker, ['job:done', 'job:failed', 'job:skipped']);
  let idle = 0;
  worker.on('idle', () => { idle++; });
  await worker.start();
  await resque.enqueue('q', 'Hello', { name: 'map' });
  await resque.enqueue('q', 'App\\Fails', {});
  await resque.enqueue('q', 'Skip', {});
  await waitFor(() => seen.length >= 3, { what: 'three outcomes' });
  const byName = Object.fromEntries(seen.map(([n, e]) => [n, e]));
  assert.deepEqual(byName['job:done'].result, { hello: 'map', pid: process.pid, big: 2n ** 64n });
  assert.equal(byName['job:done'].pid, process.pid, 'in this process');
  assert.equal(byName['job:failed'].className, 'App\\Fails');
  assert.equal(byName['job:failed'].error.name, 'RangeError');
  assert.equal(byName['job:skipped'].className, 'Skip');
  assert.equal(typeof byName['job:skipped'].durationMs, 'number');
  await waitFor(() => idle > 0, { what: 'an idle pass' });
  const [record0] = await failures(r, ns);
  assert.equal(record0.exception, 'RangeError', 'the failure is recorded as usual');
  await worker.stop();
  assert.equal(await r.scard(`${ns}:workers`), 0);
});

test('stop({ graceful: true }) lets the running job finish, then unregisters', async (t) => {
  const app = makeApp();
  const { r, ns, resque, worker } = await started(t, 'grace', { jobsDir: path.join(app, 'jobs') });
  const seen = record(worker, ['job:start', 'job:done', 'job:failed']);
  await worker.start();
  const id = await resque.enqueue('q', 'Nap', { ms: 600 }, true);
  await waitFor(() => seen.length >= 1, { what: 'job:start' });
  const t0 = Date.now();
  await worker.stop({ graceful: true });
  assert.ok(Date.now() - t0 >= 300, 'stop waited for the job');
  assert.deepEqual(seen.map(([n]) => n), ['job:start', 'job:done']);
  assert.equal(JSON.parse(await r.get(`${ns}:job:${id}:status`)).status, 4, 'COMPLETE');
  assert.equal(await r.sismember(`${ns}:workers`, worker.id), 0);
  assert.equal(await r.exists(`${ns}:worker:${worker.id}:started`), 0);
});

test('stop({ graceful: false }) kills the running job: DirtyExitError, then unregisters', async (t) => {
  const app = makeApp();
  const { r, ns, resque, worker } = await started(t, 'kill', { jobsDir: path.join(app, 'jobs') });
  const seen = record(worker, ['job:failed', 'job:done']);
  const starts = record(worker, ['job:start']);
  await worker.start();
  const id = await resque.enqueue('q', 'Nap', { ms: 5000 });
  await waitFor(() => starts.length >= 1, { what: 'job:start' });
  await new Promise((res) => setTimeout(res, 100));
  const t0 = Date.now();
  await worker.stop({ graceful: false });
  assert.ok(Date.now() - t0 < 4000, 'did not wait for the job');
  assert.equal(seen.length, 1, JSON.stringify(seen));
  const [name, event] = seen[0];
  assert.equal(name, 'job:failed');
  assert.equal(event.id, id);
  assert.equal(event.error.name, 'DirtyExitError');
  assert.match(event.error.message, /SIGKILL/);
  assert.ok(event.durationMs >= 90, `durationMs ${event.durationMs} counts from job:start`);
  const [f] = await failures(r, ns);
  assert.equal(f.exception, 'DirtyExitError');
  assert.equal(await r.sismember(`${ns}:workers`, worker.id), 0);
});

test('start() rejects clearly: unreachable Redis, missing jobs folder, bad options, a map with child options', async (t) => {
  const app = makeApp();
  const unreachable = new Worker({ queues: ['q'], redis: 'redis://127.0.0.1:1', jobsDir: path.join(app, 'jobs') });
  await assert.rejects(unreachable.start(), (e) => e.name === 'RedisConnectionError' && /127\.0\.0\.1:1/.test(e.message));
  assert.equal(unreachable.state, 'stopped');
  assert.equal((await unreachable.waitUntilStopped()).reason, 'error');

  const { srv } = await testSetup(t, redis, 'rej');
  const missing = path.join(app, 'no-such-folder');
  await assert.rejects(new Worker({ queues: ['q'], redis: srv.url, jobsDir: missing }).start(),
    (e) => e instanceof OptionError && e.message.includes(`Jobs folder ${missing} does not exist`));

  await assert.rejects(new Worker({ queues: [], redis: srv.url }).start(), (e) => e instanceof OptionError && /option queues/.test(e.message));
  await assert.rejects(new Worker({ queues: ['q'], batch: 0 }).start(), { message: 'Invalid value for option batch: 0 (expected a positive integer).' });
  await assert.rejects(new Worker({ queues: ['q'], logLevel: 'loud' }).start(), /option logLevel/);
  class C { perform() {} }
  await assert.rejects(new Worker({ queues: ['q'], jobs: { C }, hardChildMemory: 100 }).start(),
    (e) => e instanceof OptionError && /hardChildMemory needs child processes/.test(e.message));
  await assert.rejects(new Worker({ queues: ['q'], jobs: { C }, inProcess: false }).start(), /inProcess: false/);
  await assert.rejects(new WorkerPool({ count: 2, queues: ['q'], jobs: { C } }).start(), /WorkerPool runs each worker in a process/);
  await assert.rejects(new WorkerPool({ count: 0, queues: ['q'] }).start(), /option count/);
});

test('once: true drains the queues, then stops by itself (stopped: drained) and unregisters', async (t) => {
  class Count { perform() { return 1; } }
  const { r, ns, resque, worker } = await started(t, 'once', { jobs: { Count }, once: true });
  for (let i = 0; i < 5; i++) await resque.enqueue('q', 'Count', {});
  const done = record(worker, ['job:done']);
  const stopped = new Promise((resolve) => worker.once('stopped', resolve));
  await worker.start();
  assert.deepEqual(await stopped, { reason: 'drained' });
  assert.equal(done.length, 5);
  assert.equal(worker.state, 'stopped');
  assert.equal(await r.scard(`${ns}:workers`), 0);
});

test('two Workers with the same id cannot run in one process', async (t) => {
  class C { perform() {} }
  const { worker, srv, ns } = await started(t, 'dup', { jobs: { C } });
  await worker.start();
  const twin = new Worker({ queues: ['q'], redis: srv.url, namespace: ns, jobs: { C } });
  await assert.rejects(twin.start(), /already runs in this process/);
  await worker.stop();
});

test('nothing process-wide: no signal handlers while running, silent by default, and the host exits after stop()', async (t) => {
  const { srv, ns } = await testSetup(t, redis, 'host');
  const app = makeApp();
  const script = path.join(app, 'host.js');
  fs.writeFileSync(script, `'use strict';
const { Worker, Resque } = require(${JSON.stringify(ROOT)});
const SIGNALS = ['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'disconnect'];
(async () => {
  const before = SIGNALS.map((s) => process.listenerCount(s));
  const worker = new Worker({ queues: ['q'], redis: ${JSON.stringify(srv.url)}, namespace: ${JSON.stringify(ns)}, jobsDir: 'jobs', interval: 0.05 });
  const done = new Promise((resolve) => worker.once('job:done', resolve));
  await worker.start();
  const during = SIGNALS.map((s) => process.listenerCount(s));
  const resque = new Resque({ redis: ${JSON.stringify(srv.url)}, namespace: ${JSON.stringify(ns)} });
  await resque.enqueue('q', 'Nap', { ms: 10 });
  await done;
  await worker.stop();
  await resque.close();
  process.stderr.write(JSON.stringify({ before, during }));
})();
`);
  const t0 = Date.now();
  const { stdout, stderr } = await run(process.execPath, [script], { cwd: app, timeout: 20000 });
  assert.ok(Date.now() - t0 < 15000, 'exited by itself');
  const { before, during } = JSON.parse(stderr);
  assert.deepEqual(during, before, 'no signal or disconnect handler installed');
  assert.equal(stdout, '', 'nothing printed by default (no log lines, from the worker or its job process)');
});

test('logStream receives the log lines of the worker and of its job process', async (t) => {
  const app = makeApp();
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => { text += d; });
  const { resque, worker } = await started(t, 'logs', { jobsDir: path.join(app, 'jobs'), logLevel: 'notice', logStream: out });
  await worker.start();
  const id = await resque.enqueue('q', 'Nap', { ms: 1 });
  await waitFor(() => text.includes(`[${id}] Nap (queue: q, attempt: 1, pid: `), { what: 'the job line (written by the job process)' });
  await worker.stop();
  assert.match(text, new RegExp(`\\*\\*\\* Starting worker ${worker.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(text, /\*\*\* Worker .* stopped/);
});

test('a pool runs N workers, each in a process of its own', async (t) => {
  const app = makeApp();
  const { r, ns, srv } = await testSetup(t, redis, 'pool');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  const pool = new WorkerPool({ count: 3, queues: ['q'], redis: srv.url, namespace: ns, jobsDir: path.join(app, 'jobs'), interval: 0.05 });
  t.after(() => pool.stop({ graceful: false }));
  const done = record(pool, ['job:done']);
  await pool.start();
  const ids = pool.workerIds;
  assert.equal(ids.length, 3);
  assert.equal(new Set(ids).size, 3, 'three ids');
  assert.deepEqual((await r.smembers(`${ns}:workers`)).sort(), [...ids].sort(), 'all registered once start() resolved');
  for (const id of ids) assert.notEqual(id.split(':')[1], String(process.pid), 'each worker has a pid of its own');
  for (let i = 0; i < 12; i++) await resque.enqueue('q', 'Nap', { ms: 150 });
  await waitFor(() => done.length >= 12, { timeoutMs: 15000, what: '12 jobs done' });
  const workers = new Set(done.map(([, e]) => e.workerId));
  assert.ok(workers.size >= 2, `jobs ran on several workers: ${[...workers]}`);
  for (const w of workers) assert.ok(ids.includes(w));
  let stopped;
  pool.once('stopped', (report) => { stopped = report; });
  await pool.stop();
  assert.deepEqual(stopped, { reason: 'stopped' });
  assert.equal(await r.scard(`${ns}:workers`), 0, 'every worker unregistered');
});

test('a strict TypeScript consumer compiles against the types; a wrong handler does not', async () => {
  const dir = tempDir('resque-embedded-ts-');
  fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'resque-ts'), 'dir');
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
  fs.writeFileSync(path.join(dir, 'good.ts'), `import { Worker, WorkerPool, Job, type WorkerOptions, type WorkerPoolOptions, type JobDoneEvent,
  type JobFailedEvent, type WorkerStopReport, type WorkerEventMap, type NormalizedError } from 'resque-ts';

class Hello extends Job<{ name: string }> {
  async perform(): Promise<string> { return \`hi \${this.args.name}\`; }
}

const options: WorkerOptions = { queues: ['default'], jobs: { Hello }, interval: 0.5, logLevel: 'silent' };
const worker = new Worker(options);
worker.on('job:start', (e) => { const id: string | undefined = e.id; const pid: number | undefined = e.pid; void id; void pid; });
worker.on('job:done', (e: JobDoneEvent) => { const ms: number = e.durationMs; const r: unknown = e.result; void ms; void r; });
worker.on('job:failed', (e: JobFailedEvent) => { const err: NormalizedError = e.error; console.log(err.name, err.message, e.queue); });
worker.on('job:skipped', (e) => console.log(e.reason));
worker.on('idle', () => undefined);
worker.on('error', (e: Error) => console.error(e.message));
worker.on('stopped', (r: WorkerStopReport) => console.log(r.reason, r.error?.message));
type DoneArgs = WorkerEventMap['job:done'];
const args: DoneArgs = [{ workerId: 'h:1:q', queue: 'q', className: 'X', id: undefined, args: [], pid: 1, result: null, durationMs: 1 }];
void args;

const poolOptions: WorkerPoolOptions = { count: 4, queues: ['a', 'b'], jobsDir: 'jobs', timeout: 30, logLevel: 'notice', logFormat: 'json' };
const pool = new WorkerPool(poolOptions);
pool.on('job:done', (e) => console.log(e.workerId, e.durationMs));

async function main(): Promise<void> {
  await worker.start();
  worker.pause();
  worker.resume();
  worker.killCurrentJob();
  await worker.stop({ graceful: false });
  const report: WorkerStopReport = await worker.waitUntilStopped();
  const state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = worker.state;
  const count: number = pool.count;
  void report; void state; void count;
}
void main;
`);
  fs.writeFileSync(path.join(dir, 'bad.ts'), `import { Worker, WorkerPool } from 'resque-ts';
const worker = new Worker({ queues: ['q'] });
worker.on('job:done', (e) => e.nope);
worker.on('job:fialed', () => undefined);
new Worker({ queues: ['q'], interval: '5' });
new Worker({});
new WorkerPool({ count: 2, queues: ['q'], jobs: {} });
`);
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const flags = ['--strict', '--noEmit', '--target', 'ES2022', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node'];
  const good = await run(process.execPath, [tsc, ...flags, 'good.ts'], { cwd: dir }).catch((e) => e);
  assert.equal(good.code ?? 0, 0, `good.ts compiles:\n${good.stdout}${good.stderr}`);
  const bad = await run(process.execPath, [tsc, ...flags, 'bad.ts'], { cwd: dir }).catch((e) => e);
  assert.notEqual(bad.code ?? 0, 0, 'bad.ts must not compile');
  const lines = bad.stdout.split('\n').filter((l) => l.includes('error TS'));
  for (const line of [3, 4, 5, 6, 7]) assert.ok(lines.some((l) => l.startsWith(`bad.ts(${line},`)), `an error on line ${line} of bad.ts:\n${bad.stdout}`);
});
