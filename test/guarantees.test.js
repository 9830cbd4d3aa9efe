'use strict';
// Guarantees that no other test protected (issue 11.14): each was removed from the code with the
// suite still green.
//   * the SHA-1 head guard of `finish` and of the batch settle (`pop_done`): a write replayed
//     after its reply was lost (Redis applied it) must change nothing the second time;
//   * recovery's writes: a recovered job's FAILED status keeps the 86400 s TTL, and `failed_at`
//     is php's date('c');
//   * QUEUE=* in a running worker takes queues in PHP's sort order (9, 10, a, b), not set order.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, tempDir, testSetup } = require('./helpers/worker');
const { pushJob, phpPayload } = require('./helpers/chaos');
const { Keys } = require('..');
const { WorkerJobs } = require('../dist/store/jobs');
const { toReserved } = require('../dist/loop/loop');
const { recoverDeadWorker } = require('../dist/store/recovery');

const redis = useRedis();

const job = (n) => `{"class":"Noop","args":[{"n":${n}}],"id":"${String(n).padStart(32, '0')}","prefix":"","queue_time":1700000000.5}`;

/** Every key of the namespace with its value, for before/after comparisons. */
async function snapshot(r, ns) {
  const out = {};
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 500);
    cursor = next;
    for (const k of keys) {
      const type = await r.type(k);
      out[k] = type === 'list' ? await r.lrange(k, 0, -1) : type === 'string' ? await r.get(k) : type === 'set' ? (await r.smembers(k)).sort() : await r.hgetall(k);
    }
  } while (cursor !== '0');
  return out;
}

async function jobsOf(t, name) {
  const { srv, ns, r } = await testSetup(t, redis, name);
  const c = srv.client();
  t.after(() => c.disconnect());
  const keys = new Keys(ns);
  const id = `guard-host:4242:q`;
  return { r, ns, keys, id, jobs: new WorkerJobs(async () => c, keys, id) };
}

const reservedOf = (claim) => claim.jobs.map((taken) => toReserved(taken, undefined));

test('settle replayed after a lost reply: the batch\'s successes are counted once and the next batch, parked behind them, is not popped', async (t) => {
  const { r, ns, keys, id, jobs } = await jobsOf(t, 'gs');
  await r.sadd(keys.queues(), 'q');
  await r.rpush(keys.queue('q'), ...[1, 2, 3, 4, 5, 6].map(job));
  const first = reservedOf(await jobs.reserve(['q'], undefined, 3));
  assert.deepEqual(first.map((x) => x.raw), [1, 2, 3].map(job), 'a batch of three taken');
  // the three ran to a plain success; the settle also takes the next batch
  const next = await jobs.settle(first, undefined, ['q'], undefined, 3);
  assert.deepEqual(next.jobs.map((x) => x.raw), [4, 5, 6].map(job));
  const before = await snapshot(r, ns);
  assert.deepEqual(before[keys.inflight(id, 'q')], [4, 5, 6].map(job), 'the next batch is parked');
  assert.equal(before[keys.stat('processed')], '3');
  // the reply was lost: the same settle again
  await jobs.settle(first, undefined, ['q'], undefined, 3);
  assert.deepEqual(await snapshot(r, ns), before, 'nothing changed the second time');
});

test('finish replayed after a lost reply: one failure record, and the parked job behind it is left alone', async (t) => {
  const { r, ns, keys, id, jobs } = await jobsOf(t, 'gf');
  await r.sadd(keys.queues(), 'q');
  await r.rpush(keys.queue('q'), job(1), job(2));
  const [a, b] = reservedOf(await jobs.reserve(['q'], undefined, 2));
  assert.equal(b.raw, job(2), 'job 2 is parked behind job 1');
  const failed = { kind: 'failed', error: { name: 'Error', message: 'boom', backtrace: [] } };
  await jobs.finish(a, failed);
  const before = await snapshot(r, ns);
  assert.equal(before[keys.failed()].length, 1);
  assert.deepEqual(before[keys.inflight(id, 'q')], [job(2)]);
  await jobs.finish(a, failed);
  assert.deepEqual(await snapshot(r, ns), before, 'nothing changed the second time');
});

test('recovery writes a recovered job\'s FAILED status with its 86400 s TTL and failed_at as php\'s date(\'c\')', async (t) => {
  const { r, keys } = await jobsOf(t, 'gr');
  const dead = 'gone-host:77:q';
  const jid = 'c'.repeat(32);
  const raw = phpPayload('Slow', {}, jid);
  const now = Math.floor(Date.now() / 1000);
  await r.multi()
    .set(keys.status(jid), `{"status":2,"updated":${now},"started":${now},"result":null}`)
    .set(keys.worker(dead), `{"queue":"q","run_at":"x","payload":${raw}}`)
    .rpush(keys.inflight(dead, 'q'), raw)
    .sadd(keys.workers(), dead)
    .exec();
  await recoverDeadWorker(r, keys, dead, { requeue: false, reason: 'dead', byWorker: 'me' });
  const status = JSON.parse(await r.get(keys.status(jid)));
  assert.equal(status.status, 3);
  const ttl = await r.ttl(keys.status(jid));
  assert.ok(ttl > 86000 && ttl <= 86400, `TTL ${ttl}`);
  const [record] = (await r.lrange(keys.failed(), 0, -1)).map((x) => JSON.parse(x));
  assert.match(record.failed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
  assert.ok(Math.abs(Date.parse(record.failed_at) - Date.now()) < 5000, 'and it is now');
});

test('QUEUE=* in a running worker takes queues in PHP\'s sort order: 9, 10, a, b', { timeout: 30000 }, async (t) => {
  const { srv, ns, r } = await testSetup(t, redis, 'go');
  const file = path.join(tempDir('resque-order-'), 'runs.txt');
  fs.writeFileSync(file, '');
  // pushed in another order, so neither insertion order nor set order is PHP's
  for (const q of ['b', '10', 'a', '9']) await pushJob(r, ns, 'ChaosJob', { file, maxMs: 0 }, { queue: q, track: false, id: `job-of-${q}` });
  const w = startWorker({ srv, ns, queue: '*', args: ['--once'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  await w.waitExit({ timeoutMs: 20000 });
  await waitFor(() => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length === 4, { what: 'four jobs ran' });
  assert.deepEqual(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean), ['job-of-9', 'job-of-10', 'job-of-a', 'job-of-b']);
});
