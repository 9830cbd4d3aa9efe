'use strict';
// One fixture job per failure mode, each run by a real `resque start`: the failure record has
// php-resque 2.x's shape (WIRE.md §7, fixture php-worker-failure.json), status 3 with the 24 h
// TTL, stats (§8), and the SAME worker process keeps working afterwards (a following Noop
// completes). Plus DontPerform (php-worker-dont-perform.json), --jobs-per-child, TS jobs.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { Resque } = require('../dist');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { loadFixture } = require('./helpers/fixtures');
const { startWorker, waitRegistered, pidAlive, rawField, DATE_C, testSetup, waitStatus, JOBS } = require('./helpers/worker');

const redis = useRedis();
const PHP_FAILURE = loadFixture('php-worker-failure');
const PHP_DONT_PERFORM = loadFixture('php-worker-dont-perform');

const setup = (t, name = 'wf') => testSetup(t, redis, name);

const hex32 = () => randomBytes(16).toString('hex');

/** php-resque 2.x bytes for class + args[0], tracked (status 1 written as php does). */
async function pushPhp(r, ns, cls, arg0, { queue = 'default', track = true } = {}) {
  const id = hex32();
  const raw = `{"class":${JSON.stringify(cls)},"args":[${arg0}],"id":"${id}","prefix":"","queue_time":1795252080.210956}`;
  if (track) {
    const now = Math.floor(Date.now() / 1000);
    await r.set(`${ns}:job:${id}:status`, `{"status":1,"updated":${now},"started":${now},"result":null}`);
  }
  await r.sadd(`${ns}:queues`, queue);
  await r.rpush(`${ns}:queue:${queue}`, raw);
  return { id, raw };
}

/** The fixture's failure record field names, in order. */
const PHP_FIELDS = Object.keys(PHP_FAILURE.keys.find((e) => e.key === 'resque:failed').decoded[0]);

/** Common checks on one of our failure records (raw text). */
function assertRecordShape(rec, { raw, workerId, queue = 'default' }) {
  const o = JSON.parse(rec);
  assert.deepEqual(Object.keys(o), PHP_FIELDS, 'field names and order of php-worker-failure.json');
  assert.match(o.failed_at, DATE_C, 'failed_at is date(\'c\')');
  assert.equal(rawField(rec, 'payload'), raw, 'payload embedded byte-identical to the queue bytes');
  assert.ok(Array.isArray(o.backtrace) && o.backtrace.every((l) => typeof l === 'string'), 'backtrace: array of strings');
  assert.equal(o.worker, workerId);
  assert.equal(o.queue, queue);
  return o;
}

/**
 * Start a worker, push a failing job (tracked), wait for status 3, then push a Noop and check
 * the same worker process completes it. Returns what the checks need.
 */
/**
 * A job of `cls` fails, then a Noop runs. `dies`: the job ends its process — the job process,
 * which is the registered worker — so its id leaves the registry (stats included) and the next
 * job process goes on under a new id (php-resque's COUNT parent: "A child worker died").
 */
async function failThenNoop(t, cls, arg0, { dies = false } = {}) {
  const { srv, ns, r, k } = await setup(t);
  const w = startWorker({ srv, ns, queue: 'default' });
  t.after(() => w.stop());
  const id = await waitRegistered(r, ns, w.id, { worker: w });
  const job = await pushPhp(r, ns, cls, arg0);
  await waitStatus(r, ns, job.id, 3, { worker: w, timeoutMs: 10000 });
  const ttl = await r.ttl(k(`job:${job.id}:status`));
  assert.ok(ttl > 86390 && ttl <= 86400, `status 3 has the 24 h TTL (got ${ttl})`);
  const failed = await r.lrange(k('failed'), 0, -1);
  assert.equal(failed.length, 1, 'one failure record');
  const rec = assertRecordShape(failed[0], { raw: job.raw, workerId: id });
  assert.equal(await r.get(k('stat:failed')), '1');
  assert.equal(await r.get(k('stat:processed')), '1', 'a failed job counts as processed (php-resque)');
  assert.equal(await r.exists(k(`job:${job.id}:pid`)), 0, 'job:ID:pid removed after a failure');
  assert.equal(await r.exists(k(`worker:${id}`)), 0, 'working-on cleared after a failure');
  if (!dies) {
    assert.equal(await r.get(k(`stat:failed:${id}`)), '1');
    assert.equal(await r.get(k(`stat:processed:${id}`)), '1');
  }

  const noop = await pushPhp(r, ns, 'Noop', '{"after":"failure"}');
  await waitStatus(r, ns, noop.id, 4, { worker: w, timeoutMs: 10000 });
  assert.ok(w.alive, 'worker process still running');
  if (dies) {
    assert.notEqual(w.id, id, 'a new job process, a new id');
    assert.equal(await r.sismember(k('workers'), id), 0, 'the dead id left the registry');
    for (const key of [`worker:${id}:started`, `stat:failed:${id}`, `stat:processed:${id}`]) assert.equal(await r.exists(k(key)), 0, `${key} gone`);
    assert.deepEqual(await r.smembers(k('workers')), [w.id]);
    await waitFor(async () => (await r.get(k(`stat:processed:${w.id}`))) === '1', { what: 'the new id counted the Noop' });
  } else {
    assert.equal(w.id, id);
    assert.equal(await r.sismember(k('workers'), w.id), 1, 'same worker id still registered');
    assert.equal(await r.get(k(`stat:processed:${w.id}`)), '2');
  }
  assert.equal(await r.get(k('stat:failed')), '1');
  assert.equal(await r.llen(k('failed')), 1);
  return { rec, w, r, k, job };
}

