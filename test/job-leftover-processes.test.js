'use strict';
// Processes a job started and left running (issue 11.9). Before, they were reparented to PID 1
// and kept running after the job, after QUIT and after TERM. Now a job process runs in a process
// group of its own, and what is left in it is stopped (TERM, then KILL after --kill-grace) when
// the job process is replaced or stopped; --keep-job-children leaves them (a job that daemonises
// on purpose can also start its process in a group of its own: detached).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, testSetup, tempDir, pidAlive } = require('./helpers/worker');
const { pushJob, statusOf } = require('./helpers/chaos');

const redis = useRedis();

async function leaveOne(t, args) {
  const { srv, ns, r } = await testSetup(t, redis, 'lo');
  const w = startWorker({ srv, ns, args });
  t.after(() => w.stop({ graceMs: 2000 }));
  await waitRegistered(r, ns, w.id, { worker: w });
  const file = path.join(tempDir('resque-left-'), 'pid');
  const { id } = await pushJob(r, ns, 'SpawnsChild', { file });
  await waitFor(async () => (await statusOf(r, ns, id))?.status === 4, { what: 'the job completed' });
  const pid = Number(fs.readFileSync(file, 'utf8'));
  t.after(() => { try { process.kill(pid, 'SIGKILL'); } catch {} });
  assert.ok(pidAlive(pid), 'the job left a process running');
  return { w, pid, r, ns };
}

for (const sig of ['SIGQUIT', 'SIGTERM']) {
  test(`${sig}: the process a job left running is stopped with its job process`, { timeout: 30000 }, async (t) => {
    const { w, pid } = await leaveOne(t, []);
    w.signal(sig);
    const exit = await w.waitExit({ timeoutMs: 15000 });
    assert.equal(exit.code, 0, w.output);
    await waitFor(() => !pidAlive(pid), { timeoutMs: 3000, what: `pid ${pid} stopped` });
    assert.match(w.output, /Stopped the processes jobs of job process \d+ left running/);
  });
}

test('a job process replaced after its --jobs-per-child share takes what its jobs left with it', { timeout: 30000 }, async (t) => {
  const { w, pid, r, ns } = await leaveOne(t, ['--jobs-per-child=2']);
  await pushJob(r, ns, 'Noop', {});
  await waitFor(() => !pidAlive(pid), { timeoutMs: 8000, what: `pid ${pid} stopped when its job process was replaced` })
    .catch((e) => { e.message += `\n${w.output}`; throw e; });
});

test('strict mode (--jobs-per-child=1): each job\'s child takes what the job left with it', { timeout: 30000 }, async (t) => {
  const { w, pid } = await leaveOne(t, ['--jobs-per-child=1']);
  await waitFor(() => !pidAlive(pid), { timeoutMs: 8000, what: `pid ${pid} stopped after its child exited` })
    .catch((e) => { e.message += `\n${w.output}`; throw e; });
});

test('--keep-job-children leaves them running', { timeout: 30000 }, async (t) => {
  const { w, pid } = await leaveOne(t, ['--keep-job-children']);
  w.signal('SIGQUIT');
  await w.waitExit({ timeoutMs: 15000 });
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(pidAlive(pid), 'still running');
});
