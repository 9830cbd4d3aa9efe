'use strict';
// The job loop (Worker) driven with fakes, no Redis and no processes: an in-memory WorkerOps that
// honours the Lua scripts' contract (test/helpers/fake-ops.js) and an executor whose jobs end when
// the test says. A frozen clock (the `clock` seam) makes batch sizes deterministic (1, 2, 4, ...:
// every batch "ran within BATCH_MS" unless the test moves the clock), `retryBaseMs: 1` makes Redis
// retries take milliseconds. Covers: pause with a claim in flight, graceful vs immediate stop,
// Redis outages (longer and shorter than --redis-timeout, lost replies), give-back mid-batch,
// maxJobs and `once`, outcome kinds, priority between batches.
const nodeTest = require('node:test').test;
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// Every dist/ import of this file (update here when the loop moves).
const { JobLoop: Worker, RedisOutageError, BATCH_MS } = require('../dist/loop/loop.js');
const { BatchCursor, readCursor } = require('../dist/store/batch-cursor.js');

const { FakeOps, FakeExecutor, payload } = require('./helpers/fake-ops');
const { waitFor } = require('./helpers/wait');

const sha1 = (s) => crypto.createHash('sha1').update(s).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** node:test's test() with a 2 s limit (each case takes milliseconds): a loop that hangs fails its test. */
function test(name, options, fn) {
  if (typeof options === 'function') return nodeTest(name, { timeout: 2000 }, options);
  return nodeTest(name, { timeout: 2000, ...options }, fn);
}
const until = (predicate, what) => waitFor(predicate, { timeoutMs: 2000, intervalMs: 1, what });

/** `n` untracked payloads with ids `${prefix}1..n`. */
function jobs(n, prefix = 'j', className = 'Noop') {
  return Array.from({ length: n }, (_, i) => payload(`${prefix}${i + 1}`, className, { n: i + 1 }));
}

/**
 * A loop over fakes: queue 'q' (unless `queues`), batches up to 8 with a real batch cursor in a
 * temp folder, a frozen clock (`time.now`), 1 ms polling and 1 ms retry base.
 */
