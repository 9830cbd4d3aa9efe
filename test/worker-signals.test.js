'use strict';
// Signals to a real worker process while a job runs in its child (WIRE.md §13, php-resque 2.x
// semantics): QUIT = finish the job then leave; TERM/INT = kill the child (DirtyExit), leave;
// USR1 = kill the child, keep working; USR2/CONT = pause/resume; --graceful-term = TERM as QUIT.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, pidAlive, testSetup, waitStatus } = require('./helpers/worker');

const redis = useRedis();

const setup = (t, name = 'ws') => testSetup(t, redis, name);

async function pushPhp(r, ns, cls, arg0, queue = 'default') {
  const id = randomBytes(16).toString('hex');
  const raw = `{"class":${JSON.stringify(cls)},"args":[${arg0}],"id":"${id}","prefix":"","queue_time":1795252080.5}`;
  const now = Math.floor(Date.now() / 1000);
  await r.set(`${ns}:job:${id}:status`, `{"status":1,"updated":${now},"started":${now},"result":null}`);
  await r.sadd(`${ns}:queues`, queue);
  await r.rpush(`${ns}:queue:${queue}`, raw);
  return { id, raw };
}

async function status(r, ns, id) {
  const raw = await r.get(`${ns}:job:${id}:status`);
  return raw ? JSON.parse(raw) : null;
}

/** A worker busy with a Slow job of `ms`; resolves once the child runs it (job:ID:pid set). */
async function busyWorker(t, { ms, args = [] }) {
  const ctx = await setup(t);
  const { srv, ns, r, k } = ctx;
  const w = startWorker({ srv, ns, queue: 'default', args });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  const job = await pushPhp(r, ns, 'Slow', `{"ms":${ms}}`);
  await waitStatus(r, ns, job.id, 2, { worker: w, timeoutMs: 10000 });
  const childPid = Number(await waitFor(() => r.get(k(`job:${job.id}:pid`)), { what: 'job:ID:pid' }));
  return { ...ctx, w, job, childPid };
}

/** Everything php-resque's unregister removes (WIRE.md §5.2 step 4) is gone. */
async function assertUnregistered(r, k, wid) {
  assert.deepEqual(await r.smembers(k('workers')), [], 'workers set empty');
  assert.equal(await r.exists(k(`worker:${wid}`)), 0, 'worker:ID gone');
  assert.equal(await r.exists(k(`worker:${wid}:started`)), 0, 'worker:ID:started gone');
  assert.equal(await r.exists(k(`stat:processed:${wid}`)), 0, 'stat:processed:ID gone');
  assert.equal(await r.exists(k(`stat:failed:${wid}`)), 0, 'stat:failed:ID gone');
}