test('Throws: failure record shaped like php-worker-failure.json, status 3 + TTL, stats 1/1', async (t) => {
  const { rec } = await failThenNoop(t, 'Throws', String.raw`{"message":"boom \u5931\u8d25 \/ \"quoted\""}`);
  assert.equal(rec.exception, 'Error', 'exception = the JS error class name (php: RuntimeException)');
  assert.equal(rec.error, 'boom 失败 / "quoted"');
  assert.ok(rec.backtrace.length > 0, 'a thrown Error has stack frames');
});

test('ExitNonZero {code:3}: DirtyExitError "exit code 3"', async (t) => {
  const { rec } = await failThenNoop(t, 'ExitNonZero', '{"code":3}', { dies: true });
  assert.equal(rec.exception, 'DirtyExitError');
  assert.match(rec.error, /exit code 3/);
});

test('KillsItself: DirtyExitError naming SIGKILL', async (t) => {
  const { rec } = await failThenNoop(t, 'KillsItself', 'null', { dies: true });
  assert.equal(rec.exception, 'DirtyExitError');
  assert.match(rec.error, /SIGKILL/);
});

test('NoSuchJob: "Could not find job class NoSuchJob." (php-resque\'s message), then where it looked', async (t) => {
  const { rec } = await failThenNoop(t, 'NoSuchJob', '{"a":1}');
  assert.ok(rec.error.startsWith('Could not find job class NoSuchJob. '), rec.error);
  assert.equal(rec.error, `Could not find job class NoSuchJob. Looked in ${JOBS} for NoSuchJob.{js,cjs,mjs,ts,cts,mts}.`);
});

test('NoPerform: "Job class NoPerform does not contain a perform method."', async (t) => {
  const { rec } = await failThenNoop(t, 'NoPerform', '{"a":1}');
  assert.match(rec.error, /does not contain a perform method/);
  assert.equal(rec.error, 'Job class NoPerform does not contain a perform method.');
});

test('Skips (DontPerform in setUp): not a failure, status 4 with result false, processed 1 — as php-worker-dont-perform.json', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const w = startWorker({ srv, ns, queue: 'default' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  const job = await pushPhp(r, ns, 'Skips', 'null');
  const packet = await waitStatus(r, ns, job.id, 4, { worker: w, timeoutMs: 10000, raw: true });
  const php = PHP_DONT_PERFORM.keys.find((e) => /:status$/.test(e.key));
  const norm = (p) => p.replace(/"(updated|started)":\d+/g, '"$1":0');
  assert.equal(norm(packet), norm(php.value), 'same packet as php-resque (times aside): result false');
  const ttl = await r.ttl(k(`job:${job.id}:status`));
  assert.ok(ttl > 86390 && ttl <= 86400, `TTL ${ttl}`);
  await waitFor(async () => (await r.get(k('stat:processed'))) === '1', { what: 'processed 1' });
  assert.equal(await r.get(k(`stat:processed:${w.id}`)), '1');
  // php-worker-dont-perform.json has no failed list and no stat:failed keys
  assert.equal(PHP_DONT_PERFORM.keys.some((e) => /failed/.test(e.key)), false);
  assert.equal(await r.exists(k('failed')), 0, 'no failure record');
  assert.equal(await r.exists(k('stat:failed')), 0);
  assert.equal(await r.exists(k(`stat:failed:${w.id}`)), 0);
  const noop = await pushPhp(r, ns, 'Noop', '{}');
  await waitStatus(r, ns, noop.id, 4, { worker: w, timeoutMs: 10000 });
  assert.ok(w.alive);
});

test('TsJob.ts runs without a build step', async (t) => {
  const { srv, ns, r } = await setup(t);
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  const id = await resque.enqueue('default', 'TsJob', { name: 'ts' }, true);
  const w = startWorker({ srv, ns, queue: 'default', args: ['--once'] });
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null }, w.output);
  assert.match(await r.get(`${ns}:job:${id}:status`), /^\{"status":4,"updated":\d+,"started":\d+,"result":\{"greeting":"hello ts","typed":true\}\}$/);
  assert.equal(await r.llen(`${ns}:failed`), 0);
});

