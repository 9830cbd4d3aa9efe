'use strict';
// Processes dying with SIGKILL (src/engine/per-job-child-runner.ts, src/store/workers.ts, src/worker/runtime.ts,
// src/worker/supervisor.ts):
//   * a job process (the registered worker) killed mid-job → its host fails the job with
//     DirtyExitError naming SIGKILL, unregisters that id and starts another under a new id;
//   * a worker and its host killed mid-job (the whole process group: an OOM-killed container) →
//     its job waits in NS:worker:WID:inflight:QUEUE until the next worker's recovery fails it
//     (PruneDeadWorkerDirtyExit) or, with --requeue-orphans, puts it back at the head of its
//     queue; the dead worker's registry keys are removed;
//   * other hosts: pruned only when their heartbeat is stale (> 300 s);
//   * a supervisor killed → its workers see the IPC channel close, finish, unregister and exit.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, childPids, pidAlive, killGroup, tempDir, testSetup } = require('./helpers/worker');
const { pushJob, phpPayload, waitStatus, failures, statusOf, inflightLists, scan, int, hex32, pushWhileParkedOnTwoQueues } = require('./helpers/chaos');

const redis = useRedis();

const setup = (t, name = 'rk') => testSetup(t, redis, name);

async function running(srv, ns, r, args = []) {
  const w = startWorker({ srv, ns, args });
  await waitRegistered(r, ns, w.id, { worker: w });
  return w;
}

/** php-resque's date('c') in UTC. */
const dateC = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** Every key a worker id owns (registry, stats, usage, in-flight lists, heartbeat field). */
async function registryTraces(r, ns, id) {
  const traces = [];
  if (await r.sismember(`${ns}:workers`, id)) traces.push('member of workers');
  if (await r.hexists(`${ns}:workers:heartbeat`, id)) traces.push('heartbeat field');
  for (const k of await scan(r, `${ns}:worker:${id.replace(/[*?[\]\\]/g, '\\$&')}*`)) traces.push(k);
  for (const k of await scan(r, `${ns}:stat:*:${id.replace(/[*?[\]\\]/g, '\\$&')}`)) traces.push(k);
  return traces;
}

test('SIGKILL of the job process (the worker): DirtyExitError naming SIGKILL; its id leaves, another job process goes on', async (t) => {
  const { srv, ns, r } = await setup(t);
  const w = await running(srv, ns, r);
  t.after(() => w.stop({ graceMs: 3000 }));
  const job = await pushJob(r, ns, 'Slow', { ms: 20000 });
  await waitStatus(r, ns, job.id, 2, { worker: w });
  const [child] = await waitFor(() => { const k = childPids(w.pid); return k.length === 1 ? k : null; }, { what: 'one job process' });
  const id = w.id;
  assert.equal(id.split(':')[1], String(child), 'the registered pid is the job process');
  process.kill(child, 'SIGKILL');
  await waitStatus(r, ns, job.id, 3, { worker: w, timeoutMs: 5000 });
  const recs = (await failures(r, ns)).filter((f) => f.payload.id === job.id);
  assert.equal(recs.length, 1);
  assert.equal(recs[0].exception, 'DirtyExitError');
  assert.match(recs[0].error, /SIGKILL/);
  assert.equal(recs[0].worker, id, 'recorded under the id of the process that died');
  const next = await pushJob(r, ns, 'Noop', { n: 2 });
  await waitStatus(r, ns, next.id, 4, { worker: w });
  assert.equal(w.alive, true);
  assert.notEqual(w.id, id, 'the replacement has an id of its own');
  assert.equal(await r.sismember(`${ns}:workers`, w.id), 1);
  assert.deepEqual(await registryTraces(r, ns, id), [], 'the dead id left the registry');
  assert.deepEqual(await inflightLists(r, ns), []);
});

