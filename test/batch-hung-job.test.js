'use strict';
// A job that never settles holds its batch (issue 11.10): with a hung job (a promise that never
// resolves, no time limit) in the middle of a batch, the batch's finished jobs stayed uncounted
// and the jobs parked behind it waited where no other worker could take them. Now, once a job has
// run for BATCH_HOLD_MS (1 s), the finished jobs of its batch are written and the parked ones go
// back to the queue: another worker runs them, and the hung one holds only itself.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, testSetup, tempDir } = require('./helpers/worker');
const { phpPayload, hex32, inflightLists, sleep } = require('./helpers/chaos');

const redis = useRedis();

test('a hung job in a batch: its batch\'s finished jobs are counted and the parked ones run elsewhere', { timeout: 40000 }, async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'hb');
  const file = path.join(tempDir('resque-hung-'), 'runs.txt');
  fs.writeFileSync(file, '');
  const before = Array.from({ length: 400 }, () => phpPayload('ChaosJob', { file, maxMs: 0 }, hex32()));
  const after = Array.from({ length: 200 }, () => phpPayload('ChaosJob', { file, maxMs: 0 }, hex32()));
  await r.sadd(k('queues'), 'default');
  await r.rpush(k('queue:default'), ...before, phpPayload('Hangs', {}, hex32()), ...after);
  const w1 = startWorker({ srv, ns });
  t.after(() => w1.stop({ graceMs: 1000 }));
  const id1 = await waitRegistered(r, ns, w1.id, { worker: w1 });
  // the hung job is taken in a batch with jobs parked behind it (the batch grows while jobs are fast)
  await waitFor(async () => (await r.llen(k('queue:default'))) < after.length, { timeoutMs: 30000, what: 'the hung job taken' })
    .catch(async (e) => { e.message += ` (processed ${await r.get(k('stat:processed'))}, queued ${await r.llen(k('queue:default'))})\n${w1.output.slice(-2000)}`; throw e; });
  const w2 = startWorker({ srv, ns });
  t.after(() => w2.stop({ graceMs: 1000 }));
  await waitRegistered(r, ns, w2.id, { worker: w2 });
  await waitFor(async () => {
    const ran = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
    return ran === before.length + after.length && Number(await r.get(k('stat:processed'))) === before.length + after.length ? true : null;
  }, { timeoutMs: 10000, what: 'every other job ran and was counted' })
    .catch(async (e) => { e.message += ` (processed ${await r.get(k('stat:processed'))}, queued ${await r.llen(k('queue:default'))}, held ${await r.llen(k(`worker:${id1}:inflight:default`))})`; throw e; });
  await sleep(200);
  assert.deepEqual(await r.lrange(k(`worker:${id1}:inflight:default`), 0, -1).then((l) => l.map((x) => JSON.parse(x).class)), ['Hangs'], 'worker 1 holds only the hung job');
  assert.equal(await r.llen(k('queue:default')), 0);
  assert.equal(await r.llen(k('failed')), 0);
  assert.deepEqual(await inflightLists(r, ns), [k(`worker:${id1}:inflight:default`)]);
});
