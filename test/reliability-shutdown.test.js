'use strict';
// Graceful shutdown (src/loop/loop.ts stop(), src/worker/runtime.ts signals):
//   --graceful-term (or GRACEFUL_TERM): TERM acts like QUIT — the running job completes;
//   --shutdown-timeout=N: a graceful stop waits at most N s, then the job is killed and fails
//   (DirtyExitError), or with --requeue-orphans goes back to the head of its queue untouched.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, childPids, pidAlive } = require('./helpers/worker');
const { pushJob, waitStatus, failures, statusOf, inflightLists, int, pushWhileParkedOnTwoQueues } = require('./helpers/chaos');

const redis = useRedis();

async function setup(t, args, env = {}) {
  const srv = await redis();
  const ns = uniqueNamespace('rs');
  const r = srv.client();
  t.after(() => r.disconnect());
  const w = startWorker({ srv, ns, args, env });
  t.after(() => w.stop({ graceMs: 2000 }));
  await waitRegistered(r, ns, w.id, { worker: w });
  return { srv, ns, r, w };
}

/** Push `cls(args)`, wait until it runs, TERM the worker; resolves {job, t0, kids}. */
async function termDuring(r, ns, w, cls, args) {
  const job = await pushJob(r, ns, cls, args);
  await waitStatus(r, ns, job.id, 2, { worker: w });
  const kids = childPids(w.pid);
  const t0 = Date.now();
  w.signal('SIGTERM');
  return { job, t0, kids };
}

for (const [label, args, env] of [
  ['--graceful-term', ['--graceful-term'], {}],
  ['GRACEFUL_TERM=1', [], { GRACEFUL_TERM: '1' }],
]) {
  test(`${label}: TERM during a 1.5 s job lets it complete, then exit 0 and unregister`, async (t) => {
    const { ns, r, w } = await setup(t, args, env);
    const { job } = await termDuring(r, ns, w, 'Slow', { ms: 1500 });
    const queuedBehind = await pushJob(r, ns, 'Noop', {});
    assert.deepEqual(await w.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null });
    const st = await statusOf(r, ns, job.id);
    assert.equal(st.status, 4, `job completed: ${JSON.stringify(st)}`);
    assert.deepEqual(st.result, { sleptMs: 1500 });
    assert.equal((await failures(r, ns)).length, 0);
    assert.equal(await int(r, `${ns}:stat:processed`), 1);
    assert.equal((await statusOf(r, ns, queuedBehind.id)).status, 1, 'no new job taken after TERM');
    assert.equal(await r.scard(`${ns}:workers`), 0);
    assert.deepEqual(await inflightLists(r, ns), []);
  });
}

test('without --graceful-term, TERM kills the running job at once (DirtyExit) — the control case', async (t) => {
  const { ns, r, w } = await setup(t, []);
  const { job, t0 } = await termDuring(r, ns, w, 'Slow', { ms: 10000 });
  assert.deepEqual(await w.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null });
  assert.ok(Date.now() - t0 < 3000, 'stopped at once');
  assert.equal((await statusOf(r, ns, job.id)).status, 3);
  const [f] = await failures(r, ns);
  assert.equal(f.exception, 'DirtyExitError');
});

test('--graceful-term --shutdown-timeout=1: a 10 s job is killed after ~1 s and failed (DirtyExit), exit within ~3 s', async (t) => {
  const { ns, r, w } = await setup(t, ['--graceful-term', '--shutdown-timeout=1']);
  const { job, t0, kids } = await termDuring(r, ns, w, 'Slow', { ms: 10000 });
  const exit = await w.waitExit({ timeoutMs: 10000 });
  const took = Date.now() - t0;
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(took >= 800, `waited for the shutdown timeout first (${took} ms)`);
  assert.ok(took < 3500, `exited ${took} ms after TERM (limit 1 s)`);
  const st = await statusOf(r, ns, job.id);
  assert.equal(st.status, 3, `failed: ${JSON.stringify(st)}`);
  const recs = await failures(r, ns);
  assert.equal(recs.length, 1);
  assert.equal(recs[0].exception, 'DirtyExitError');
  assert.match(recs[0].error, /signal SIG(TERM|KILL)/);
  assert.equal(recs[0].payload.id, job.id);
  assert.equal(await int(r, `${ns}:stat:failed`), 1);
  assert.equal(await r.llen(`${ns}:queue:default`), 0, 'not requeued');
  for (const p of kids) assert.equal(pidAlive(p), false, `job child ${p} gone`);
  assert.deepEqual(await inflightLists(r, ns), []);
  assert.equal(await r.scard(`${ns}:workers`), 0);
});

