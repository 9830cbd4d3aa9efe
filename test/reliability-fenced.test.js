'use strict';
// A frozen or partitioned worker (issue 11.2): SIGSTOP past the prune age while another worker
// runs, then SIGCONT. The other worker prunes it (its heartbeat is stale): the pruner fences its id
// (NS:resque-ts:fenced:WID), fails its running job and puts back what it had parked. When the
// frozen process comes back it must take and settle nothing more under that id — no job runs
// twice — and a job it did finish is corrected (counted once, done), not left recorded as failed.
// Heartbeat and prune age come from --heartbeat-interval=1 --prune-after=3 so this takes seconds.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, killGroup, tempDir, testSetup, spawnResque } = require('./helpers/worker');
const { pushJob, phpPayload, statusOf, sleep, hex32 } = require('./helpers/chaos');

const redis = useRedis();
const FAST = ['--heartbeat-interval=1', '--prune-after=3'];

async function worker(t, ctx, args = []) {
  const w = startWorker({ srv: ctx.srv, ns: ctx.ns, args: [...FAST, ...args] });
  t.after(async () => {
    killGroup(w.pid, 'SIGCONT');
    await w.stop({ graceMs: 3000 });
  });
  await waitRegistered(ctx.r, ctx.ns, w.id, { worker: w });
  return w;
}

/** A namespace on the file's Redis and an empty runs file (one line per job execution). */
async function fencedSetup(t, name) {
  const ctx = await testSetup(t, redis, name);
  const file = path.join(tempDir('resque-fenced-'), 'runs.txt');
  fs.writeFileSync(file, '');
  return { ctx, r: ctx.r, ns: ctx.ns, k: ctx.k, file };
}

function lines(file) {
  const runs = new Map();
  for (const l of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) runs.set(l, (runs.get(l) ?? 0) + 1);
  return runs;
}

test('both processes frozen past the prune age mid-job: pruned and fenced; back, the job it finished is counted once as done, and nothing else runs under that id', { timeout: 40000 }, async (t) => {
  const { ctx, r, ns, k, file } = await fencedSetup(t, 'fz');
  const w1 = await worker(t, ctx);
  const id1 = w1.id;
  const { id: a } = await pushJob(r, ns, 'SleepsThenRecords', { ms: 1500, file });
  await waitFor(async () => (await statusOf(r, ns, a))?.status === 2, { what: 'job A running in worker 1' });
  assert.equal(await r.get(k(`job:${a}:pid`)), String(w1.jobPid()), 'worker 1 runs job A');
  killGroup(w1.pid, 'SIGSTOP'); // the host and its job process: a frozen VM

  const w2 = await worker(t, ctx);
  const others = [];
  for (let i = 0; i < 5; i++) others.push((await pushJob(r, ns, 'SleepsThenRecords', { ms: 1, file })).id);
  await waitFor(async () => (await r.exists(k(`resque-ts:fenced:${id1}`))) === 1 && (await r.sismember(k('workers'), id1)) === 0,
    { timeoutMs: 15000, what: 'worker 1 pruned and fenced' });
  // What the pruner wrote while worker 1 was frozen: job A failed as a dead worker's.
  const pruned = (await r.lrange(k('failed'), 0, -1)).map((x) => JSON.parse(x));
  assert.deepEqual(pruned.map((f) => [f.payload.id, f.exception]), [[a, 'PruneDeadWorkerDirtyExit']]);
  await waitFor(async () => others.every((id) => lines(file).get(id) === 1), { what: 'worker 2 ran the other jobs' });

  killGroup(w1.pid, 'SIGCONT');
  await waitFor(async () => (await statusOf(r, ns, a))?.status === 4, { timeoutMs: 10000, what: `job A completed (status ${JSON.stringify(await statusOf(r, ns, a))})` })
    .catch((e) => { e.message += `\n--- worker 1 ---\n${w1.output}`; throw e; });
  assert.equal(await r.llen(k('failed')), 0, 'the pruner\'s failure record of A was taken back');
  assert.equal(Number(await r.get(k('stat:failed'))), 0, 'stat:failed corrected');
  // Worker 1's host starts a new job process under a new id; the fenced id stays out.
  const id1b = await waitFor(async () => {
    const now = w1.id;
    return now !== id1 && (await r.sismember(k('workers'), now)) === 1 ? now : null;
  }, { timeoutMs: 10000, what: 'worker 1 replaced its fenced job process' }).catch((e) => { e.message += `\n${w1.output}`; throw e; });
  assert.notEqual(id1b, id1);
  assert.equal(await r.sismember(k('workers'), id1), 0, 'the fenced id never re-registered');
  assert.match(w1.output, new RegExp(`Worker ${id1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was pruned as dead while frozen or cut off from Redis`));

  // And the new job process works.
  const { id: c } = await pushJob(r, ns, 'SleepsThenRecords', { ms: 1, file });
  await waitFor(async () => (await statusOf(r, ns, c))?.status === 4, { what: 'a later job completed' });
  const runs = lines(file);
  for (const id of [a, ...others, c]) assert.equal(runs.get(id), 1, `job ${id} ran exactly once`);
  assert.equal(Number(await r.get(k('stat:processed'))), 7, 'processed: each of the 7 jobs once');
  assert.equal(await r.exists(k(`stat:processed:${id1}`)), 0, 'nothing counted under the fenced id');
});