/** Start a worker, let it take `cls(args)`, SIGKILL the worker and its host (the process group). */
async function killWorkerMidJob(srv, ns, r, cls, args) {
  const w = await running(srv, ns, r);
  const job = await pushJob(r, ns, cls, args);
  await waitStatus(r, ns, job.id, 2, { worker: w });
  const id = w.id;
  const pids = [w.pid, ...childPids(w.pid)];
  killGroup(w.pid, 'SIGKILL');
  await w.exited;
  await waitFor(() => pids.every((p) => !pidAlive(p)), { what: `processes ${pids} gone`, timeoutMs: 5000 });
  return { w, job, dead: { id, pid: Number(id.split(':')[1]) } };
}

test('SIGKILL of the worker and its host mid-job: the job waits in the in-flight list; the next worker fails it (PruneDeadWorkerDirtyExit)', async (t) => {
  const { srv, ns, r } = await setup(t);
  const { dead, job } = await killWorkerMidJob(srv, ns, r, 'Slow', { ms: 20000 });
  const list = `${ns}:worker:${dead.id}:inflight:default`;
  assert.deepEqual(await r.lrange(list, 0, -1), [job.raw], 'exact payload bytes parked in the in-flight list');
  assert.equal(await r.llen(`${ns}:queue:default`), 0);

  const w2 = await running(srv, ns, r);
  t.after(() => w2.stop({ graceMs: 3000 }));
  const recs = await waitFor(async () => { const f = await failures(r, ns); return f.length ? f : null; }, { what: 'failure record' });
  assert.equal(recs.length, 1);
  const [f] = recs;
  assert.equal(f.exception, 'PruneDeadWorkerDirtyExit');
  assert.match(f.error, new RegExp(`${dead.pid}`), `error names the dead pid: ${f.error}`);
  assert.match(f.error, /died|gone/, `error says what happened: ${f.error}`);
  assert.equal(f.worker, dead.id);
  assert.equal(f.queue, 'default');
  assert.deepEqual(f.payload, JSON.parse(job.raw));
  const rawRec = (await r.lrange(`${ns}:failed`, 0, 0))[0];
  assert.ok(rawRec.includes(`"payload":${job.raw},`), 'payload embedded byte for byte');
  assert.equal(await int(r, `${ns}:stat:failed`), 1);
  assert.deepEqual(await registryTraces(r, ns, dead.id), [], 'dead worker registry keys removed');
  assert.deepEqual(await inflightLists(r, ns), []);
  assert.equal(await r.llen(`${ns}:queue:default`), 0, 'not requeued');
  assert.ok(await r.sismember(`${ns}:workers`, w2.id));
});

test('a tracked job failed by recovery gets status 3 (FAILED) and no stale job:ID:pid', async (t) => {
  const { srv, ns, r } = await setup(t);
  const { job } = await killWorkerMidJob(srv, ns, r, 'Slow', { ms: 20000 });
  const w2 = await running(srv, ns, r);
  t.after(() => w2.stop({ graceMs: 3000 }));
  await waitFor(async () => (await r.llen(`${ns}:failed`)) === 1, { what: 'failure record' });
  const problems = [];
  const st = await statusOf(r, ns, job.id);
  if (!st || st.status !== 3) problems.push(`status is ${JSON.stringify(st)}, expected status 3 (php-resque: any failure → 3)`);
  const pidKey = await r.get(`${ns}:job:${job.id}:pid`);
  if (pidKey !== null) problems.push(`job:ID:pid still holds the dead child's pid ${pidKey}`);
  assert.deepEqual(problems, [], 'a job recorded as failed by recovery must look failed');
});

