'use strict';
// Batches (src/worker/worker.ts, src/redis/scripts/job-steps.ts, src/store/batch-cursor.ts):
// a loop takes several jobs per round trip and writes plain successes together, yet
//   * every job runs once, in queue order, and the counters are exact;
//   * a tracked job is never batched: working-on names it and its status moves as it runs;
//   * a process killed mid-batch loses nothing and repeats nothing: the jobs it finished are
//     counted once, the one it was running fails, the ones it had not started run later;
//   * a QUIT mid-batch gives the unstarted jobs back to the head of the queue, in order.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, tempDir, testSetup } = require('./helpers/worker');
const { pushJob, failures, inflightLists, scan, int, waitStatus } = require('./helpers/chaos');

const redis = useRedis();

/** Round trips the workers made (every batch step is one EVALSHA). */
async function evalshaCalls(r) {
  const m = /cmdstat_evalsha:calls=(\d+)/.exec(await r.info('commandstats'));
  return m ? Number(m[1]) : 0;
}

function linesOf(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Push `n` untracked WritesFile jobs (each appends its id to `file`); resolves their ids. */
async function pushWriters(r, ns, file, n) {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push((await pushJob(r, ns, 'WritesFile', { file }, { track: false })).id);
  return ids;
}

/** testSetup plus a temporary `done.txt` that WritesFile jobs append their ids to. */
async function setupWithFile(t, name) {
  const ctx = await testSetup(t, redis, name);
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { ...ctx, file: path.join(dir, 'done.txt') };
}

/** 30 writers, a job that SIGKILLs its own process, 30 writers: the killer lands inside a batch (1, 2, 4, 8, 16). */
async function pushAroundKiller(r, ns, file) {
  const before = await pushWriters(r, ns, file, 30);
  const killer = await pushJob(r, ns, 'KillsItself', {}, { track: false });
  const after = await pushWriters(r, ns, file, 30);
  return { before, killer, after };
}

/** Every writer ran once, in order; the killer is the one failure (`exception`); counters exact; nothing held. */
async function assertKillerAccounting(r, ns, file, { before, killer, after }, exception) {
  assert.deepEqual(linesOf(file), [...before, ...after]);
  const failed = await failures(r, ns);
  assert.equal(failed.length, 1, JSON.stringify(failed));
  assert.equal(failed[0].exception, exception);
  assert.equal(failed[0].payload.id, killer.id);
  assert.equal(await int(r, `${ns}:stat:processed`), 61);
  assert.equal(await int(r, `${ns}:stat:failed`), 1);
  await assertNothingHeld(r, ns);
}

/** Nothing held: no in-flight list, no working-on, no job:ID:pid key. */
async function assertNothingHeld(r, ns) {
  assert.deepEqual(await inflightLists(r, ns), []);
  assert.deepEqual(await scan(r, `${ns}:job:*:pid`), []);
  assert.deepEqual((await scan(r, `${ns}:worker:*`)).filter((k) => !/:(started|usage)$/.test(k)), []);
}

for (const engine of [[], ['--in-process']]) {
  const name = engine.length ? '--in-process' : 'default engine';
  test(`${name}: 400 jobs drained in batches run once each, in queue order, with exact counters and far fewer round trips`, async (t) => {
    const { srv, ns, r, file } = await setupWithFile(t, 'bd');
    const ids = await pushWriters(r, ns, file, 400);
    await r.config('RESETSTAT');
    const w = startWorker({ srv, ns, args: ['--once', ...engine] });
    assert.equal((await w.waitExit({ timeoutMs: 30000 })).code, 0, w.output);
    const trips = await evalshaCalls(r);
    assert.deepEqual(linesOf(file), ids);
    assert.equal(await int(r, `${ns}:stat:processed`), 400);
    assert.equal(await int(r, `${ns}:stat:failed`), 0);
    assert.equal(await r.llen(`${ns}:queue:default`), 0);
    await assertNothingHeld(r, ns);
    // One job at a time costs a round trip each; batches of up to 64 need a few dozen at most.
    assert.ok(trips < 40, `${trips} round trips for 400 jobs`);
  });
}

test('--batch=1 takes one job per round trip (the batch size is a real knob)', async (t) => {
  const { srv, ns, r, file } = await setupWithFile(t, 'b1');
  const ids = await pushWriters(r, ns, file, 50);
  await r.config('RESETSTAT');
  const w = startWorker({ srv, ns, args: ['--once', '--in-process', '--batch=1'] });
  assert.equal((await w.waitExit({ timeoutMs: 30000 })).code, 0, w.output);
  assert.deepEqual(linesOf(file), ids);
  assert.ok((await evalshaCalls(r)) >= 50);
});

test('a tracked job among untracked ones runs alone: working-on names it while it runs, its status goes RUNNING then COMPLETE', async (t) => {
  const { srv, ns, r, file } = await setupWithFile(t, 'bt');
  const before = await pushWriters(r, ns, file, 40);
  const slow = await pushJob(r, ns, 'Slow', { ms: 1500 });
  const after = await pushWriters(r, ns, file, 40);
  const w = startWorker({ srv, ns, args: ['--in-process'] });
  t.after(() => w.stop({ graceMs: 3000 }));
  await waitRegistered(r, ns, w.id, { worker: w });
  await waitStatus(r, ns, slow.id, 2, { worker: w });
  // Everything before it is settled and counted; working-on holds exactly its bytes.
  assert.deepEqual(linesOf(file), before);
  assert.equal(await int(r, `${ns}:stat:processed`), 40);
  const working = await r.get(`${ns}:worker:${w.id}`);
  assert.equal(working.slice(working.indexOf('"payload":') + 10, -1), slow.raw);
  const status = await waitStatus(r, ns, slow.id, 4, { worker: w });
  assert.deepEqual(status.result, { sleptMs: 1500 });
  await waitFor(async () => (await int(r, `${ns}:stat:processed`)) === 81, { what: 'all 81 processed' });
  assert.deepEqual(linesOf(file), [...before, ...after]);
});

test('default engine: a job process killed mid-batch — finished jobs counted once, the killer fails (DirtyExitError), the rest run once', async (t) => {
  const { srv, ns, r, file } = await setupWithFile(t, 'bk');
  const jobs = await pushAroundKiller(r, ns, file);
  const w = startWorker({ srv, ns, args: ['--once'] });
  assert.equal((await w.waitExit({ timeoutMs: 30000 })).code, 0, w.output);
  await assertKillerAccounting(r, ns, file, jobs, 'DirtyExitError');
});

test('--in-process worker killed by its job mid-batch: the next worker counts the finished jobs once, fails the killer, runs the rest', async (t) => {
  const { srv, ns, r, file } = await setupWithFile(t, 'bi');
  const jobs = await pushAroundKiller(r, ns, file);
  const first = startWorker({ srv, ns, args: ['--in-process'] });
  const exit = await first.waitExit({ timeoutMs: 30000 });
  assert.equal(exit.signal, 'SIGKILL', first.output);
  assert.deepEqual(linesOf(file), jobs.before);
  // The dead worker still holds its batch: the finished part is not counted yet.
  assert.ok((await inflightLists(r, ns)).length > 0);
  const second = startWorker({ srv, ns, args: ['--in-process', '--once'] });
  assert.equal((await second.waitExit({ timeoutMs: 30000 })).code, 0, second.output);
  await assertKillerAccounting(r, ns, file, jobs, 'PruneDeadWorkerDirtyExit');
});

test('QUIT mid-batch: the finished jobs are counted, the ones not started go back to the head of the queue in order', async (t) => {
  const { srv, ns, r, file } = await setupWithFile(t, 'bq');
  const before = await pushWriters(r, ns, file, 5);
  // Untracked: it is batched with the fast ones around it.
  const slow = await pushJob(r, ns, 'Slow', { ms: 1000 }, { track: false });
  await pushWriters(r, ns, file, 20);
  const rest = (await r.lrange(`${ns}:queue:default`, 6, -1));
  const w = startWorker({ srv, ns, args: ['--in-process'] });
  await waitRegistered(r, ns, w.id, { worker: w });
  await waitFor(async () => (await r.get(`${ns}:job:${slow.id}:pid`)) !== null && linesOf(file).length === 5, { what: 'the slow job running' });
  w.signal('SIGQUIT');
  assert.equal((await w.waitExit({ timeoutMs: 15000 })).code, 0, w.output);
  assert.deepEqual(linesOf(file), before);
  assert.equal(await int(r, `${ns}:stat:processed`), 6);
  assert.deepEqual(await r.lrange(`${ns}:queue:default`, 0, -1), rest);
  await assertNothingHeld(r, ns);
});

test('a batch older than 10 ms is written before its next job: while a later slow job runs, everything up to the earlier slow one is counted', async (t) => {
  const { srv, ns, r, file } = await setupWithFile(t, 'bm');
  // 20 fast jobs grow the batch; the first slow job sits inside a batch with fast jobs after it.
  const first = await pushWriters(r, ns, file, 20);
  await pushJob(r, ns, 'Slow', { ms: 300 }, { track: false });
  const between = await pushWriters(r, ns, file, 4);
  await pushJob(r, ns, 'Slow', { ms: 1500 }, { track: false });
  await pushWriters(r, ns, file, 10);
  const w = startWorker({ srv, ns, args: ['--in-process'] });
  t.after(() => w.stop({ graceMs: 3000 }));
  await waitFor(() => linesOf(file).length === 24, { what: 'the 24 fast jobs before the second slow one', timeoutMs: 15000 });
  assert.deepEqual(linesOf(file), [...first, ...between]);
  // The second slow job is running now. Without the time bound, the batch holding the first slow
  // job would still be unwritten (it ends after the second); with it, 20 + 1 are counted.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(linesOf(file).length, 24, 'still inside the second slow job');
  assert.ok(await int(r, `${ns}:stat:processed`) >= 21, `processed = ${await int(r, `${ns}:stat:processed`)}`);
  await waitFor(async () => (await int(r, `${ns}:stat:processed`)) === 36, { what: 'all 36 processed', timeoutMs: 15000 });
});
