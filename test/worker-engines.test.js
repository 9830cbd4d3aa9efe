'use strict';
// The three engines run the same jobs with the same bookkeeping:
//   default            — a job process runs the loop; the worker supervises it;
//   --jobs-per-child=1 — the worker runs the loop, each job in a fresh process (php-resque's model);
//   --in-process       — the worker runs the jobs itself (node-resque's model; no crash isolation).
// For each: status, counters, failure records, and WHERE the job ran (job:ID:pid vs worker pid).
const test = require('node:test');
const assert = require('node:assert/strict');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { startWorker, JOBS } = require('./helpers/worker');
const { Resque } = require('..');

const redis = useRedis();

const ENGINES = [
  { name: 'default', args: [], isolated: true },
  { name: 'strict --jobs-per-child=1', args: ['--jobs-per-child=1'], isolated: true },
  { name: '--in-process', args: ['--in-process'], isolated: false },
];

for (const engine of ENGINES) {
  test(`engine ${engine.name}: same outcomes, same records`, async (t) => {
    const srv = await redis();
    const ns = uniqueNamespace('en');
    const resque = new Resque({ redis: srv.url, namespace: ns });
    t.after(() => resque.close());
    const r = await resque.redis();
    const jobs = {
      ok: await resque.enqueue('default', 'Echo', { a: 1 }, true),
      throws: await resque.enqueue('default', 'Throws', { message: 'boom' }, true),
      skips: await resque.enqueue('default', 'Skips', {}, true),
      missing: await resque.enqueue('default', 'NoSuchJob', {}, true),
      ...(engine.isolated ? { exits: await resque.enqueue('default', 'ExitNonZero', { code: 3 }, true) } : {}),
      last: await resque.enqueue('default', 'ReturnsValue', {}, true),
    };
    const w = startWorker({ srv, ns, args: ['--once', ...engine.args] });
    t.after(() => w.stop());
    assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null }, w.output);

    const st = async (id) => (await resque.status(id).fetch())?.status;
    assert.equal(await st(jobs.ok), 4);
    assert.equal(await st(jobs.throws), 3);
    assert.equal(await st(jobs.skips), 4);
    assert.equal(await st(jobs.missing), 3);
    assert.equal(await st(jobs.last), 4);
    assert.deepEqual((await resque.status(jobs.last).fetch()).result, { ok: true, n: 1.5, s: '完成' });
    const echoed = (await resque.status(jobs.ok).fetch()).result;
    assert.deepEqual(echoed.args, { a: 1 });

    const failures = (await r.lrange(`${ns}:failed`, 0, -1)).map((x) => JSON.parse(x));
    const byId = Object.fromEntries(failures.map((f) => [f.payload.id, f]));
    assert.equal(byId[jobs.throws].exception, 'Error');
    assert.equal(byId[jobs.throws].error, 'boom');
    assert.equal(byId[jobs.missing].error, `Could not find job class NoSuchJob. Looked in ${JOBS} for NoSuchJob.{js,cjs,mjs,ts,cts,mts}.`);
    if (engine.isolated) {
      assert.equal(await st(jobs.exits), 3);
      assert.equal(byId[jobs.exits].exception, 'DirtyExitError');
      assert.match(byId[jobs.exits].error, /exit code 3/);
    }
    const total = Object.keys(jobs).length;
    const failed = engine.isolated ? 3 : 2;
    assert.equal(failures.length, failed);
    assert.equal(await r.get(`${ns}:stat:processed`), String(total));
    assert.equal(await r.get(`${ns}:stat:failed`), String(failed));
    assert.equal(await r.scard(`${ns}:workers`), 0, 'unregistered');

    // Where did the job run?
    const where = await resque.enqueue('default', 'WhereAmI', {}, true);
    const w2 = startWorker({ srv, ns, args: ['--once', ...engine.args] });
    t.after(() => w2.stop());
    await w2.waitExit({ timeoutMs: 20000 });
    const ran = (await resque.status(where).fetch()).result;
    assert.equal(typeof ran.pid, 'number', JSON.stringify(ran));
    if (engine.isolated) assert.notEqual(ran.pid, w2.pid, 'job ran in a separate process');
    else assert.equal(ran.pid, w2.pid, 'job ran in the worker process');
  });
}