test('--requeue-orphans: the dead worker\'s job goes back to the HEAD of its queue and is run (status 4)', async (t) => {
  const { srv, ns, r } = await setup(t);
  const dir = tempDir();
  const file = path.join(dir, 'order.txt');
  const { dead, job } = await killWorkerMidJob(srv, ns, r, 'SlowWrite', { ms: 20000, file });
  // a job queued after the orphan died: the orphan must still come first
  const later = await pushJob(r, ns, 'WritesFile', { file });
  await r.lpush(`${ns}:queue:other`, 'x'); // unrelated queue, must stay untouched
  const w2 = startWorker({ srv, ns, args: ['--requeue-orphans'], queue: 'default' });
  t.after(() => w2.stop({ graceMs: 3000 }));
  // the requeued job is reserved first (head of the queue): it is the one running now
  const working = await waitFor(async () => {
    const v = await r.get(`${ns}:worker:${w2.id}`);
    return v ? JSON.parse(v) : null;
  }, { what: 'w2 working on a job', timeoutMs: 10000 });
  assert.equal(working.payload.id, job.id, 'the orphan runs before the job queued after it');
  assert.equal((await failures(r, ns)).length, 0, 'nothing failed');
  assert.equal(await int(r, `${ns}:stat:failed`), 0);
  assert.deepEqual(await registryTraces(r, ns, dead.id), []);
  assert.equal(await r.llen(`${ns}:queue:other`), 1);
  assert.deepEqual(await r.lrange(`${ns}:queue:default`, 0, -1), [later.raw]);
  // its in-flight list now belongs to w2, holding the exact bytes
  assert.deepEqual(await r.lrange(`${ns}:worker:${w2.id}:inflight:default`, 0, -1), [job.raw]);
});

test('--requeue-orphans: a requeued orphan completes (status 4) before the jobs queued behind it', async (t) => {
  const { srv, ns, r } = await setup(t);
  const dir = tempDir();
  const file = path.join(dir, 'order.txt');
  const { job } = await killWorkerMidJob(srv, ns, r, 'SlowWrite', { ms: 1500, file });
  const later = await pushJob(r, ns, 'WritesFile', { file });
  const w2 = startWorker({ srv, ns, args: ['--requeue-orphans'] });
  t.after(() => w2.stop({ graceMs: 3000 }));
  await waitStatus(r, ns, job.id, 4, { worker: w2, timeoutMs: 10000 });
  await waitStatus(r, ns, later.id, 4, { worker: w2 });
  assert.deepEqual(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean), [job.id, later.id], 'orphan ran once, first');
  assert.equal((await failures(r, ns)).length, 0);
  assert.deepEqual(await inflightLists(r, ns), []);
});

/** A foreign worker on another host, holding `raw` in its in-flight list, last heartbeat at `beatMs`. */
async function foreignWorker(r, ns, beatMs) {
  const id = 'otherhost:123:default';
  const job = { id: hex32() };
  job.raw = phpPayload('Noop', { foreign: true }, job.id);
  await r.sadd(`${ns}:workers`, id);
  await r.set(`${ns}:worker:${id}:started`, dateC(beatMs - 60000));
  await r.set(`${ns}:worker:${id}`, `{"queue":"default","run_at":"${dateC(beatMs)}","payload":${job.raw}}`);
  await r.hset(`${ns}:workers:heartbeat`, id, dateC(beatMs));
  await r.rpush(`${ns}:worker:${id}:inflight:default`, job.raw);
  return { id, job };
}

test('a worker on another host with a FRESH heartbeat is not pruned', async (t) => {
  const { srv, ns, r } = await setup(t);
  const { id, job } = await foreignWorker(r, ns, Date.now());
  const w = await running(srv, ns, r);
  t.after(() => w.stop({ graceMs: 3000 }));
  // recovery runs before registration: by now it has looked at otherhost
  const check = await pushJob(r, ns, 'Noop', {});
  await waitStatus(r, ns, check.id, 4, { worker: w });
  assert.equal(await r.sismember(`${ns}:workers`, id), 1);
  assert.deepEqual(await r.lrange(`${ns}:worker:${id}:inflight:default`, 0, -1), [job.raw]);
  assert.equal(await r.hexists(`${ns}:workers:heartbeat`, id), 1);
  assert.equal((await failures(r, ns)).length, 0);
});

