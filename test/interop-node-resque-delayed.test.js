'use strict';
// Issue 12: delayed jobs beside node-resque 9.7.1 (the real npm package), both ways:
//   (a) we schedule (Resque.enqueueAt / enqueueIn), node-resque's Scheduler moves the items and a
//       node-resque Worker runs them with the args we gave;
//   (b) node-resque's Queue#enqueueIn schedules, our scheduler moves the items and our worker runs
//       them with node-resque's positional args;
//   (c) our scheduler leading holds node-resque's leader lock: a node-resque Scheduler started
//       beside it does not become leader (one mover in the fleet).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Queue, Scheduler, Worker } = require('node-resque');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, spawnResque, testSetup } = require('./helpers/worker');
const { Resque } = require('..');

const redis = useRedis();

function connection(srv, ns) {
  return { host: '127.0.0.1', port: srv.port, namespace: ns };
}

test('(a) our items: node-resque\'s Scheduler moves them, a node-resque Worker runs them with our args', async (t) => {
  const { srv, ns } = await testSetup(t, redis, 'nrd');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  await resque.enqueueIn(0, 'default', 'Echo', { to: 'a@b.c', n: 1 });
  await resque.enqueueAt(Date.now() / 1000 - 5, 'default', 'Echo', { to: 'd@e.f', n: 2 });
  const scheduler = new Scheduler({ connection: connection(srv, ns), timeout: 100 });
  scheduler.on('error', () => {});
  await scheduler.connect();
  await scheduler.start();
  t.after(() => scheduler.end());
  const seen = [];
  const worker = new Worker({ connection: connection(srv, ns), queues: ['default'], timeout: 50 }, { Echo: { perform: async (arg) => { seen.push(arg); return arg; } } });
  worker.on('error', () => {});
  await worker.connect();
  await worker.start();
  t.after(() => worker.end());
  await waitFor(() => seen.length === 2, { what: 'node-resque ran both', timeoutMs: 10000 });
  assert.deepEqual(seen.sort((a, b) => a.n - b.n), [{ to: 'a@b.c', n: 1 }, { to: 'd@e.f', n: 2 }]);
  assert.equal(await resque.delayedSize(), 0);
});

test('(b) node-resque\'s items: our scheduler moves them, our worker runs them with the positional args', async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'nrb');
  const queue = new Queue({ connection: connection(srv, ns) });
  queue.on('error', () => {});
  await queue.connect();
  t.after(() => queue.end());
  await queue.enqueueIn(500, 'default', 'Echo', [{ a: 1 }, 'two']);
  await queue.enqueueAt(Date.now() + 700, 'default', 'Echo', [{ b: 2 }]);
  const w = startWorker({ srv, ns, args: ['--scheduler'] });
  t.after(() => w.stop());
  await waitFor(async () => Number(await r.get(k('stat:processed'))) === 2, { what: 'both ran', timeoutMs: 10000 });
  assert.equal(await r.llen(k('failed')), 0);
  assert.deepEqual(await r.keys(`${ns}:timestamps:*`), [], 'node-resque\'s index entries went with the items');
});

test('(c) ours leading holds node-resque\'s leader lock: a node-resque Scheduler beside it does not lead', async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'nrc');
  const s = spawnResque(['scheduler', `--redis=${srv.url}`, `--prefix=${ns}`, '--interval=1']);
  t.after(() => s.stop());
  await s.waitForOutput('leads: moving delayed jobs');
  const theirs = new Scheduler({ connection: connection(srv, ns), timeout: 100 });
  theirs.on('error', () => {});
  await theirs.connect();
  await theirs.start();
  t.after(() => theirs.end());
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(theirs.leader, false, 'node-resque\'s scheduler stands by');
  const ours = await r.get(k('resque-ts:scheduler:leader'));
  assert.equal(await r.get(k('resque_scheduler_leader_lock')), ours);
});
