'use strict';
// Issue 13: a SIGKILL between a failed attempt and its re-scheduling loses nothing. The job's
// first attempt pauses Redis writes (CLIENT PAUSE WRITE) before it throws, so the worker's
// retry-job script waits in Redis; the test kills in that window, then unpauses.
//   - the job process alone: its host settles the death under the job's policy (told at class
//     load): attempt 2 runs, COMPLETE, nothing failed; attempt 1 ran once;
//   - the whole worker (process group): the next worker's recovery fails the job it held
//     (PruneDeadWorkerDirtyExit) with its raw payload; attempt 1 ran once, nothing ran twice.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startRedis, uniqueNamespace } = require('./helpers/redis');
const { startWorker, tempDir, killGroup, pidAlive } = require('./helpers/worker');
const { waitFor } = require('./helpers/wait');
const { Resque } = require('..');

const lines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

async function setup(t) {
  const srv = await startRedis();
  t.after(() => srv.stop());
  const r = srv.client();
  t.after(() => r.disconnect());
  const ns = uniqueNamespace('rk');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  const file = path.join(tempDir(), 'runs.txt');
  return { srv, r, ns, resque, file, k: (key) => `${ns}:${key}` };
}

/** Wait for attempt 1's line (Redis writes paused from then on); returns the job process's pid. */
async function firstAttemptPaused(file) {
  const line = await waitFor(() => lines(file)[0], { what: 'attempt 1 ran and paused Redis', timeoutMs: 10000 });
  assert.match(line, /^attempt 1 \d+$/);
  return Number(line.split(' ')[2]);
}

test('the job process SIGKILLed between a failure and its re-scheduling: the host retries it, attempt 2 runs once, COMPLETE', async (t) => {
  const { srv, r, ns, resque, file, k } = await setup(t);
  const id = await resque.enqueue('default', 'Retry\\PausesRedis', { file, redis: srv.url, pauseMs: 20000 }, true);
  const w = startWorker({ srv, ns });
  t.after(() => w.stop());
  const jobPid = await firstAttemptPaused(file);
  // The retry-job script is waiting in Redis: the failure is not written yet.
  assert.equal(await r.llen(k('queue:default')), 0);
  process.kill(jobPid, 'SIGKILL');
  await waitFor(() => !pidAlive(jobPid), { what: 'the job process gone' });
  await r.call('CLIENT', 'UNPAUSE');
  await waitFor(async () => JSON.parse(await r.get(k(`job:${id}:status`))).status === 4, { what: 'COMPLETE', timeoutMs: 15000 });
  assert.deepEqual(lines(file).map((l) => l.split(' ').slice(0, 2).join(' ')), ['attempt 1', 'attempt 2'], 'each attempt ran once');
  assert.equal(await r.llen(k('failed')), 0, 'nothing failed');
  assert.equal(await r.get(k('resque-ts:stat:retried')), '1', 'retried once (by the host)');
  assert.equal(await r.get(k('stat:processed')), '2');
  assert.match(w.output, /Retrying .*DirtyExitError: .*SIGKILL; attempt 2 in 0 s/);
});

test('the whole worker SIGKILLed between a failure and its re-scheduling: recovery fails the job with its raw payload, nothing ran twice', async (t) => {
  const { srv, r, ns, resque, file, k } = await setup(t);
  const id = await resque.enqueue('default', 'Retry\\PausesRedis', { file, redis: srv.url, pauseMs: 20000 }, true);
  const [raw] = await r.lrange(k('queue:default'), 0, -1);
  const w = startWorker({ srv, ns, args: ['--heartbeat-interval=1', '--prune-after=3'] });
  t.after(() => w.stop());
  await firstAttemptPaused(file);
  killGroup(w.pid, 'SIGKILL');
  await w.waitExit({ timeoutMs: 5000 });
  await waitFor(() => w.jobPid() === '?' || !pidAlive(w.jobPid()), { what: 'the job process gone' });
  await r.call('CLIENT', 'UNPAUSE');
  // The job is still in the dead worker's in-flight list: nothing was lost.
  const inflight = (await r.keys(k('worker:*:inflight:default')));
  assert.equal(inflight.length, 1);
  assert.deepEqual(await r.lrange(inflight[0], 0, -1), [raw]);
  const w2 = startWorker({ srv, ns, args: ['--heartbeat-interval=1', '--prune-after=3'] });
  t.after(() => w2.stop());
  const rec = await waitFor(async () => (await r.lrange(k('failed'), 0, -1))[0], { what: 'the failure record', timeoutMs: 15000 });
  const failure = JSON.parse(rec);
  assert.equal(failure.exception, 'PruneDeadWorkerDirtyExit');
  assert.ok(rec.includes(`"payload":${raw}`), 'the record holds the raw payload, byte for byte');
  assert.equal(JSON.parse(await r.get(k(`job:${id}:status`))).status, 3);
  await new Promise((res) => setTimeout(res, 1000));
  assert.deepEqual(lines(file).map((l) => l.split(' ').slice(0, 2).join(' ')), ['attempt 1'], 'attempt 1 ran once, nothing ran again');
  assert.equal(await r.llen(k('queue:default')), 0);
  assert.equal(await r.llen(k('failed')), 1);
});