test('QUIT during a job: the job completes (status 4), the worker unregisters and exits 0', async (t) => {
  const { r, k, w, job, ns } = await busyWorker(t, { ms: 1200 });
  w.signal('SIGQUIT');
  const exit = await w.waitExit({ timeoutMs: 10000 });
  assert.deepEqual(exit, { code: 0, signal: null });
  const s = await status(r, ns, job.id);
  assert.equal(s.status, 4, 'the running job was allowed to finish');
  assert.deepEqual(s.result, { sleptMs: 1200 });
  assert.equal(await r.get(k('stat:processed')), '1');
  assert.equal(await r.exists(k('failed')), 0);
  await assertUnregistered(r, k, w.id);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  test(`${sig} during a job: the child is killed, job fails (DirtyExitError, signal), status 3, worker unregistered and gone`, async (t) => {
    const { r, k, w, job, ns, childPid } = await busyWorker(t, { ms: 20000 });
    const t0 = Date.now();
    w.signal(sig);
    const exit = await w.waitExit({ timeoutMs: 10000 });
    assert.ok(Date.now() - t0 < 8000, 'did not wait for the 20 s job');
    assert.deepEqual(exit, { code: 0, signal: null }, `exits by itself (php-resque exits 0 after shutdownNow)\n${w.output}`);
    const s = await status(r, ns, job.id);
    assert.equal(s.status, 3);
    const failed = await r.lrange(k('failed'), 0, -1);
    assert.equal(failed.length, 1);
    const rec = JSON.parse(failed[0]);
    assert.equal(rec.exception, 'DirtyExitError');
    assert.match(rec.error, /signal|SIG[A-Z]+/, `error names a signal: ${rec.error}`);
    assert.equal(rec.worker, w.id);
    assert.equal(await r.get(k('stat:failed')), '1');
    await assertUnregistered(r, k, w.id);
    await waitFor(() => !pidAlive(childPid), { timeoutMs: 3000, what: `job child ${childPid} gone` });
  });
}

test('USR1 during a job: that job fails (DirtyExit), the worker keeps running and does the next job', async (t) => {
  const { r, k, w, job, ns, childPid } = await busyWorker(t, { ms: 20000 });
  const id = w.id;
  w.signal('SIGUSR1');
  await waitStatus(r, ns, job.id, 3, { worker: w, timeoutMs: 10000 });
  const [rec] = (await r.lrange(k('failed'), 0, -1)).map((x) => JSON.parse(x));
  assert.equal(rec.exception, 'DirtyExitError');
  await waitFor(() => !pidAlive(childPid), { timeoutMs: 3000, what: `killed child ${childPid} gone` });
  const next = await pushPhp(r, ns, 'Noop', '{"n":2}');
  await waitStatus(r, ns, next.id, 4, { worker: w, timeoutMs: 10000 });
  assert.ok(w.alive, 'worker still running');
  // The killed job process was the registered worker: the next one has an id (and counters) of its own.
  assert.notEqual(w.id, id);
  assert.deepEqual(await r.smembers(k('workers')), [w.id]);
  assert.equal(await r.exists(k(`stat:processed:${id}`)), 0, 'the dead id\'s counters went with it');
  await waitFor(async () => (await r.get(k(`stat:processed:${w.id}`))) === '1', { what: 'the new id counted the next job' });
  assert.equal(await r.get(k('stat:processed')), '2');
  assert.equal(await r.get(k('stat:failed')), '1');
});

test('USR2 pauses (a new job stays queued), CONT resumes (it runs)', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const w = startWorker({ srv, ns, queue: 'default', interval: '0.2' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  const from = w.mark();
  w.signal('SIGUSR2');
  await w.waitForOutput(/USR2/, { from });
  const job = await pushPhp(r, ns, 'Noop', '{"paused":true}');
  // A negative check needs a time window: three INTERVALs (0.2 s) in which nothing may happen.
  await new Promise((res) => setTimeout(res, 700));
  assert.equal(await r.llen(k('queue:default')), 1, 'job still queued while paused');
  assert.equal((await status(r, ns, job.id)).status, 1);
  assert.ok(w.alive);
  w.signal('SIGCONT');
  await waitStatus(r, ns, job.id, 4, { worker: w, timeoutMs: 5000 });
  assert.equal(await r.llen(k('queue:default')), 0);
});

test('--graceful-term: TERM acts like QUIT (the job completes, exit 0)', async (t) => {
  const { r, k, w, job, ns } = await busyWorker(t, { ms: 1200, args: ['--graceful-term'] });
  w.signal('SIGTERM');
  assert.deepEqual(await w.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null });
  const s = await status(r, ns, job.id);
  assert.equal(s.status, 4);
  assert.deepEqual(s.result, { sleptMs: 1200 });
  assert.equal(await r.exists(k('failed')), 0);
  await assertUnregistered(r, k, w.id);
});

// Issue 11 point 11: in blocking mode QUIT and USR2 end the BLMOVE wait at once. Dropping the
// blocking connection is not enough: ioredis re-sends the pending BLMOVE on its new connection,
// which then waits out the whole INTERVAL (QUIT took 10.2 s with INTERVAL=10) and, after USR2,
// still moved the next job into the paused worker's in-flight list.
for (const queue of ['default', 'high,default']) {
  test(`--blocking --interval=10 on ${queue}: QUIT to an idle worker exits within 2 s`, async (t) => {
    const { srv, ns, r } = await setup(t);
    const w = startWorker({ srv, ns, queue, args: ['--blocking'], interval: '10' });
    t.after(() => w.stop());
    await waitRegistered(r, ns, w.id, { worker: w });
    await waitFor(async () => (await r.client('LIST')).includes('cmd=blmove'), { what: 'parked on BLMOVE' });
    const t0 = Date.now();
    w.signal('SIGQUIT');
    assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 2000, `exited ${Date.now() - t0} ms after QUIT (INTERVAL is 10 s)`);
  });
}