/**
 * Run three Slow jobs and sample job:ID:pid while each runs. Also reads the pid the worker
 * logged for each job ("[ID] Slow (queue: default, attempt: 1, pid: N) - Done"), i.e. the process that ran it.
 */
async function samplePids(t, extraArgs) {
  const { srv, ns, r, k } = await setup(t);
  const w = startWorker({ srv, ns, queue: 'default', args: extraArgs });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  const jobs = [];
  for (let i = 0; i < 3; i++) jobs.push(await pushPhp(r, ns, 'Slow', '{"ms":350}'));
  const sampled = new Map();
  await waitFor(async () => {
    for (const { id } of jobs) {
      if (sampled.has(id)) continue;
      const pid = await r.get(k(`job:${id}:pid`));
      if (pid) sampled.set(id, { pid: Number(pid), alive: pidAlive(Number(pid)) });
    }
    const done = await Promise.all(jobs.map(async ({ id }) => JSON.parse(await r.get(k(`job:${id}:status`))).status === 4));
    return done.every(Boolean);
  }, { timeoutMs: 15000, intervalMs: 15, what: '3 Slow jobs done' });
  const logged = new Map();
  for (const { id } of jobs) {
    const m = await w.waitForOutput(new RegExp(`\\[${id}\\] Slow \\(queue: default, attempt: 1, pid: (\\d+)\\) - Done`));
    logged.set(id, Number(m[1]));
  }
  for (const { id } of jobs) {
    assert.ok(sampled.has(id), `job:${id}:pid was seen while the job ran`);
    assert.ok(sampled.get(id).alive, 'job:ID:pid named a live process');
    assert.notEqual(sampled.get(id).pid, w.pid);
    assert.equal(sampled.get(id).pid, logged.get(id), 'job:ID:pid is the process that ran the job');
  }
  return jobs.map(({ id }) => sampled.get(id).pid);
}

test('--jobs-per-child=1: every job runs in a fresh child (job:ID:pid differs)', async (t) => {
  const pids = await samplePids(t, ['--jobs-per-child=1']);
  assert.equal(new Set(pids).size, 3, `three different pids: ${pids}`);
});

test('default --jobs-per-child (100000): consecutive jobs share one child', async (t) => {
  const pids = await samplePids(t, []);
  assert.equal(new Set(pids).size, 1, `one pid: ${pids}`);
});

test('after a child crashed (KillsItself), the next job still gets job:ID:pid naming the process that runs it', async (t) => {
  // php-resque 2.x: every forked child SETs job:ID:pid before performing (WIRE.md §6.4).
  const { srv, ns, r, k } = await setup(t);
  const w = startWorker({ srv, ns, queue: 'default' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  const crash = await pushPhp(r, ns, 'KillsItself', 'null');
  await waitStatus(r, ns, crash.id, 3, { worker: w, timeoutMs: 10000 });
  const slow = await pushPhp(r, ns, 'Slow', '{"ms":800}');
  await waitStatus(r, ns, slow.id, 2, { worker: w, timeoutMs: 10000 });
  let sampled = null;
  await waitFor(async () => {
    sampled = sampled ?? (await r.get(k(`job:${slow.id}:pid`)));
    return JSON.parse(await r.get(k(`job:${slow.id}:status`))).status === 4;
  }, { timeoutMs: 10000, intervalMs: 15, what: 'Slow job done' });
  const m = await w.waitForOutput(new RegExp(`\\[${slow.id}\\] Slow \\(queue: default, attempt: 1, pid: (\\d+)\\) - Done`));
  assert.ok(sampled !== null, 'job:ID:pid was set while the job ran');
  assert.equal(Number(sampled), Number(m[1]), 'job:ID:pid is the process that ran the job');
});