test('--graceful-term --shutdown-timeout=1 --requeue-orphans: the killed job is back at the head of its queue, byte-identical, nothing failed', async (t) => {
  const { ns, r, w } = await setup(t, ['--graceful-term', '--shutdown-timeout=1', '--requeue-orphans']);
  const first = await pushJob(r, ns, 'Slow', { ms: 10000, note: 'ünïcödé \u2028 / "q"' });
  await waitStatus(r, ns, first.id, 2, { worker: w });
  const behind = await pushJob(r, ns, 'Noop', { behind: true });
  const t0 = Date.now();
  w.signal('SIGTERM');
  assert.deepEqual(await w.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null });
  assert.ok(Date.now() - t0 < 3500, 'exited within ~3 s');
  const queueBuf = await r.lrangeBuffer(`${ns}:queue:default`, 0, -1);
  assert.equal(queueBuf.length, 2, 'requeued job + the one behind it');
  assert.ok(queueBuf[0].equals(Buffer.from(first.raw)), `head of the queue is the killed job, byte-identical:\n${queueBuf[0]}\n${first.raw}`);
  assert.ok(queueBuf[1].equals(Buffer.from(behind.raw)));
  assert.equal((await failures(r, ns)).length, 0, 'no failure record');
  assert.equal(await int(r, `${ns}:stat:failed`), 0, 'nothing counted as failed');
  const st = await statusOf(r, ns, first.id);
  assert.equal(st.status, 1, `back to WAITING like a requeued orphan (recover.ts), not left RUNNING: ${JSON.stringify(st)}`);
  assert.deepEqual(await inflightLists(r, ns), []);
  assert.equal(await r.exists(`${ns}:job:${first.id}:pid`), 0);
  assert.equal(await r.scard(`${ns}:workers`), 0);
});

test('QUIT with --shutdown-timeout=1 also bounds the wait (graceful stop, same rule)', async (t) => {
  const { ns, r, w } = await setup(t, ['--shutdown-timeout=1']);
  const job = await pushJob(r, ns, 'Slow', { ms: 10000 });
  await waitStatus(r, ns, job.id, 2, { worker: w });
  const t0 = Date.now();
  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null });
  const took = Date.now() - t0;
  assert.ok(took >= 800 && took < 3500, `exited ${took} ms after QUIT`);
  assert.equal((await statusOf(r, ns, job.id)).status, 3);
  await waitFor(async () => (await r.llen(`${ns}:failed`)) === 1, { what: 'failure record' });
});

test('--blocking with two queues: a job parked by BLMOVE but not yet started is not stranded by a graceful stop', async (t) => {
  const srv = await redis();
  const ns = uniqueNamespace('rs');
  const r = srv.client();
  t.after(() => r.disconnect());
  const w = startWorker({ srv, ns, queue: 'q1,q2', args: ['--blocking', '--interval=5'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  await waitRegistered(r, ns, w.id, { worker: w });
  const { a, b } = await pushWhileParkedOnTwoQueues(r, ns, w, 1500);
  // The set-up: q2's connection moved b into the in-flight list while a runs (parked, not started).
  const parked = await r.lrange(`${ns}:worker:${w.id}:inflight:q2`, 0, -1);
  assert.deepEqual(parked, [b.raw], 'b is parked in q2\'s in-flight list while a runs');
  assert.equal(await r.llen(`${ns}:queue:q2`), 0, 'and no longer in q2');
  w.signal('SIGQUIT'); // graceful: finish a, then stop
  assert.deepEqual(await w.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null });
  assert.equal((await statusOf(r, ns, a.id)).status, 4, 'the running job completed');
  // b never started (the stop came first): it goes back to the head of q2, WAITING, not run.
  assert.deepEqual(await inflightLists(r, ns), [], 'no in-flight list left after a graceful stop');
  assert.deepEqual(await r.lrange(`${ns}:queue:q2`, 0, -1), [b.raw], 'b is back in q2, byte for byte');
  assert.equal((await statusOf(r, ns, b.id)).status, 1, 'b is WAITING again (it never ran)');
});
