'use strict';
// Issue 11 point 14: a second, independent test for guarantees that had one.
//   * per-worker processed counts for batched jobs: stat:processed:WID is exactly the number of
//     jobs that worker ran (read from each job's own result), for two workers taking batches;
//   * dequeue's rule that every given field must match (a partial match is left alone);
//   * TERM → KILL escalation in the default engine: the job process gets TERM first at the time
//     limit (the job sees it), and KILL one --kill-grace later;
//   * the supervisor forwards QUIT as QUIT: the worker logs QUIT (not TERM or INT) and its running job completes.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { startWorker, tempDir, testSetup, HOST, pidAlive } = require('./helpers/worker');
const { pushJob, waitStatus, failures } = require('./helpers/chaos');
const { waitFor } = require('./helpers/wait');
const { Resque } = require('..');

const redis = useRedis();

const setup = (t, name) => testSetup(t, redis, name);

test('batched plain successes: each worker\'s stat:processed:WID is the number of jobs it ran', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'g2b');
  const N = 600;
  const file = path.join(tempDir(), 'pids.txt');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  const w = startWorker({ srv, ns, args: ['--count=2'] });
  t.after(() => w.stop());
  await waitFor(async () => (await r.scard(k('workers'))) === 2, { what: 'two workers', timeoutMs: 10000 });
  // Untracked: plain successes, counted per batch by pop_done (a tracked job is settled on its own).
  // 1 ms each, so that both workers take batches while the other works.
  await resque.enqueueBulk('default', Array.from({ length: N }, () => ({ class: 'RecordsPid', args: { file, ms: 1 } })));
  await waitFor(async () => (await r.get(k('stat:processed'))) === String(N), { what: `${N} processed`, timeoutMs: 30000 });
  const ran = new Map(); // pid → jobs it ran, as the jobs themselves wrote
  for (const pid of fs.readFileSync(file, 'utf8').trim().split('\n')) ran.set(pid, (ran.get(pid) ?? 0) + 1);
  assert.equal([...ran.values()].reduce((a, b) => a + b, 0), N, 'each job ran once');
  assert.equal(ran.size, 2, `two job processes shared the jobs: ${[...ran]}`);
  for (const [pid, n] of ran) {
    assert.ok(n > 1, 'each took more than one');
    assert.equal(await r.get(k(`stat:processed:${HOST}:${pid}:default`)), String(n), `worker ${pid} counted exactly the ${n} jobs it ran`);
  }
  assert.equal(await r.get(k('stat:failed')), null);
});

test('dequeue with class and args: an entry goes only when every field of its args matches (php-resque\'s rule)', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'g2d');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  await resque.enqueue('q', 'Mail', { to: 'a', lang: 'en' });
  await resque.enqueue('q', 'Mail', { to: 'a', lang: 'fr' });
  await resque.enqueue('q', 'Mail', { to: 'b', lang: 'en' });
  await resque.enqueue('q', 'Other', { to: 'a', lang: 'en' });
  const before = await r.lrange(k('queue:q'), 0, -1);
  // A filter naming only some of an entry's fields leaves every entry alone.
  assert.equal(await resque.dequeue('q', [{ class: 'Mail', args: { to: 'a' } }]), 0, 'to alone matches no entry: lang is not matched');
  assert.deepEqual(await r.lrange(k('queue:q'), 0, -1), before);
  // Every field matches in one entry of that class: that one goes, the rest stay byte for byte, in order.
  assert.equal(await resque.dequeue('q', [{ class: 'Mail', args: { to: 'a', lang: 'en' } }]), 1);
  assert.deepEqual(await r.lrange(k('queue:q'), 0, -1), [before[1], before[2], before[3]], 'the partial matches and the other class stay');
});

test('default engine: a job past its time limit gets TERM first (it sees it), then KILL one --kill-grace later', async (t) => {
  const { srv, ns, r } = await setup(t, 'g2t');
  const file = path.join(tempDir(), 'signals.txt');
  const w = startWorker({ srv, ns, args: ['--timeout=1', '--kill-grace=1'] });
  t.after(() => w.stop());
  const job = await pushJob(r, ns, 'TrapsTerm', { file });
  await waitStatus(r, ns, job.id, 3, { worker: w, timeoutMs: 10000 });
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const pid = Number(lines[0].split(' ')[1]);
  assert.deepEqual(lines, [`start ${pid}`, `term ${pid}`], 'the job process saw TERM once, after the start, and nothing ended it but KILL');
  assert.equal(pidAlive(pid), false, 'the job process is gone');
  const [f] = await failures(r, ns);
  assert.equal(f.exception, 'JobTimeoutError');
  assert.match(f.error, /time limit of 1 s/);
});

test('the supervisor forwards QUIT as QUIT: the worker logs QUIT and its running job completes', async (t) => {
  const { srv, ns, r } = await setup(t, 'g2q');
  const dir = tempDir();
  const file = path.join(dir, 'runs.txt');
  const w = startWorker({ srv, ns, args: ['--count=2', '--in-process'] });
  t.after(() => w.stop());
  await waitFor(async () => (await r.scard(`${ns}:workers`)) === 2, { what: 'two workers', timeoutMs: 10000 });
  const job = await pushJob(r, ns, 'SleepsThenRecords', { ms: 1500, file });
  await waitStatus(r, ns, job.id, 2, { worker: w });
  const from = w.mark();
  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, w.output);
  const after = w.output.slice(from);
  assert.equal((after.match(/QUIT received; shutting down after the current job/g) ?? []).length, 2, `each worker got QUIT:\n${after}`);
  assert.doesNotMatch(after, /(TERM|INT) received/, 'not TERM or INT');
  assert.equal((await waitStatus(r, ns, job.id, 4, { worker: w })).status, 4, 'the running job completed');
  assert.equal(fs.readFileSync(file, 'utf8'), `${job.id}\n`);
});