test('a worker on another host whose heartbeat is 10 minutes old is pruned and its job failed', async (t) => {
  const { srv, ns, r } = await setup(t);
  const { id, job } = await foreignWorker(r, ns, Date.now() - 600 * 1000);
  const w = await running(srv, ns, r);
  t.after(() => w.stop({ graceMs: 3000 }));
  const recs = await waitFor(async () => { const f = await failures(r, ns); return f.length ? f : null; }, { what: 'failure' });
  assert.equal(recs.length, 1);
  const [f] = recs;
  assert.equal(f.exception, 'PruneDeadWorkerDirtyExit');
  assert.match(f.error, /heartbeat/);
  assert.match(f.error, /(59\d|60\d) s/, `error gives the heartbeat age: ${f.error}`);
  assert.equal(f.worker, id);
  assert.equal(f.queue, 'default');
  assert.equal(f.payload.id, job.id);
  assert.deepEqual(await registryTraces(r, ns, id), []);
  assert.equal(await r.llen(`${ns}:queue:default`), 0, 'failed, not requeued');
});

test('SIGKILL of the supervisor (--count=2): its job processes (the workers) finish their job, unregister and exit; nothing is left', async (t) => {
  const { srv, ns, r } = await setup(t);
  const sup = startWorker({ srv, ns, args: ['--count=2'] });
  t.after(() => sup.stop({ graceMs: 1000 }));
  await waitFor(async () => (await r.scard(`${ns}:workers`)) === 2, { what: '2 workers', timeoutMs: 15000 });
  const job = await pushJob(r, ns, 'Slow', { ms: 1500 });
  await waitStatus(r, ns, job.id, 2, { worker: sup });
  const workers = childPids(sup.pid);
  assert.equal(workers.length, 2, `two job processes: ${workers}`);
  const ids = await r.smembers(`${ns}:workers`);
  assert.deepEqual(ids.map((id) => Number(id.split(':')[1])).sort(), [...workers].sort(), 'they are the registered workers');
  const all = [...workers, ...workers.flatMap((p) => childPids(p))];
  process.kill(sup.pid, 'SIGKILL');
  await sup.exited;
  await waitFor(() => all.every((p) => !pidAlive(p)), { what: `every process of the supervisor gone (${all})`, timeoutMs: 10000 })
    .catch((e) => { e.message += `\nalive: ${all.filter(pidAlive)}\n${sup.output}`; throw e; });
  await waitStatus(r, ns, job.id, 4, { worker: sup, timeoutMs: 1000 }); // graceful: the job completed
  assert.equal(await r.scard(`${ns}:workers`), 0, 'every worker unregistered');
  for (const id of ids) assert.deepEqual(await registryTraces(r, ns, id), [], `${id} fully unregistered`);
  assert.equal((await failures(r, ns)).length, 0);
});

test('--count=2: both workers SIGKILLed at once — the supervisor stays up and starts two new workers', async (t) => {
  const { srv, ns, r } = await setup(t);
  const sup = startWorker({ srv, ns, args: ['--count=2'] });
  t.after(() => sup.stop({ graceMs: 1000 }));
  const first = await waitFor(async () => { const m = await r.smembers(`${ns}:workers`); return m.length === 2 ? m : null; }, { what: '2 workers', timeoutMs: 15000 });
  const workers = childPids(sup.pid);
  assert.equal(workers.length, 2);
  for (const p of workers) process.kill(p, 'SIGKILL');
  // replacements (each prunes the dead ones at start) — the supervisor must not just vanish
  await waitFor(async () => {
    const m = await r.smembers(`${ns}:workers`);
    return m.length === 2 && m.every((id) => !first.includes(id)) ? m : null;
  }, { what: 'two replacement workers registered', timeoutMs: 10000 })
    .catch((e) => { e.message += `\nsupervisor alive: ${sup.alive} exit: ${JSON.stringify(sup.exit)}\n${sup.output}`; throw e; });
  assert.equal(sup.alive, true, 'supervisor still running');
  const job = await pushJob(r, ns, 'Noop', {});
  await waitStatus(r, ns, job.id, 4, { worker: sup });
});

