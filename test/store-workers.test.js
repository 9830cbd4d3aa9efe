'use strict';
// The registry store's recovery of a worker's own leftovers (a restart under the same id).
const test = require('node:test');
const assert = require('node:assert/strict');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { Keys } = require('..');
const { settleOwnLeftovers } = require('../dist/store/workers');

const redis = useRedis();

test('a worker restarted under its own id fails the job its predecessor was running and requeues what was only parked', async (t) => {
  const r = (await redis()).client();
  t.after(() => r.disconnect());
  const keys = new Keys(uniqueNamespace('sw'));
  const id = 'host:1:q1,q2';
  const running = '{"class":"Slow","args":[{}],"id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","prefix":""}';
  const parked = '{"class":"Noop","args":[{}],"id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","prefix":""}';
  const now = Math.floor(Date.now() / 1000);
  await r.multi()
    .set(keys.status('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), `{"status":2,"updated":${now},"started":${now},"result":null}`)
    .set(keys.worker(id), `{"queue":"q1","run_at":"x","payload":${running}}`)
    .rpush(keys.inflight(id, 'q1'), running)
    .rpush(keys.inflight(id, 'q2'), parked)
    .sadd(keys.workers(), id)
    .exec();

  const report = await settleOwnLeftovers(r, keys, id, { requeue: false });
  assert.deepEqual(report.failed, [running]);
  assert.deepEqual(report.requeued, [parked]);
  const [record] = (await r.lrange(keys.failed(), 0, -1)).map((x) => JSON.parse(x));
  assert.equal(record.exception, 'PruneDeadWorkerDirtyExit');
  assert.equal(record.error, `Worker ${id} restarted while processing a job`);
  assert.deepEqual(await r.lrange(keys.queue('q2'), 0, -1), [parked]);
  assert.equal(JSON.parse(await r.get(keys.status('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'))).status, 3);
  assert.equal(await r.exists(keys.worker(id), keys.inflight(id, 'q1'), keys.inflight(id, 'q2')), 0);
  assert.equal(await r.sismember(keys.workers(), id), 0);

  assert.equal(await settleOwnLeftovers(r, keys, id, { requeue: false }), null, 'nothing left the second time');
});
