'use strict';
// Issue 12: event fan-out (Ebats) — Resque.events.register(event, class, queue, { delay? }) and
// Resque.publish(event, params): every registered job enqueued (or scheduled) in one atomic step.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { testSetup, startWorker } = require('./helpers/worker');
const { waitFor } = require('./helpers/wait');
const { Resque } = require('..');

const redis = useRedis();

test('publish enqueues every handler\'s job with the params (php payloads), schedules the delayed ones, resolves the jobs', async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'ev');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  await resque.events.register('order.paid', 'App\\Jobs\\SendReceipt', 'mail');
  await resque.events.register('order.paid', 'App\\Jobs\\Ship', 'warehouse');
  await resque.events.register('order.paid', 'App\\Jobs\\AskReview', 'mail', { delay: 3600 });
  await resque.events.register('order.refunded', 'App\\Jobs\\Refund', 'billing');
  assert.equal((await resque.events.list('order.paid')).length, 3);
  const before = Math.floor(Date.now() / 1000);
  const jobs = await resque.publish('order.paid', { order: 42, total: '12.50 €' });
  assert.equal(jobs.length, 3);
  const byQueue = Object.fromEntries(jobs.map((j) => [`${j.queue}${j.at ? '@later' : ''}`, j]));
  const mail = (await r.lrange(k('queue:mail'), 0, -1)).map((p) => JSON.parse(p));
  const warehouse = (await r.lrange(k('queue:warehouse'), 0, -1)).map((p) => JSON.parse(p));
  assert.deepEqual(mail.map((p) => [p.class, p.args, p.id]), [['App\\Jobs\\SendReceipt', [{ order: 42, total: '12.50 €' }], byQueue.mail.id]]);
  assert.deepEqual(warehouse.map((p) => [p.class, p.id]), [['App\\Jobs\\Ship', byQueue.warehouse.id]]);
  assert.match((await r.lrange(k('queue:mail'), 0, -1))[0], /"total":"12.50 \\u20ac"/, 'PHP\'s JSON spelling');
  const later = byQueue['mail@later'];
  assert.ok(later.at >= before + 3600 && later.at <= before + 3602, `scheduled an hour later (${later.at - before} s)`);
  assert.deepEqual((await resque.peekDelayed(later.at)).map((j) => [j.className, j.arg0]), [['App\\Jobs\\AskReview', { order: 42, total: '12.50 €' }]]);
  assert.equal(await r.llen(k('queue:billing')), 0, 'another event\'s handler is not run');
  assert.deepEqual(await resque.publish('nobody.listens', {}), []);
  assert.equal(await resque.events.unregister('order.paid', 'App\\Jobs\\Ship', 'warehouse'), true);
  assert.equal((await resque.publish('order.paid', { order: 43 })).length, 2);
  await assert.rejects(resque.events.register('', 'A', 'q'), /event name/);
  await assert.rejects(resque.events.register('e', 'A', 'q', { delay: -1 }), /delay/);
});

test('end to end: a published event\'s jobs run on our worker, the delayed one once the scheduler moves it', async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'eve');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  await resque.events.register('signup', 'Echo', 'default');
  await resque.events.register('signup', 'Echo', 'default-later', { delay: 1 });
  const w = startWorker({ srv, ns, queue: 'default,default-later', args: ['--scheduler'] });
  t.after(() => w.stop());
  await w.waitForOutput('leads: moving delayed jobs');
  await resque.publish('signup', { user: 7 });
  await waitFor(async () => Number(await r.get(k('stat:processed'))) === 2, { what: 'both ran', timeoutMs: 10000 });
  assert.equal(await r.llen(k('failed')), 0);
});