test('QUIT to the supervisor while a worker restart is pending: no new worker is started, the supervisor exits after the running job', async (t) => {
  const { srv, ns, r } = await setup(t);
  const sup = startWorker({ srv, ns, args: ['--count=2'] });
  t.after(() => sup.stop({ graceMs: 1000 }));
  await waitFor(async () => (await r.scard(`${ns}:workers`)) === 2, { what: '2 workers', timeoutMs: 15000 });
  const job = await pushJob(r, ns, 'Slow', { ms: 3000 });
  await waitStatus(r, ns, job.id, 2, { worker: sup });
  let busyPid;
  for (const id of await r.smembers(`${ns}:workers`)) if (await r.exists(`${ns}:worker:${id}`)) busyPid = Number(id.split(':')[1]);
  assert.ok(busyPid, 'found the worker running the job');
  // kill the idle worker; kill its replacement as soon as it appears (it dies young, so the
  // supervisor schedules the next restart 1 s later) — then QUIT while that restart is pending
  const idle = childPids(sup.pid).filter((p) => p !== busyPid);
  assert.equal(idle.length, 1);
  process.kill(idle[0], 'SIGKILL');
  const young = await waitFor(() => childPids(sup.pid).find((p) => p !== busyPid && p !== idle[0]), { what: 'replacement worker', timeoutMs: 5000, intervalMs: 5 });
  try {
    process.kill(young, 'SIGKILL');
  } catch (e) {
    if (e.code !== 'ESRCH') throw e; // gone already (reaped between the look and the kill): the restart is pending all the same
    t.diagnostic(`replacement ${young} was gone before the kill`);
  }
  await waitFor(() => !childPids(sup.pid).includes(young), { what: 'young replacement reaped', intervalMs: 5 });
  sup.signal('SIGQUIT');
  const exit = await sup.waitExit({ timeoutMs: 10000 })
    .catch(async (e) => { e.message += `\nworkers now: ${childPids(sup.pid)} registered: ${await r.smembers(`${ns}:workers`)}`; throw e; });
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.equal((await statusOf(r, ns, job.id)).status, 4, 'the running job finished (QUIT is graceful)');
  const left = (await r.smembers(`${ns}:workers`)).filter((id) => pidAlive(Number(id.split(':')[1])));
  assert.deepEqual(left, [], 'no live worker registered after the supervisor exited');
});

test('--blocking, two queues: when the worker and its host are SIGKILLed, recovery fails the job it was running but requeues the one it had only parked', async (t) => {
  const { srv, ns, r } = await setup(t);
  const w = startWorker({ srv, ns, queue: 'q1,q2', args: ['--blocking', '--interval=5'] });
  await waitRegistered(r, ns, w.id, { worker: w });
  const { a, b } = await pushWhileParkedOnTwoQueues(r, ns, w, 20000);
  const parked = await r.lrange(`${ns}:worker:${w.id}:inflight:q2`, 0, -1);
  assert.deepEqual(parked, [b.raw], 'b was moved into the in-flight list by the losing BLMOVE, never started');
  assert.equal((await statusOf(r, ns, b.id)).status, 1, 'b never started');
  const pids = [w.pid, ...childPids(w.pid)];
  killGroup(w.pid, 'SIGKILL');
  await w.exited;
  await waitFor(() => pids.every((p) => !pidAlive(p)), { what: `processes ${pids} gone`, timeoutMs: 5000 });

  const w2 = startWorker({ srv, ns, queue: 'q1,q2' });
  t.after(() => w2.stop({ graceMs: 2000 }));
  await waitRegistered(r, ns, w2.id, { worker: w2 });
  await waitFor(async () => (await inflightLists(r, ns)).every((k) => k.includes(w2.id)), { what: 'dead worker recovered' });
  const recs = await failures(r, ns);
  assert.deepEqual(recs.map((f) => f.payload.id), [a.id], 'only the job that was running is failed');
  await waitStatus(r, ns, b.id, 4, { worker: w2, timeoutMs: 5000 }); // b requeued and run
});