function setup(t, { executor = {}, ...options } = {}) {
  const ops = new FakeOps();
  const exec = new FakeExecutor(executor);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loop-fakes-'));
  const cursorFile = path.join(dir, 'w.cursor');
  const cursor = new BatchCursor(cursorFile).open();
  t.after(() => {
    cursor.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // The loop's own timers (the shutdown timer) are unref'd: in a worker, Redis and the child keep
  // the process alive; here nothing would, so hold it open for the test.
  const keepAlive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(keepAlive));
  const time = { now: 1000 };
  const crashes = [];
  const worker = new Worker({
    id: 'host:1:q', queues: ['q'], interval: 0.001, once: false, ops, executor: exec, batch: 8, cursor,
    clock: () => time.now, retryBaseMs: 1,
    hooks: { onCrash: (error, r) => { crashes.push({ error, raw: r.raw }); } },
    ...options,
  });
  const errors = [];
  worker.on('error', (e) => errors.push(e));
  let result;
  const start = () => {
    const running = worker.run();
    result = { settled: false };
    running.then(() => { result.settled = true; }, (e) => { result.settled = true; result.error = e; });
    t.after(async () => {
      worker.stop('immediate');
      exec.current?.done();
      let timer;
      const late = new Promise((resolve) => { timer = setTimeout(resolve, 1000, 'late'); });
      const ended = await Promise.race([running.then(() => 'ended', () => 'ended'), late]);
      clearTimeout(timer);
      if (ended !== 'ended') ops.freeze(); // let the test process end; the assertion reports it
      assert.equal(ended, 'ended', 'run() ends after stop(immediate)');
    });
    return running;
  };
  return { ops, exec, worker, time, errors, crashes, cursorFile, start, get result() { return result; } };
}

/** Run the next `n` jobs to a plain success, in order; their payloads. */
async function succeed(exec, n) {
  const ran = [];
  for (let i = 0; i < n; i++) {
    const r = await exec.started();
    ran.push(r.raw);
    r.done();
  }
  return ran;
}

/** Every job ran at most once, and each one that ran was counted exactly once. */
function assertExactlyOnce(ops, exec) {
  const runs = exec.runs.map((r) => r.raw);
  assert.equal(new Set(runs).size, runs.length, `a job ran twice: ${runs.join(' ')}`);
  const counted = ops.settled.map((s) => s.raw);
  assert.equal(new Set(counted).size, counted.length, 'a job was counted twice');
  assert.deepEqual([...counted].sort(), [...runs].sort(), 'the jobs counted are the jobs that ran');
  assert.equal(ops.processed, runs.length);
}

/** Every payload is in exactly one place: waiting, held in flight, or settled. */
function assertNoneLost(ops, all) {
  const places = [...[...ops.queues.values()].flat(), ...ops.allHeld(), ...ops.settled.map((s) => s.raw)];
  assert.deepEqual([...places].sort(), [...all].sort());
}

/** Warm the batch size up with a frozen clock: runs 1 + 2 jobs, so the next claim takes 4. */
async function warmUp(exec) {
  return succeed(exec, 3);
}

// --- the baseline: batches ----------------------------------------------------------------------

test('plain successes: batches of 1, 2, 4, 8; each batch is counted by the next round trip, which takes the next one', async (t) => {
  const f = setup(t, { once: true });
  const all = jobs(7);
  f.ops.push('q', ...all);
  const running = f.start();
  const ran = [];
  for (let i = 0; i < 7; i++) {
    const r = await f.exec.started();
    // Counted with the round trip after their batch: j1 before j2 starts, j2-j3 before j4.
    assert.equal(f.ops.processed, [0, 1, 1, 3, 3, 3, 3][i], `counted before job ${i + 1}`);
    if (i === 4) assert.deepEqual(readCursor(f.cursorFile), { sha: sha1(all[3]), done: 1, state: 'run' });
    ran.push(r.raw);
    r.done();
  }
  await running;
  assert.deepEqual(ran, all);
  assert.deepEqual(f.ops.claims().map((c) => [c.op, c.max]), [['reserve', 1], ['settle', 2], ['settle', 4], ['settle', 8]]);
  assert.deepEqual(f.ops.calls.filter((c) => c.op === 'settle').map((c) => c.done.length), [1, 2, 4]);
  assert.ok(f.ops.settled.every((s) => s.kind === 'plain'));
  assert.equal(f.worker.drained, true);
  assertExactlyOnce(f.ops, f.exec);
  assert.deepEqual(f.ops.allHeld(), []);
  assert.deepEqual(f.errors, []);
});

// --- (1) pause / stop while a claim is in flight ---------------------------------------------------

for (const how of ['pause', 'graceful stop']) {
  test(`${how} while a settle+reserve round trip is in flight: its claim goes back in order, unstarted; no claim after`, async (t) => {
    const f = setup(t, { once: true });
    const all = jobs(5);
    f.ops.push('q', ...all);
    const running = f.start();
    const r1 = await f.exec.started();
    const held = f.ops.hold('settle');
    r1.done(); // its round trip counts j1 and takes j2, j3
    await held.arrived;
    assert.deepEqual(f.ops.held('q'), [all[1], all[2]]);
    if (how === 'pause') f.worker.pause();
    else f.worker.stop('graceful');
    const claims = f.ops.claims().length;
    held.release();
    await until(() => f.ops.givenBack.length === 1, 'the give-back');
    assert.deepEqual(f.ops.givenBack[0], [all[1], all[2]]);
    assert.deepEqual(f.ops.waiting('q'), all.slice(1));
    assert.deepEqual(f.ops.allHeld(), []);
    assert.equal(f.ops.workingOn, null);
    if (how === 'graceful stop') {
      await running;
    } else {
      await sleep(15); // ≈ 10 paused passes of 1 ms
      assert.equal(f.worker.isPaused, true);
      assert.equal(f.result.settled, false);
    }
    assert.equal(f.ops.claims().length, claims, 'no claim after the pause/stop');
    assert.equal(f.exec.runs.length, 1, 'the claimed jobs never started');
    assert.equal(f.ops.processed, 1);
    assertNoneLost(f.ops, all);
    if (how === 'pause') {
      f.worker.resume();
      assert.deepEqual(await succeed(f.exec, 4), all.slice(1));
      await running;
      assert.deepEqual(f.ops.waiting('q'), []);
    }
    assertExactlyOnce(f.ops, f.exec);
  });
}

test('pause while the first reserve is in flight: the job goes back, then runs on resume', async (t) => {
  const f = setup(t, { once: true });
  const all = jobs(2);
  f.ops.push('q', ...all);
  const held = f.ops.hold('reserve');
  const running = f.start();
  await held.arrived;
  f.worker.pause();
  held.release();
  await until(() => f.ops.givenBack.length === 1, 'the give-back');
  assert.deepEqual(f.ops.givenBack[0], [all[0]]);
  assert.deepEqual(f.ops.waiting('q'), all);
  await sleep(10);
  assert.equal(f.ops.claims().length, 1);
  assert.equal(f.exec.runs.length, 0);
  f.worker.resume();
  assert.deepEqual(await succeed(f.exec, 2), all);
  await running;
  assertExactlyOnce(f.ops, f.exec);
});

test('pause while idle (waiting on empty queues), then a job arrives: nothing is claimed until resume', async (t) => {
  const f = setup(t);
  f.start();
  await until(() => f.ops.calls.some((c) => c.op === 'wait'), 'the loop to wait');
  f.worker.pause();
  await sleep(3);
  const claims = f.ops.claims().length;
  const [a] = jobs(1);
  f.ops.push('q', a);
  await sleep(15);
  assert.equal(f.ops.claims().length, claims);
  assert.deepEqual(f.ops.waiting('q'), [a]);
  f.worker.resume();
  const r = await f.exec.started();
  assert.equal(r.raw, a);
  r.done();
  await until(() => f.ops.processed === 1, 'a counted');
});

test('resume wakes a paused loop at once (INTERVAL 60 s)', async (t) => {
  const f = setup(t, { interval: 60 });
  f.start();
  await until(() => f.ops.calls.some((c) => c.op === 'wait'), 'the loop to wait');
  f.worker.pause();
  await sleep(3);
  const [a] = jobs(1);
  f.ops.push('q', a);
  f.worker.resume();
  const r = await f.exec.started();
  assert.equal(r.raw, a);
  r.done();
});

// --- (4) pause / stop mid-batch: give-back ---------------------------------------------------------

for (const outcome of ['done', 'fail']) {
  test(`pause mid-batch (current job: ${outcome}): the job is settled once without a claim, the rest goes back in order; resume continues`, async (t) => {
    const f = setup(t, { once: true });
    const all = jobs(8);
    f.ops.push('q', ...all);
    const running = f.start();
    await warmUp(f.exec); // j1, j2-j3; the next claim is j4-j7
    const j4 = await f.exec.started();
    assert.equal(j4.raw, all[3]);
    j4.done();
    const j5 = await f.exec.started();
    assert.equal(j5.raw, all[4]);
    assert.deepEqual(f.ops.held('q'), all.slice(3, 7));
    f.worker.pause();
    const calls = f.ops.calls.length;
    if (outcome === 'done') j5.done();
    else j5.fail('RuntimeException', 'nope');
    await until(() => f.ops.givenBack.length === 1, 'the give-back');
    const after = f.ops.calls.slice(calls);
    // One settle without queues (j4 counted, j5 settled), then the give-back of j6, j7.
    assert.deepEqual(after.map((c) => c.op), ['settle', 'giveBack']);
    assert.deepEqual(after[0].queues, []);
    assert.deepEqual(after[0].done, outcome === 'done' ? [all[3], all[4]] : [all[3]]);
    assert.deepEqual(after[0].last, outcome === 'done' ? undefined : { raw: all[4], kind: 'failed' });
    assert.deepEqual(f.ops.givenBack[0], [all[5], all[6]]);
    assert.deepEqual(f.ops.waiting('q'), all.slice(5));
    assert.deepEqual(f.ops.allHeld(), []);
    assert.equal(f.ops.processed, 5);
    assert.equal(f.ops.failed, outcome === 'done' ? 0 : 1);
    if (outcome === 'done') assert.deepEqual(readCursor(f.cursorFile), { sha: sha1(all[3]), done: 2, state: 'idle' });
    assertNoneLost(f.ops, all);
    await sleep(10);
    assert.equal(f.exec.runs.length, 5);
    f.worker.resume();
    assert.deepEqual(await succeed(f.exec, 3), all.slice(5));
    await running;
    assertExactlyOnce(f.ops, f.exec);
    assert.deepEqual(f.ops.waiting('q'), []);
  });
}

// --- (2) graceful vs immediate stop -----------------------------------------------------------------

/** Start a loop on 8 jobs and stop at j5, the second job of the batch j4-j7. */
async function atSecondOfBatch(t, options) {
  const f = setup(t, options);
  const all = jobs(8);
  f.ops.push('q', ...all);
  const running = f.start();
  await succeed(f.exec, 4); // j1, j2-j3, j4
  const j5 = await f.exec.started();
  assert.equal(j5.raw, all[4]);
  assert.deepEqual(f.ops.held('q'), all.slice(3, 7));
  return { f, all, running, j5, calls: f.ops.calls.length };
}

test('graceful stop mid-batch: the current job finishes and is counted, the rest goes back in order, no claim, nothing killed', async (t) => {
  const { f, all, running, j5, calls } = await atSecondOfBatch(t);
  f.worker.stop('graceful');
  await sleep(5);
  assert.equal(f.result.settled, false, 'waits for the current job');
  j5.done();
  await running;
  assert.deepEqual(f.exec.kills, []);
  assert.deepEqual(f.ops.calls.slice(calls).map((c) => [c.op, c.queues ?? null]), [['settle', []], ['giveBack', null]]);
  assert.deepEqual(f.ops.waiting('q'), all.slice(5));
  assert.deepEqual(f.ops.allHeld(), []);
  assert.equal(f.ops.workingOn, null);
  assert.equal(f.worker.processed, 5);
  assert.ok(f.ops.settled.every((s) => s.kind === 'plain'));
  assertExactlyOnce(f.ops, f.exec);
  assertNoneLost(f.ops, all);
});

test('immediate stop mid-batch: the current job is killed and failed (DirtyExitError, onCrash), the rest goes back in order', async (t) => {
  const { f, all, running, calls } = await atSecondOfBatch(t);
  f.worker.stop('immediate');
  await running; // the test never ends j5: the kill does
  assert.deepEqual(f.exec.kills, ['SIGKILL']);
  const after = f.ops.calls.slice(calls);
  assert.deepEqual(after.map((c) => c.op), ['settle', 'giveBack']);
  assert.deepEqual([after[0].done, after[0].last, after[0].queues], [[all[3]], { raw: all[4], kind: 'failed' }, []]);
  assert.deepEqual(f.ops.failures.map((x) => [x.raw, x.error.name, x.error.message]), [[all[4], 'DirtyExitError', 'Job was killed by signal SIGKILL']]);
  assert.deepEqual(f.crashes.map((c) => [c.raw, c.error.name]), [[all[4], 'DirtyExitError']]);
  assert.equal(f.ops.processed, 5);
  assert.equal(f.ops.failed, 1);
  assert.deepEqual(f.ops.waiting('q'), all.slice(5));
  assert.deepEqual(f.ops.allHeld(), []);
  assertExactlyOnce(f.ops, f.exec);
});

test('immediate stop with an executor that cannot kill (in-process): the loop waits for the job, which settles as it ended', async (t) => {
  const { f, all, running, j5 } = await atSecondOfBatch(t, { executor: { killable: false } });
  f.worker.stop('immediate');
  await sleep(5);
  assert.deepEqual(f.exec.kills, ['SIGKILL']);
  assert.equal(f.result.settled, false, 'the loop waits for the job');
  j5.done();
  await running;
  assert.deepEqual(f.ops.failures, []);
  assert.deepEqual(f.ops.settled.at(-1), { raw: all[4], queue: 'q', kind: 'plain' });
  assert.deepEqual(f.ops.waiting('q'), all.slice(5));
  assertExactlyOnce(f.ops, f.exec);
});

test('immediate stop while idle: run() ends at once, nothing claimed or killed', async (t) => {
  const f = setup(t, { interval: 60 });
  const running = f.start();
  await until(() => f.ops.calls.some((c) => c.op === 'wait'), 'the loop to wait');
  const t0 = Date.now();
  f.worker.stop('immediate');
  await running;
  assert.ok(Date.now() - t0 < 1000, 'the 60 s wait was cut short');
  assert.deepEqual(f.exec.kills, []);
  assert.equal(f.ops.claims().length, 1);
});

for (const requeue of [false, true]) {
  test(`graceful stop past --shutdown-timeout: the job is killed (SIGTERM) and ${requeue ? 'requeued' : 'failed'}, the rest goes back`, async (t) => {
    const { f, all, running } = await atSecondOfBatch(t, { shutdownTimeout: 0.005, requeueOnShutdown: requeue });
    f.worker.stop('graceful');
    await running;
    assert.deepEqual(f.exec.kills, ['SIGTERM']);
    assert.deepEqual(f.crashes.map((c) => c.raw), [all[4]]);
    if (requeue) {
      assert.equal(f.ops.settledCount(all[4]), 0, 'back in its queue, neither failed nor counted');
      assert.deepEqual(f.ops.failures, []);
      assert.equal(f.ops.processed, 4);
    } else {
      assert.deepEqual(f.ops.failures.map((x) => [x.raw, x.error.name]), [[all[4], 'DirtyExitError']]);
      assert.equal(f.ops.processed, 5);
      assert.deepEqual(f.ops.waiting('q'), all.slice(5));
    }
    // Every job is in one place, in the queue or counted; the killed one is back or failed.
    assertNoneLost(f.ops, all);
    assert.deepEqual([...f.ops.waiting('q')].sort(), (requeue ? all.slice(4) : all.slice(5)).sort());
  });
}

test('graceful stop past --shutdown-timeout with requeue: the requeued job keeps its place before the rest of its batch', async (t) => {
  const { f, all, running } = await atSecondOfBatch(t, { shutdownTimeout: 0.005, requeueOnShutdown: true });
  f.worker.stop('graceful');
  await running;
  assert.deepEqual(f.ops.waiting('q'), all.slice(4));
});

test('shutdown timeout with an executor that cannot kill: a job that then completes is settled done, not requeued to run again', async (t) => {
  const { f, all, running, j5 } = await atSecondOfBatch(t, { shutdownTimeout: 0.005, requeueOnShutdown: true, executor: { killable: false } });
  f.worker.stop('graceful');
  await sleep(20); // past the shutdown timeout: kill() does nothing, the job goes on
  assert.deepEqual(f.exec.kills, ['SIGTERM']);
  j5.done();
  await running;
  assert.deepEqual(f.ops.requeued, [], 'a job that ran to completion must not be requeued');
  assert.equal(f.ops.settledCount(all[4]), 1);
});

// --- (3) Redis outages ------------------------------------------------------------------------------

test('Redis down longer than --redis-timeout while idle: run() rejects with RedisOutageError after that long', async (t) => {
  const f = setup(t, { redisTimeout: 0.05 });
  f.ops.down();
  const errorAt = [];
  f.worker.on('error', () => { f.time.now += 20; errorAt.push(f.time.now); });
  await assert.rejects(f.start(), (e) => {
    assert.ok(e instanceof RedisOutageError);
    assert.equal(e.name, 'RedisOutageError');
    assert.equal(e.message, 'Redis unreachable for more than 0.05 s (last error: connect ECONNREFUSED 127.0.0.1:6379)');
    return true;
  });
  // Errors at +20 (the outage starts), +40, +60, +80: 60 ms > 50 ms gives up, 40 ms did not.
  assert.equal(f.errors.length, 4);
  assert.ok(f.errors.every((e) => e.message.includes('ECONNREFUSED')));
  assert.ok(f.ops.calls.every((c) => c.op === 'reserve'));
});

test('Redis down longer than --redis-timeout while settling: run() rejects, the jobs stay held for recovery, nothing counted or lost', async (t) => {
  const f = setup(t, { redisTimeout: 0.05 });
  const all = jobs(3);
  f.ops.push('q', ...all);
  f.worker.on('error', () => { f.time.now += 20; });
  const running = f.start();
  await succeed(f.exec, 1);
  const r2 = await f.exec.started();
  f.ops.down();
  r2.done(); // j2-j3 batch: its round trip comes after j3
  const r3 = await f.exec.started();
  r3.done();
  await assert.rejects(running, RedisOutageError);
  assert.deepEqual(f.ops.held('q'), [all[1], all[2]], 'held in flight for recovery');
  assert.equal(f.ops.processed, 1);
  assert.deepEqual(f.ops.givenBack, []);
  assert.ok(f.ops.calls.filter((c) => c.op === 'settle').length >= 4);
  assertNoneLost(f.ops, all);
});

for (const lostReply of [false, true]) {
  for (const outcome of ['plain', 'failed']) {
    test(`a short outage at a settle (${lostReply ? 'the write landed, the reply was lost' : 'refused'}, ${outcome}): retried until taken, written exactly once`, async (t) => {
      const f = setup(t, { once: true });
      const all = jobs(4);
      f.ops.push('q', ...all);
      const running = f.start();
      const r1 = await f.exec.started();
      f.ops.failNext('settle', 3, { lostReply });
      if (outcome === 'plain') r1.done();
      else r1.fail('Error', 'boom');
      const r2 = await f.exec.started();
      assert.equal(r2.raw, all[1]);
      const settles = f.ops.calls.filter((c) => c.op === 'settle');
      assert.equal(settles.length, 4, 'three refused or lost, the fourth taken');
      assert.ok(settles.every((c) => JSON.stringify(c) === JSON.stringify(settles[0])), 'the same write each time');
      assert.equal(f.errors.length, 3);
      assert.equal(f.ops.processed, 1);
      assert.equal(f.ops.settledCount(all[0]), 1);
      assert.equal(f.ops.failures.length, outcome === 'failed' ? 1 : 0);
      assert.equal(f.ops.failed, outcome === 'failed' ? 1 : 0);
      if (lostReply) assert.equal(f.ops.ignored.length, 3, 'the retries after a landed write change nothing');
      r2.done();
      assert.deepEqual([all[1], ...(await succeed(f.exec, 2))], all.slice(1));
      await running;
      assertExactlyOnce(f.ops, f.exec);
      assert.deepEqual(f.ops.allHeld(), []);
      assert.deepEqual(f.ops.waiting('q'), []);
    });
  }
}

test('outages shorter than --redis-timeout do not add up: each success resets the count', async (t) => {
  const f = setup(t, { redisTimeout: 0.05, batch: 1, once: true });
  const all = jobs(3);
  f.ops.push('q', ...all);
  f.worker.on('error', () => { f.time.now += 30; });
  const running = f.start();
  for (let i = 0; i < 3; i++) {
    const r = await f.exec.started();
    f.ops.failNext('settle', 2); // errors 30 ms apart: this outage lasts 30 ms < 50 ms
    r.done();
  }
  await running;
  assert.equal(f.errors.length, 6); // 180 ms of outages in all
  assert.equal(f.ops.processed, 3);
  assertExactlyOnce(f.ops, f.exec);
});

test('a reserve refused while polling is retried: the job is then taken', async (t) => {
  const f = setup(t, { once: true });
  const all = jobs(1);
  f.ops.push('q', ...all);
  f.ops.failNext('reserve', 2);
  const running = f.start();
  assert.deepEqual(await succeed(f.exec, 1), all);
  await running;
  assert.equal(f.errors.length, 2);
  assert.equal(f.ops.calls.filter((c) => c.op === 'reserve').length, 3);
  assertExactlyOnce(f.ops, f.exec);
});

// --- batches past BATCH_MS --------------------------------------------------------------------------

test('a batch older than BATCH_MS settles before its next job; the parked rest is taken again first (before a higher queue), nothing runs twice', async (t) => {
  const f = setup(t, { queues: ['high', 'q'], once: true });
  const all = jobs(7);
  f.ops.push('q', ...all);
  const running = f.start();
  await warmUp(f.exec);
  const j4 = await f.exec.started();
  assert.deepEqual(f.ops.held('q'), all.slice(3));
  const [h1] = jobs(1, 'h');
  f.ops.push('high', h1);
  f.time.now += BATCH_MS + 1;
  const calls = f.ops.calls.length;
  j4.done();
  const j5 = await f.exec.started();
  assert.equal(j5.raw, all[4], 'the parked rest of the batch comes first');
  const [settle] = f.ops.calls.slice(calls);
  assert.deepEqual(settle, { op: 'settle', done: [all[3]], last: undefined, queues: ['high', 'q'], max: 1 });
  assert.equal(f.ops.processed, 4);
  assert.deepEqual(f.ops.held('q'), all.slice(4, 7));
  j5.done();
  assert.deepEqual(await succeed(f.exec, 3), [all[5], all[6], h1]);
  await running;
  assertExactlyOnce(f.ops, f.exec);
});

// --- (5) maxJobs and once ---------------------------------------------------------------------------

test('maxJobs: stops after exactly N jobs, never claims more than are left, the rest stays queued in order', async (t) => {
  const f = setup(t, { maxJobs: 5 });
  const all = jobs(8);
  f.ops.push('q', ...all);
  const running = f.start();
  assert.deepEqual(await succeed(f.exec, 5), all.slice(0, 5));
  await running;
  assert.equal(f.worker.processed, 5);
  assert.equal(f.worker.drained, false);
  assert.deepEqual(f.ops.claims().map((c) => c.max), [1, 2, 2]);
  assert.deepEqual(f.ops.calls.at(-1), { op: 'settle', done: [all[3], all[4]], last: undefined, queues: [], max: 1 });
  assert.deepEqual(f.ops.waiting('q'), all.slice(5));
  assert.deepEqual(f.ops.allHeld(), []);
  assertExactlyOnce(f.ops, f.exec);
});

test('maxJobs with a failure mid-batch: exactly N jobs run, the rest stays queued in order', async (t) => {
  const f = setup(t, { maxJobs: 3 });
  const all = jobs(5);
  f.ops.push('q', ...all);
  const running = f.start();
  await succeed(f.exec, 1);
  (await f.exec.started()).fail(); // j2, first of j2-j3: settled at once, with a claim
  (await f.exec.started()).done(); // j3: the third job
  await running;
  assert.deepEqual(f.exec.runs.map((r) => r.raw), all.slice(0, 3));
  assert.equal(f.worker.processed, 3);
  assert.equal(f.ops.processed, 3);
  assert.deepEqual(f.ops.waiting('q'), all.slice(3));
  assert.deepEqual(f.ops.allHeld(), []);
  assertExactlyOnce(f.ops, f.exec);
});

test('maxJobs: a settle that takes the next batch asks for no more than the jobs left', async (t) => {
  const f = setup(t, { maxJobs: 3 });
  f.ops.push('q', ...jobs(5));
  const running = f.start();
  await succeed(f.exec, 1);
  (await f.exec.started()).fail();
  (await f.exec.started()).done();
  await running;
  assert.deepEqual(f.ops.givenBack, [], 'nothing taken beyond the share');
});

test('once: drains every queue in priority order, then run() resolves without waiting', async (t) => {
  const f = setup(t, { queues: ['high', 'low'], once: true });
  const high = jobs(3, 'h');
  const low = jobs(2, 'l');
  f.ops.push('low', ...low).push('high', ...high);
  f.exec.auto = (r) => r.done();
  await f.start();
  assert.equal(f.worker.drained, true);
  assert.deepEqual(f.exec.runs.map((r) => r.raw), [...high, ...low]);
  assert.deepEqual(f.ops.calls.filter((c) => c.op === 'wait'), []);
  assert.deepEqual([f.ops.waiting('high'), f.ops.waiting('low'), f.ops.allHeld()], [[], [], []]);
  assertExactlyOnce(f.ops, f.exec);
});

// --- (6) outcome kinds -----------------------------------------------------------------------------

test('a failing job and a skipped job settle at once, in the same batch, with their kind; plain successes before them are counted with them', async (t) => {
  const f = setup(t, { once: true });
  const all = jobs(6);
  f.ops.push('q', ...all);
  const running = f.start();
  await warmUp(f.exec); // j1, j2-j3; next batch j4-j7 (j4, j5, j6)
  (await f.exec.started()).done();
  const calls = f.ops.calls.length;
  (await f.exec.started()).fail('InvalidArgumentException', 'bad input');
  const j6 = await f.exec.started();
  // j5's failure was written before j6 started, with j4's count; the round trip took j6 again.
  assert.deepEqual(f.ops.calls.slice(calls).map((c) => [c.op, c.done, c.last]), [['settle', [all[3]], { raw: all[4], kind: 'failed' }]]);
  assert.deepEqual(f.ops.failures.map((x) => [x.raw, x.error]), [[all[4], { name: 'InvalidArgumentException', message: 'bad input', backtrace: ['at perform (job.js:1:1)'] }]]);
  j6.skip();
  await running;
  assert.deepEqual(f.ops.settled.slice(3).map((s) => [s.raw, s.kind]), [[all[3], 'plain'], [all[4], 'failed'], [all[5], 'skipped']]);
  assert.equal(f.ops.failed, 1);
  assert.equal(f.ops.processed, 6);
  assertExactlyOnce(f.ops, f.exec);
});

test('a crashed job, an executor that throws and an invalid payload settle as failed with their error', async (t) => {
  const f = setup(t, { once: true });
  const [a, b] = jobs(2);
  const bad = '{"class":"Noop","args":"not a list","id":"bad1"}';
  f.ops.push('q', a, b, bad);
  const running = f.start();
  (await f.exec.started()).crash('SIGSEGV');
  (await f.exec.started()).reject(new TypeError('send failed'));
  await running;
  assert.equal(f.exec.runs.length, 2, 'an invalid payload never reaches the executor');
  assert.deepEqual(f.ops.settled.map((s) => [s.raw, s.kind, s.error.name]), [[a, 'failed', 'DirtyExitError'], [b, 'failed', 'TypeError'], [bad, 'failed', 'InvalidPayloadError']]);
  assert.equal(f.ops.settled[0].error.message, 'Job was killed by signal SIGSEGV');
  assert.equal(f.ops.settled[1].error.message, 'send failed');
  assert.match(f.ops.settled[2].error.message, /"args" must be an array/);
  assert.deepEqual(f.ops.failures.map((x) => x.raw), [a, b, bad], 'each recorded with its exact payload');
  assert.deepEqual(f.crashes.map((c) => c.raw), [a], 'onCrash only for the crash');
  assert.equal(f.ops.failed, 3);
  assert.equal(f.ops.processed, 3);
});

test('a tracked job runs alone and its success (with a result) is settled at once, not as a plain success', async (t) => {
  const f = setup(t, { once: true });
  const [a, b] = jobs(2);
  const tracked = payload('t1');
  f.ops.push('q', a, tracked, b).track('t1');
  const running = f.start();
  await succeed(f.exec, 1); // a; claim size 2 next, but t1 runs alone
  const t1 = await f.exec.started();
  assert.equal(t1.raw, tracked);
  assert.deepEqual(f.ops.held('q'), [tracked]);
  assert.equal(f.ops.statuses.get('t1'), 2);
  t1.done({ sent: 3 });
  const rb = await f.exec.started();
  assert.deepEqual(f.ops.settled.map((s) => [s.raw, s.kind, s.result]), [[a, 'plain', undefined], [tracked, 'done', { sent: 3 }]]);
  assert.equal(f.ops.statuses.get('t1'), 4);
  rb.done();
  await running;
  assertExactlyOnce(f.ops, f.exec);
});

// --- (7) priority -----------------------------------------------------------------------------------

test('priority: a job arriving on a higher queue is taken by the next batch, not inside the current one', async (t) => {
  const f = setup(t, { queues: ['high', 'low'], once: true });
  const low = jobs(4, 'l');
  f.ops.push('low', ...low);
  const running = f.start();
  await succeed(f.exec, 1); // l1; next batch l2-l3
  const l2 = await f.exec.started();
  assert.deepEqual(f.ops.held('low'), [low[1], low[2]]);
  const [h1] = jobs(1, 'h');
  f.ops.push('high', h1);
  l2.done();
  assert.deepEqual(await succeed(f.exec, 3), [low[2], h1, low[3]]);
  await running;
  assert.deepEqual(f.exec.runs.map((r) => r.raw), [low[0], low[1], low[2], h1, low[3]]);
  assertExactlyOnce(f.ops, f.exec);
});
