'use strict';
// Job time limits (src/engine/guard.ts, src/engine/per-job-child-runner.ts): --timeout, --kill-grace and a job
// class's `static timeout`. A job over its limit gets TERM, then KILL after the grace period, and
// fails with JobTimeoutError (status 3); the worker keeps going.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { childPids, pidAlive, startedWorker } = require('./helpers/worker');
const { pushJob, waitStatus, failures, statusOf, int } = require('./helpers/chaos');

const redis = useRedis();

const setup = (t, args) => startedWorker(t, redis, 'rt', args);

/** Wait until job `id` runs (status 2); resolve the time it was first seen running. */
async function seenRunning(r, ns, id, w) {
  await waitStatus(r, ns, id, 2, { worker: w, timeoutMs: 10000 });
  return Date.now();
}

async function theFailure(r, ns, id) {
  const all = await failures(r, ns);
  const mine = all.filter((f) => f.payload && f.payload.id === id);
  assert.equal(mine.length, 1, `exactly one failure record for ${id}: ${JSON.stringify(all)}`);
  return mine[0];
}

test('--timeout=1: a hanging job fails with JobTimeoutError (status 3) after ~1 s; the worker keeps going', async (t) => {
  const { ns, r, w } = await setup(t, ['--timeout=1']);
  const hang = await pushJob(r, ns, 'Hangs', {});
  const next = await pushJob(r, ns, 'Noop', { after: 'hang' });
  const t0 = await seenRunning(r, ns, hang.id, w);
  const id = w.id; // the job process killed for the limit is the worker: its id goes with it
  await waitStatus(r, ns, hang.id, 3, { worker: w, timeoutMs: 8000 });
  const took = Date.now() - t0;
  assert.ok(took >= 700 && took < 3000, `failed ${took} ms after it started (limit 1 s)`);
  const f = await theFailure(r, ns, hang.id);
  assert.equal(f.exception, 'JobTimeoutError');
  assert.match(f.error, /time limit of 1 s/);
  assert.equal(f.worker, id);
  assert.equal(f.queue, 'default');

  const done = await waitStatus(r, ns, next.id, 4, { worker: w });
  assert.deepEqual(done.result, { after: 'hang' });
  assert.equal(w.alive, true, 'worker still running');
  assert.equal(await int(r, `${ns}:stat:processed`), 2);
  assert.equal(await int(r, `${ns}:stat:failed`), 1);
});

test('--kill-grace=1: a job that ignores TERM is KILLed one grace period after the timeout', async (t) => {
  const { ns, r, w } = await setup(t, ['--timeout=1', '--kill-grace=1']);
  const hang = await pushJob(r, ns, 'Hangs', { ignoreTerm: true });
  const t0 = await seenRunning(r, ns, hang.id, w);
  const kids = await waitFor(() => { const k = childPids(w.pid); return k.length ? k : null; }, { what: 'job child' });
  await waitStatus(r, ns, hang.id, 3, { worker: w, timeoutMs: 6000 });
  const took = Date.now() - t0;
  // TERM at ~1 s is ignored; KILL follows 1 s later: ~2 s, and within ~3 s.
  assert.ok(took >= 1700, `failed after ${took} ms: TERM should have been ignored until KILL at ~2 s`);
  assert.ok(took < 3500, `failed after ${took} ms (expected ~2 s, KILL after --kill-grace=1)`);
  const f = await theFailure(r, ns, hang.id);
  assert.equal(f.exception, 'JobTimeoutError');
  for (const pid of kids) assert.equal(pidAlive(pid), false, `job child ${pid} is gone`);

  const next = await pushJob(r, ns, 'Noop', { n: 1 });
  await waitStatus(r, ns, next.id, 4, { worker: w });
});

test('a job class with `static timeout = 1` is limited without --timeout (and under a larger --timeout)', async (t) => {
  for (const args of [[], ['--timeout=30']]) {
    await t.test(args.join(' ') || 'no --timeout', async (t2) => {
      const { ns, r, w } = await setup(t2, args);
      const job = await pushJob(r, ns, 'TimeoutOne', {});
      const t0 = await seenRunning(r, ns, job.id, w);
      await waitStatus(r, ns, job.id, 3, { worker: w, timeoutMs: 8000 });
      const took = Date.now() - t0;
      assert.ok(took >= 700 && took < 3000, `failed after ${took} ms (class limit 1 s)`);
      const f = await theFailure(r, ns, job.id);
      assert.equal(f.exception, 'JobTimeoutError');
      assert.match(f.error, /time limit of 1 s/);
      const next = await pushJob(r, ns, 'Noop', {});
      await waitStatus(r, ns, next.id, 4, { worker: w });
    });
  }
});

test('a class limit larger than --timeout wins: a 1.5 s job with `static timeout = 5` completes under --timeout=1', async (t) => {
  const { ns, r, w } = await setup(t, ['--timeout=1']);
  const job = await pushJob(r, ns, 'StaticFive', { ms: 1500 });
  const done = await waitStatus(r, ns, job.id, 4, { worker: w, timeoutMs: 10000 });
  assert.equal(done.result.sleptMs, 1500);
  assert.equal((await failures(r, ns)).length, 0, 'no failure record');
  // …while a job without its own limit is still cut at 1 s by the same worker
  const hang = await pushJob(r, ns, 'Hangs', {});
  await waitStatus(r, ns, hang.id, 3, { worker: w, timeoutMs: 8000 });
  assert.equal((await statusOf(r, ns, job.id)).status, 4);
});
