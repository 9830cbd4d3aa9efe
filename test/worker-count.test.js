'use strict';
// COUNT > 1 (php-resque 2.x bin/resque, WIRE.md §14.1): a supervisor writes PIDFILE with its own
// pid, runs N worker processes, replaces one that dies ("*** A child worker died: PID"),
// forwards QUIT and exits 0 once all are gone. Also COUNT / QUEUE from the environment, and a
// flag beating its variable.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, spawnResque, pidAlive, childPids, tempDir, HOST, JOBS, testSetup } = require('./helpers/worker');

const redis = useRedis();

const setup = (t, name = 'wc') => testSetup(t, redis, name);

const pidOf = (wid) => Number(wid.split(':')[1]);

/** Registered ids, once exactly `n` are registered and each one's pid is alive. */
async function waitLiveWorkers(r, k, n, w, what) {
  try {
    return await waitFor(async () => {
      const ids = await r.smembers(k('workers'));
      return ids.length === n && ids.every((id) => pidAlive(pidOf(id))) ? ids.sort() : null;
    }, { timeoutMs: 15000, what });
  } catch (e) {
    e.message += `\n--- workers: ${JSON.stringify(await r.smembers(k('workers')))}\n--- output ---\n${w.output}`;
    throw e;
  }
}

test('--count=3 --pidfile: supervisor pid in the file, 3 workers, a killed one is replaced, QUIT stops all', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const pidfile = path.join(tempDir(), 'resque.pid');
  const sup = startWorker({ srv, ns, queue: 'default', args: ['--count=3', `--pidfile=${pidfile}`] });
  t.after(() => sup.stop());

  const filePid = await waitFor(() => {
    try {
      const text = fs.readFileSync(pidfile, 'utf8').trim();
      return text ? Number(text) : null;
    } catch {
      return null;
    }
  }, { what: 'pidfile written' });
  assert.equal(filePid, sup.pid, 'pidfile holds the supervisor pid');

  const ids = await waitLiveWorkers(r, k, 3, sup, '3 live workers');
  const pids = ids.map(pidOf);
  assert.equal(new Set(pids).size, 3, 'three distinct worker processes');
  for (const [i, id] of ids.entries()) {
    assert.equal(id, `${HOST}:${pids[i]}:default`);
    assert.notEqual(pids[i], sup.pid, 'workers are not the supervisor');
  }

  // kill -9 one worker (and note its job child, which must go too)
  const victim = pids[0];
  const victimChildren = childPids(victim);
  const from = sup.mark();
  process.kill(victim, 'SIGKILL');
  await sup.waitForOutput(`*** A child worker died: ${victim}`, { from });
  const after = await waitLiveWorkers(r, k, 3, sup, 'back to 3 live workers, the dead one pruned');
  assert.ok(!after.some((id) => pidOf(id) === victim), 'the dead worker is no longer registered');
  assert.equal(after.filter((id) => pids.includes(pidOf(id))).length, 2, 'the two others are untouched');
  const replacement = after.map(pidOf).find((p) => !pids.includes(p));
  assert.ok(replacement && replacement !== sup.pid, 'a new worker process registered');
  await waitFor(() => victimChildren.every((p) => !pidAlive(p)), { timeoutMs: 5000, what: 'the dead worker\'s child exited' });

  // QUIT the pid from the pidfile: everybody leaves
  const allPids = [sup.pid, ...after.map(pidOf)];
  const grandchildren = after.map(pidOf).flatMap(childPids);
  process.kill(filePid, 'SIGQUIT');
  assert.deepEqual(await sup.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, sup.output);
  assert.deepEqual(await r.smembers(k('workers')), [], `${ns}:workers empty`);
  await waitFor(() => [...allPids, ...grandchildren].every((p) => !pidAlive(p)), {
    timeoutMs: 5000, what: `no process left of ${[...allPids, ...grandchildren]}`,
  });
  for (const id of after) assert.equal(await r.exists(k(`worker:${id}:started`)), 0);
});

test('COUNT=2 and QUEUE=default from the environment, no flags for them', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const sup = spawnResque(['start', `--redis=${srv.url}`, `--prefix=${ns}`, `--jobs=${JOBS}`, '--interval=0.2'], {
    env: { COUNT: '2', QUEUE: 'default' },
  });
  t.after(() => sup.stop());
  const ids = await waitLiveWorkers(r, k, 2, sup, '2 workers from COUNT=2');
  for (const id of ids) assert.match(id, /:\d+:default$/);
  assert.ok(!ids.some((id) => pidOf(id) === sup.pid), 'supervised: the started process runs no worker itself');
  sup.signal('SIGQUIT');
  assert.deepEqual(await sup.waitExit(), { code: 0, signal: null });
  assert.equal(await r.scard(k('workers')), 0);
});

