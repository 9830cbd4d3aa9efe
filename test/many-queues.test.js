'use strict';
// QUEUE=* over 5,000 queues (issue 11.4). Before, --blocking opened one connection per queue (two
// workers held 10,000 and Redis refused new clients: producers were locked out), and each polling
// reserve ran one script over every queue (17–35 ms inside Redis, which is shared). Now a worker
// blocks on at most 8 connections (the first queues by priority; with more queues the wait ends
// within a second to look at all), and a reserve names at most 100 queues per script call.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startRedis, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered } = require('./helpers/worker');
const { pushJob, statusOf, sleep } = require('./helpers/chaos');

const N = 5000;

async function manyQueues(t) {
  const srv = await startRedis();
  t.after(() => srv.stop());
  const ns = uniqueNamespace('mq');
  const r = srv.client();
  t.after(() => r.disconnect());
  const names = Array.from({ length: N }, (_, i) => `q${String(i).padStart(4, '0')}`);
  await r.sadd(`${ns}:queues`, ...names);
  return { srv, ns, r, names };
}

test('--blocking with QUEUE=* over 5,000 queues: a bounded number of connections, and a job on the last queue is still taken', { timeout: 60000 }, async (t) => {
  const { srv, ns, r, names } = await manyQueues(t);
  const workers = [0, 1].map(() => startWorker({ srv, ns, queue: '*', args: ['--blocking', '--interval=5'] }));
  for (const w of workers) t.after(() => w.stop({ graceMs: 2000 }));
  for (const w of workers) await waitRegistered(r, ns, w.id, { worker: w });
  await sleep(2500); // a few blocking passes
  const clients = (await r.client('LIST')).split('\n').filter(Boolean);
  const blocking = clients.filter((c) => /name=resque-blocking/.test(c));
  assert.ok(blocking.length <= 16, `at most 8 blocking connections per worker (${blocking.length})`);
  assert.ok(clients.length < 40, `${clients.length} clients in all`);
  const { id } = await pushJob(r, ns, 'Noop', {}, { queue: names[N - 1] });
  await waitFor(async () => (await statusOf(r, ns, id))?.status === 4, { timeoutMs: 10000, what: 'the job on the last queue done' });
});

test('polling QUEUE=* over 5,000 queues: no reserve script names more than 100 queues', { timeout: 60000 }, async (t) => {
  const { srv, ns, r, names } = await manyQueues(t);
  await r.config('SET', 'slowlog-log-slower-than', '0');
  await r.config('SET', 'slowlog-max-len', '100000');
  const w = startWorker({ srv, ns, queue: '*', args: ['--interval=0.2'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  await waitRegistered(r, ns, w.id, { worker: w });
  const { id } = await pushJob(r, ns, 'Noop', {}, { queue: names[N - 1] });
  await waitFor(async () => (await statusOf(r, ns, id))?.status === 4, { timeoutMs: 10000, what: 'the job on the last queue done' });
  const log = await r.slowlog('GET', -1);
  const evals = log.map((e) => e[3]).filter((args) => /^EVAL(SHA)?$/i.test(String(args[0])));
  assert.ok(evals.length > 0, 'scripts were logged');
  // KEYS of a reserve: worker, fence and 2 per queue (settle adds its own 13 and pid keys)
  const most = Math.max(...evals.map((args) => Number(args[2])));
  assert.ok(most <= 13 + 2 + 2 * 100 + 64, `at most 100 queues per script (${most} KEYS in the largest)`);
});
