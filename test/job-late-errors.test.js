'use strict';
// A job that leaves a rejection (or a timer's exception) firing after it ended (issue 11.7).
// Before: Node's default ended the job process during the next job, which was failed
// (DirtyExitError, innocent) while the culprit was recorded Done. Now the error is logged with
// the job that started it, no job fails for it, and in the default engine the job process
// finishes its current job and is replaced.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, testSetup } = require('./helpers/worker');
const { pushJob, statusOf } = require('./helpers/chaos');

const redis = useRedis();

for (const [engine, args] of [['default engine', []], ['--in-process', ['--in-process']]]) {
  for (const kind of ['rejection', 'exception']) {
    test(`${engine}: an unhandled ${kind} firing after its job ended fails no job and names the job that left it`, { timeout: 30000 }, async (t) => {
      const { srv, ns, r, k } = await testSetup(t, redis, 'le');
      const w = startWorker({ srv, ns, args });
      t.after(() => w.stop({ graceMs: 3000 }));
      const first = await waitRegistered(r, ns, w.id, { worker: w });
      const { id: culprit } = await pushJob(r, ns, 'LeavesRejection', { ms: 100, throw: kind === 'exception' });
      const innocents = [];
      for (let i = 0; i < 3; i++) innocents.push((await pushJob(r, ns, 'Slow', { ms: 300 })).id);
      await waitFor(async () => {
        for (const id of [culprit, ...innocents]) if ((await statusOf(r, ns, id))?.status !== 4) return null;
        return true;
      }, { timeoutMs: 15000, what: 'every job completed' }).catch(async (e) => { e.message += ` failed=${await r.llen(k('failed'))}\n${w.output}`; throw e; });
      assert.equal(await r.llen(k('failed')), 0, `no job failed\n${w.output}`);
      assert.equal(Number(await r.get(k('stat:processed'))), 4);
      const word = kind === 'rejection' ? 'unhandled rejection' : 'uncaught exception';
      assert.match(w.output, new RegExp(`An ${word} from job LeavesRejection ${culprit} \\(queue default\\): Error: (rejected|thrown) late by LeavesRejection`));
      assert.doesNotMatch(w.output, /A child worker died/);
      if (engine === 'default engine') {
        assert.match(w.output, /this job process is replaced after its current job/);
        const next = await waitRegistered(r, ns, null, { worker: w });
        assert.notEqual(next, first, 'a fresh job process took over');
      }
    });
  }
}