test('--blocking --interval=10: after USR2 a new job stays in its queue (the pending BLMOVE is cancelled), CONT runs it', async (t) => {
  const { srv, ns, r } = await setup(t);
  const w = startWorker({ srv, ns, queue: 'default', args: ['--blocking'], interval: '10' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  await waitFor(async () => (await r.client('LIST')).includes('cmd=blmove'), { what: 'parked on BLMOVE' });
  const from = w.mark();
  w.signal('SIGUSR2');
  await w.waitForOutput(/USR2/, { from });
  // A connection's last command stays in CLIENT LIST: flag b is what marks it blocked now.
  await waitFor(async () => !/flags=[^ ]*b[^ ]* .*cmd=blmove/.test(await r.client('LIST')), { timeoutMs: 2000, what: 'the BLMOVE cancelled' });
  const job = await pushPhp(r, ns, 'Noop', '{"paused":true}');
  await new Promise((res) => setTimeout(res, 500));
  assert.equal(await r.llen(`${ns}:queue:default`), 1, 'the job is still in its queue, not in the paused worker\'s in-flight list');
  w.signal('SIGCONT');
  await waitStatus(r, ns, job.id, 4, { worker: w, timeoutMs: 5000 });
});

// A signal sent to the whole process group (Ctrl-C, kill -SIG -PGID) reaches the host and its job
// process, which hands its copy to the host: each worker must act on it once.
test('QUIT to the process group during a job: the job completes once, the worker exits 0', async (t) => {
  const { r, k, w, job, ns } = await busyWorker(t, { ms: 1200 });
  process.kill(-w.pid, 'SIGQUIT');
  assert.deepEqual(await w.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null }, w.output);
  assert.equal((await status(r, ns, job.id)).status, 4);
  assert.equal(await r.get(k('stat:processed')), '1');
  assert.equal(await r.exists(k('failed')), 0);
  assert.deepEqual(await r.smembers(k('workers')), []);
});

test('USR1 to the process group during a job: one failure, one replacement job process, the next job runs', async (t) => {
  const { r, k, w, job, ns, childPid } = await busyWorker(t, { ms: 20000 });
  const id = w.id;
  process.kill(-w.pid, 'SIGUSR1');
  await waitStatus(r, ns, job.id, 3, { worker: w, timeoutMs: 10000 });
  await waitFor(() => !pidAlive(childPid), { timeoutMs: 3000, what: `killed job process ${childPid} gone` });
  const next = await pushPhp(r, ns, 'Noop', '{"n":2}');
  await waitStatus(r, ns, next.id, 4, { worker: w, timeoutMs: 10000 });
  assert.equal(await r.llen(k('failed')), 1, 'the group signal failed one job, once');
  const ids = await r.smembers(k('workers'));
  assert.equal(ids.length, 1, `one worker registered: ${ids}`);
  assert.notEqual(ids[0], id);
  assert.ok(w.alive);
  assert.equal((w.output.match(/A child worker died/g) ?? []).length, 1, w.output);
});
