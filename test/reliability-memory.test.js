'use strict';
// Memory limits of job children (src/engine/guard.ts, src/engine/per-job-child-runner.ts):
//   --hard-child-memory: a child over the cap is killed mid-job → JobMemoryError naming the MB;
//   --max-child-memory: a child that grew past it is replaced after its job (recycled);
//   the usage sample of the running child is published in NS:worker:WID:usage.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { childPids, startedWorker } = require('./helpers/worker');
const { pushJob, waitStatus, failures, int } = require('./helpers/chaos');

const redis = useRedis();

const setup = (t, args) => startedWorker(t, redis, 'rm', args);

test('--hard-child-memory=150: a child growing to 300 MB is killed → JobMemoryError with the MB figure; the worker continues', async (t) => {
  const { ns, r, w } = await setup(t, ['--hard-child-memory=150']);
  const leak = await pushJob(r, ns, 'LeaksMemory', { mb: 300, ms: 30000 });
  const next = await pushJob(r, ns, 'Noop', { after: 'leak' });
  await waitStatus(r, ns, leak.id, 3, { worker: w, timeoutMs: 15000 });
  const recs = (await failures(r, ns)).filter((f) => f.payload.id === leak.id);
  assert.equal(recs.length, 1, 'one failure record');
  const [f] = recs;
  assert.equal(f.exception, 'JobMemoryError');
  const m = /used (\d+(?:\.\d+)?) MB, over the hard limit of 150 MB/.exec(f.error);
  assert.ok(m, `error names the MB figures: ${f.error}`);
  assert.ok(Number(m[1]) > 150, `reported RSS ${m[1]} MB is over the cap`);
  const done = await waitStatus(r, ns, next.id, 4, { worker: w });
  assert.deepEqual(done.result, { after: 'leak' });
  assert.equal(w.alive, true);
  assert.equal(await int(r, `${ns}:stat:failed`), 1);
});

/** Pid job → LeakyPid (150 MB) → Pid job; resolves the three pids. */
async function pidsAroundLeak(r, ns, w) {
  const a = await pushJob(r, ns, 'Pid', {});
  const leak = await pushJob(r, ns, 'LeakyPid', { mb: 150, ms: 50 });
  const b = await pushJob(r, ns, 'Pid', {});
  const c = await pushJob(r, ns, 'Pid', {});
  const pa = (await waitStatus(r, ns, a.id, 4, { worker: w })).result.pid;
  const pl = (await waitStatus(r, ns, leak.id, 4, { worker: w })).result.pid;
  const pb = (await waitStatus(r, ns, b.id, 4, { worker: w })).result.pid;
  const pc = (await waitStatus(r, ns, c.id, 4, { worker: w })).result.pid;
  return { pa, pl, pb, pc };
}

test('--max-child-memory=100: the child is recycled after the job that grew past it', async (t) => {
  const { ns, r, w } = await setup(t, ['--max-child-memory=100']);
  const { pa, pl, pb, pc } = await pidsAroundLeak(r, ns, w);
  assert.equal(pl, pa, 'the leaking job ran in the same child as the job before it (no recycling before)');
  assert.notEqual(pb, pl, 'the job after the leak runs in a fresh child');
  assert.equal(pc, pb, 'the fresh (small) child is kept for the following job');
  assert.equal((await failures(r, ns)).length, 0, 'recycling fails nothing');
  await waitFor(() => !childPids(w.pid).includes(pl), { what: `old child ${pl} gone` });
});

test('without --max-child-memory consecutive jobs share one child, leak or not', async (t) => {
  const { ns, r, w } = await setup(t, []);
  const { pa, pl, pb, pc } = await pidsAroundLeak(r, ns, w);
  assert.equal(pl, pa);
  assert.equal(pb, pl, 'no recycling without the flag');
  assert.equal(pc, pb);
});

test('while a job runs, NS:worker:WID:usage holds pid / rss_mb / cpu / at of its child; gone after unregister', async (t) => {
  const { ns, r, w } = await setup(t, []);
  const job = await pushJob(r, ns, 'Slow', { ms: 3000 });
  await waitStatus(r, ns, job.id, 2, { worker: w });
  const key = `${ns}:worker:${w.id}:usage`;
  const usage = await waitFor(async () => {
    const h = await r.hgetall(key);
    return h.pid ? h : null;
  }, { timeoutMs: 5000, what: `${key} filled` });
  const kids = childPids(w.pid);
  assert.ok(kids.includes(Number(usage.pid)), `usage.pid ${usage.pid} is a child of the worker (${kids})`);
  assert.notEqual(Number(usage.pid), w.pid);
  assert.match(usage.rss_mb, /^\d+\.\d$/);
  assert.ok(Number(usage.rss_mb) > 10 && Number(usage.rss_mb) < 2000, `rss_mb ${usage.rss_mb}`);
  assert.match(usage.cpu, /^\d+(\.\d)?$/);
  const at = Number(usage.at);
  assert.ok(Math.abs(at - Date.now() / 1000) < 10, `at ${usage.at} is a recent unix time`);
  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null });
  await waitStatus(r, ns, job.id, 4);
  assert.equal(await r.exists(key), 0, 'usage key removed when the worker unregisters');
});