test('a flag beats its variable: --count=1 over COUNT=3, --queue=high over QUEUE=default', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const w = spawnResque(['start', `--redis=${srv.url}`, `--prefix=${ns}`, `--jobs=${JOBS}`, '--interval=0.2', '--count=1', '--queue=high'], {
    env: { COUNT: '3', QUEUE: 'default' },
  });
  t.after(() => w.stop());
  const ids = await waitLiveWorkers(r, k, 1, w, 'exactly one worker');
  assert.deepEqual(ids, [`${HOST}:${childPids(w.pid)[0]}:high`], 'one worker, the job process of the started process, on queue "high"');
  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null });
});

test('supervisor killed with SIGKILL: its workers notice, unregister and exit (php-resque children exit when the parent disappears)', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const sup = startWorker({ srv, ns, queue: 'default', args: ['--count=2'] });
  t.after(() => sup.stop());
  const ids = await waitLiveWorkers(r, k, 2, sup, '2 live workers');
  const pids = ids.map(pidOf);
  const grandchildren = pids.flatMap(childPids);
  process.kill(sup.pid, 'SIGKILL');
  await sup.exited;
  await waitFor(() => [...pids, ...grandchildren].every((p) => !pidAlive(p)), { timeoutMs: 10000, what: `orphaned workers ${pids} exit` });
  assert.deepEqual(await r.smembers(k('workers')), [], 'they unregistered on the way out');
});

// Issue 11 point 13: a PIDFILE names one live instance. A second start with it refuses (exit 1,
// naming the pid) instead of overwriting it (and deleting it at exit); a stale one is replaced
// with a notice.
test('PIDFILE of a live instance: a second start refuses with exit 1 naming the pid, and leaves the file alone', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'wcpid');
  const pidfile = path.join(tempDir(), 'resque.pid');
  const first = startWorker({ srv, ns, queue: 'default', args: [`--pidfile=${pidfile}`] });
  t.after(() => first.stop());
  await waitLiveWorkers(r, k, 1, first, 'the first instance');
  assert.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(first.pid));
  const second = startWorker({ srv, ns, queue: 'default', args: [`--pidfile=${pidfile}`] });
  t.after(() => second.stop());
  const exit = await second.waitExit({ timeoutMs: 10000 });
  assert.deepEqual(exit, { code: 1, signal: null }, second.output);
  assert.match(second.stderr + second.output, new RegExp(`${pidfile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*${first.pid}|${first.pid}.*running`));
  assert.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(first.pid), 'the live instance keeps its pidfile');
  assert.equal(await r.scard(k('workers')), 1, 'the second one registered nothing');
  first.signal('SIGQUIT');
  await first.waitExit();
  assert.equal(fs.existsSync(pidfile), false, 'removed by its owner at exit');
});

test('a stale PIDFILE (its pid is gone) is replaced, with a notice', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'wcstale');
  const pidfile = path.join(tempDir(), 'resque.pid');
  fs.writeFileSync(pidfile, '2147483646\n'); // no such process
  const w = startWorker({ srv, ns, queue: 'default', args: [`--pidfile=${pidfile}`] });
  t.after(() => w.stop());
  await waitLiveWorkers(r, k, 1, w, 'started over a stale pidfile');
  assert.equal(fs.readFileSync(pidfile, 'utf8').trim(), String(w.pid));
  assert.match(w.output + w.stderr, /stale/i);
  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null });
});

// Issue 11 point 5: an exit a worker was not asked for is a crash, whatever its code. With
// --in-process the job runs in the worker process: a job calling process.exit(0) ended the worker
// with 0, and the supervisor took that for a drained --once worker (no restart, no log; with two
// such jobs it exited 0 leaving jobs in flight and registrations behind).
test('--in-process --count=2: jobs calling process.exit(0) are crashes — failed, workers restarted, the supervisor stays', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'wcexit');
  const sup = startWorker({ srv, ns, queue: 'default', args: ['--count=2', '--in-process'] });
  t.after(() => sup.stop());
  await waitLiveWorkers(r, k, 2, sup, '2 in-process workers');
  const from = sup.mark();
  const { pushJob, failures, waitStatus } = require('./helpers/chaos');
  const exits = [await pushJob(r, ns, 'ExitNonZero', { code: 0 }), await pushJob(r, ns, 'ExitNonZero', { code: 0 })];
  const noops = [];
  for (let i = 0; i < 3; i++) noops.push(await pushJob(r, ns, 'Noop', { i }));
  await sup.waitForOutput('*** A child worker died', { from, timeoutMs: 10000 });
  for (const j of exits) await waitStatus(r, ns, j.id, 3, { worker: sup, timeoutMs: 25000 });
  for (const j of noops) await waitStatus(r, ns, j.id, 4, { worker: sup, timeoutMs: 10000 });
  assert.equal(sup.alive, true, `the supervisor keeps running\n${sup.output}`);
  const recs = (await failures(r, ns)).filter((f) => exits.some((j) => j.id === f.payload.id));
  assert.equal(recs.length, 2, 'each exiting job failed once');
  await waitLiveWorkers(r, k, 2, sup, 'two live workers again');
  sup.signal('SIGQUIT');
  assert.deepEqual(await sup.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null });
  assert.equal(await r.scard(k('workers')), 0);
});
