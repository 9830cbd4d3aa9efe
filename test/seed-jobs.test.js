'use strict';
// Issue 13, from the seed systems: think-queue's `Class@method` job names (that method runs
// instead of perform) and InstantCMS's cron batches (`resque start --once --max-jobs=N`: take at
// most N jobs per worker, then exit 0), in each engine.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { startWorker, testSetup } = require('./helpers/worker');
const { waitFor } = require('./helpers/wait');
const { Resque } = require('..');

const redis = useRedis();
const ENGINES = [[], ['--in-process'], ['--jobs-per-child=1']];

async function setup(t, name) {
  const ctx = await testSetup(t, redis, name);
  const resque = new Resque({ redis: ctx.srv.url, namespace: ctx.ns });
  t.after(() => resque.close());
  return { ...ctx, resque };
}
const status = async (r, k, id) => JSON.parse((await r.get(k(`job:${id}:status`))) ?? 'null');

for (const engine of ENGINES) {
  const name = engine[0] ?? 'default engine';
  test(`${name}: think-queue's Class@method runs that method (args, attempt); a missing method fails naming it`, async (t) => {
    const { srv, ns, r, k, resque } = await setup(t, 'tq');
    const send = await resque.enqueue('default', 'Think\\Mailer@send', { to: 'a@example.com' }, true);
    const digest = await resque.enqueue('default', 'Think\\Mailer@digest', { day: 3 }, true);
    const plain = await resque.enqueue('default', 'Think\\Mailer', {}, true);
    const missing = await resque.enqueue('default', 'Think\\Mailer@nope', {}, true);
    const w = startWorker({ srv, ns, args: [...engine, '--once'] });
    t.after(() => w.stop());
    assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
    assert.deepEqual((await status(r, k, send)).result, { ran: 'send', to: 'a@example.com', attempt: 1 });
    assert.deepEqual((await status(r, k, digest)).result, { ran: 'digest', args: { day: 3 } });
    assert.deepEqual((await status(r, k, plain)).result, { ran: 'perform' });
    assert.equal((await status(r, k, missing)).status, 3);
    const [rec] = (await r.lrange(k('failed'), 0, -1)).map((f) => JSON.parse(f));
    assert.equal(rec.exception, 'JobMethodMissingError');
    assert.equal(rec.error, "Job class Think\\Mailer does not contain a nope method (the job's name is Think\\Mailer@nope).");
    assert.equal(rec.payload.class, 'Think\\Mailer@nope', 'the record keeps the name as enqueued');
    assert.match(w.output, /Think\\Mailer@send \(queue: default.*\) - Done/);
  });

  test(`${name}: --max-jobs=3 takes 3 of 5 jobs and exits 0; --once --max-jobs=10 stops when drained`, async (t) => {
    const { srv, ns, r, k, resque } = await setup(t, 'mj');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await resque.enqueue('default', 'Echo', { i }, true));
    const w = startWorker({ srv, ns, args: [...engine, '--max-jobs=3'] });
    t.after(() => w.stop());
    assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
    const done = [];
    for (const id of ids) done.push((await status(r, k, id)).status);
    assert.deepEqual(done, [4, 4, 4, 1, 1], 'the first three ran, the other two wait');
    assert.equal(await r.llen(k('queue:default')), 2, 'two still queued');
    assert.deepEqual(await r.smembers(k('workers')), [], 'unregistered');
    const w2 = startWorker({ srv, ns, args: [...engine, '--once', '--max-jobs=10'] });
    t.after(() => w2.stop());
    assert.deepEqual(await w2.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
    assert.equal(await r.llen(k('queue:default')), 0);
    assert.equal(await r.get(k('stat:processed')), '5');
  });
}

test('--max-jobs counts per worker (--count=2 --max-jobs=2: 4 jobs), and a job whose process died counts too', async (t) => {
  const { srv, ns, r, k, resque } = await setup(t, 'mj2');
  await resque.enqueue('default', 'ExitNonZero', {}, true);
  for (let i = 0; i < 9; i++) await resque.enqueue('default', 'Echo', { i });
  const w = startWorker({ srv, ns, args: ['--count=2', '--max-jobs=2'] });
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
  assert.equal(await r.llen(k('queue:default')), 6, '4 of 10 taken');
  await waitFor(async () => (await r.get(k('stat:processed'))) === '4', { what: 'processed 4' });
  assert.equal(await r.llen(k('failed')), 1, 'the job that exited non-zero failed, and counted');
});

test('--max-jobs is checked: a negative or fractional value is refused with the flag named', async (t) => {
  const { srv, ns } = await setup(t, 'mj3');
  for (const bad of ['-1', '1.5', 'x']) {
    const w = startWorker({ srv, ns, args: [`--max-jobs=${bad}`] });
    const exit = await w.waitExit({ timeoutMs: 10000 });
    assert.notEqual(exit.code, 0, bad);
    assert.match(w.output, /max-jobs/, bad);
  }
});
