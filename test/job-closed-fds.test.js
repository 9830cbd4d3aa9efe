'use strict';
// A job that closes fd 0, 1 or 2 (issue 11.8). Before, a later socket (the job process's own Redis
// connection among them) could get the freed number, and log lines written to fd 1 went into it:
// the job process crashed. Now closing them through fs is a no-op, reported once with the job
// that tried; later jobs run and their log lines still reach the worker's stdout.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, testSetup } = require('./helpers/worker');
const { pushJob, statusOf } = require('./helpers/chaos');

const redis = useRedis();

for (const [engine, args] of [['default engine', []], ['--in-process', ['--in-process']]]) {
  for (const fd of [0, 1, 2]) {
    test(`${engine}: a job closing fd ${fd} leaves it open; later jobs run and log`, { timeout: 30000 }, async (t) => {
      const { srv, ns, r, k } = await testSetup(t, redis, 'fd');
      const w = startWorker({ srv, ns, args });
      t.after(() => w.stop({ graceMs: 3000 }));
      await waitRegistered(r, ns, w.id, { worker: w });
      const { id: closer } = await pushJob(r, ns, 'ClosesStdio', { fd, port: srv.port });
      const later = [];
      for (let i = 0; i < 5; i++) later.push((await pushJob(r, ns, 'Noop', {})).id);
      await waitFor(async () => {
        for (const id of [closer, ...later]) if ((await statusOf(r, ns, id))?.status !== 4) return null;
        return true;
      }, { timeoutMs: 15000, what: 'every job completed' }).catch((e) => { e.message += `\n${w.output}`; throw e; });
      assert.equal(await r.llen(k('failed')), 0, w.output);
      assert.equal(Number(await r.get(k('stat:processed'))), 6);
      // the later jobs' lines reached stdout (after the close), not the socket that took the number
      await waitFor(() => later.every((id) => w.output.includes(id)), { timeoutMs: 5000, what: 'the later jobs logged' }).catch((e) => { e.message += `\n${w.output}`; throw e; });
      const name = ['stdin', 'stdout', 'stderr'][fd];
      assert.match(w.output, new RegExp(`Job ClosesStdio ${closer} \\(queue default\\) tried to close fd ${fd} \\(${name}\\); it stays open`));
      assert.doesNotMatch(w.output, /A child worker died|DirtyExit/);
    });
  }
}