test('frozen mid-batch past the prune age (untracked jobs in batches): no job runs twice, counters exact', { timeout: 60000 }, async (t) => {
  const { ctx, r, ns, k, file } = await fencedSetup(t, 'fb');
  const N = 3000;
  const ids = [];
  const pipe = r.pipeline();
  pipe.sadd(k('queues'), 'default');
  for (let i = 0; i < N; i++) {
    const id = hex32();
    ids.push(id);
    pipe.rpush(k('queue:default'), phpPayload('ChaosJob', { file, maxMs: 2 }, id));
  }
  await pipe.exec();
  const w1 = await worker(t, ctx);
  const id1 = w1.id;
  await waitFor(() => lines(file).size >= 200, { timeoutMs: 15000, what: 'worker 1 under way' });
  killGroup(w1.pid, 'SIGSTOP');
  const w2 = await worker(t, ctx);
  await waitFor(async () => (await r.exists(k(`resque-ts:fenced:${id1}`))) === 1, { timeoutMs: 15000, what: 'worker 1 fenced' });
  await sleep(300);
  killGroup(w1.pid, 'SIGCONT');
  await waitFor(async () => (await r.llen(k('queue:default'))) === 0 && lines(file).size === N
    && Number(await r.get(k('stat:processed'))) >= N, { timeoutMs: 30000, intervalMs: 200, what: 'drained' })
    .catch(async (e) => { e.message += ` (queued ${await r.llen(k('queue:default'))}, ran ${lines(file).size})\n--- w1 ---\n${w1.output.slice(-3000)}\n--- w2 ---\n${w2.output.slice(-2000)}`; throw e; });
  await sleep(500);
  const runs = lines(file);
  const twice = ids.filter((id) => (runs.get(id) ?? 0) > 1);
  assert.deepEqual(twice, [], 'no job ran twice');
  assert.equal(Number(await r.get(k('stat:processed'))), N, 'stat:processed counts each job once');
  assert.equal(await r.llen(k('failed')), 0, 'no job recorded as failed (the one it was running when frozen was corrected)');
  assert.equal(Number(await r.get(k('stat:failed')) ?? 0), 0);
});

test('the host alone frozen past the prune age: its job process beats for itself, is not pruned, and keeps working exactly once', { timeout: 40000 }, async (t) => {
  const { ctx, r, ns, k, file } = await fencedSetup(t, 'fh');
  const w1 = await worker(t, ctx);
  const id1 = w1.id;
  process.kill(w1.pid, 'SIGSTOP'); // the host only: the job process runs on
  t.after(() => { try { process.kill(w1.pid, 'SIGCONT'); } catch {} });
  await worker(t, ctx); // a second worker, which would prune it
  const ids = [];
  const deadline = Date.now() + 5000; // past the prune age (3 s)
  while (Date.now() < deadline) {
    ids.push((await pushJob(r, ns, 'SleepsThenRecords', { ms: 1, file }, { track: false })).id);
    await sleep(100);
  }
  await waitFor(() => ids.every((id) => lines(file).get(id) === 1), { timeoutMs: 10000, what: 'every job ran' });
  assert.equal(await r.exists(k(`resque-ts:fenced:${id1}`)), 0, 'the job process was not fenced');
  assert.equal(await r.sismember(k('workers'), id1), 1, 'and is still registered');
  assert.ok(Number(await r.get(k(`stat:processed:${id1}`))) > 0, 'it took jobs while its host was frozen');
  process.kill(w1.pid, 'SIGCONT');
  const runs = lines(file);
  assert.deepEqual(ids.filter((id) => runs.get(id) !== 1), [], 'each job ran exactly once');
  assert.equal(await r.llen(k('failed')), 0);
});

test('the fence: a beat is refused once fenced, a pruner does not fence a worker that beat since it looked, a new process with the id clears it', async (t) => {
  const { srv, ns, k } = await testSetup(t, redis, 'fs');
  const { Keys } = require('../dist/redis/keys');
  const { heartbeat, fenceWorker, registerWorker } = require('../dist/store/workers');
  const c = srv.client();
  t.after(() => c.disconnect());
  const keys = new Keys(ns);
  const id = 'otherhost:123:default';
  await registerWorker(c, keys, id, new Date(Date.now() - 10000));
  const seen = await c.hget(k('workers:heartbeat'), id);
  assert.equal(await heartbeat(c, keys, id, new Date()), true, 'an unfenced worker beats');
  assert.equal(await fenceWorker(c, keys, id, seen, 'me'), false, 'it beat after the pruner looked: not fenced');
  assert.equal(await c.exists(k(`resque-ts:fenced:${id}`)), 0);
  const now = await c.hget(k('workers:heartbeat'), id);
  assert.equal(await fenceWorker(c, keys, id, now, 'me'), true, 'unchanged since the look: fenced');
  assert.ok((await c.ttl(k(`resque-ts:fenced:${id}`))) > 86000, 'the fence has a TTL of a day');
  await c.srem(k('workers'), id);
  assert.equal(await heartbeat(c, keys, id, new Date()), false, 'a fenced worker\'s beat is refused');
  assert.equal(await c.sismember(k('workers'), id), 0, 'and does not re-register it');
  await registerWorker(c, keys, id);
  assert.equal(await c.exists(k(`resque-ts:fenced:${id}`)), 0, 'a new process registering the id clears the fence');
  assert.equal(await heartbeat(c, keys, id, new Date()), true);
});

test('--prune-after below twice --heartbeat-interval is a usage error (exit 2)', async () => {
  const w = spawnResque(['start', '--queue=q', '--heartbeat-interval=10', '--prune-after=15']);
  const exit = await w.waitExit({ timeoutMs: 10000 });
  assert.equal(exit.code, 2, w.output);
  assert.match(w.output, /prune-after.*15.*at least twice the heartbeat interval, 20 s/);
});
