'use strict';
// Recovery (src/store/recovery.ts) of a worker's own leftovers (a restart under the same id), of a
// dead worker's batch read through its batch cursor, and the recovery lock.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { Keys } = require('..');
const { settleOwnLeftovers, recoverDeadWorker, withRecoveryLock } = require('../dist/store/recovery');
const { BatchCursor, cursorPath } = require('../dist/store/batch-cursor');

// Cursors of this file's fake workers live in a folder of its own.
process.env.RESQUE_CURSOR_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-cursors-'));
process.on('exit', () => fs.rmSync(process.env.RESQUE_CURSOR_DIR, { recursive: true, force: true }));

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

const job = (n) => `{"class":"Noop","args":[{"n":${n}}],"id":"${String(n).padStart(32, '0')}","prefix":""}`;
const sha1 = (x) => crypto.createHash('sha1').update(x).digest('hex');

/** A client (closed after the test) and keys under a fresh namespace. */
async function fresh(t, name) {
  const r = (await redis()).client();
  t.after(() => r.disconnect());
  return { r, keys: new Keys(uniqueNamespace(name)) };
}

/** A dead worker holding a batch [0..4] of queue q, its cursor at `done` jobs in state `state`. */
async function deadWithBatch(r, keys, { done, state, cursorSha }) {
  const id = 'gone:1:q';
  const batch = [0, 1, 2, 3, 4].map(job);
  await r.multi()
    .set(keys.worker(id), `{"queue":"q","run_at":"x","payload":${batch[0]}}`)
    .rpush(keys.inflight(id, 'q'), ...batch)
    .rpush(keys.queue('q'), job(9))
    .sadd(keys.workers(), id)
    .exec();
  const c = new BatchCursor(cursorPath(keys.ns, id)).open();
  c.mark(cursorSha ?? sha1(batch[0]), done, state);
  c.close(false);
  return { id, batch };
}

test('a dead worker\'s batch, cursor at 2 running: 2 counted once, the 3rd failed, the rest back at the head in order', async (t) => {
  const { r, keys } = await fresh(t, 'sb');
  const { id, batch } = await deadWithBatch(r, keys, { done: 2, state: 'run' });
  const report = await recoverDeadWorker(r, keys, id, { requeue: false, reason: 'dead', byWorker: 'me' });
  assert.deepEqual(report.failed, [batch[2]]);
  assert.deepEqual(await r.lrange(keys.queue('q'), 0, -1), [batch[3], batch[4], job(9)]);
  assert.equal(await r.get(keys.stat('processed')), '3'); // 2 done + the failure
  assert.equal(await r.get(keys.stat('failed')), '1');
  assert.equal(fs.existsSync(cursorPath(keys.ns, id)), false);
});

test('cursor idle (between jobs): the finished ones are counted, nothing fails, the rest go back in order', async (t) => {
  const { r, keys } = await fresh(t, 'sb');
  const { id, batch } = await deadWithBatch(r, keys, { done: 2, state: 'idle' });
  const report = await recoverDeadWorker(r, keys, id, { requeue: false, reason: 'dead', byWorker: 'me' });
  assert.deepEqual(report.failed, []);
  assert.deepEqual(await r.lrange(keys.queue('q'), 0, -1), [batch[2], batch[3], batch[4], job(9)]);
  assert.equal(await r.get(keys.stat('processed')), '2');
  assert.equal(await r.get(keys.stat('failed')), null);
});

test('a cursor naming another head (the batch round trip landed): nothing counted, nothing failed, all back in order', async (t) => {
  const { r, keys } = await fresh(t, 'sb');
  const { id, batch } = await deadWithBatch(r, keys, { done: 3, state: 'run', cursorSha: sha1('an earlier batch') });
  const report = await recoverDeadWorker(r, keys, id, { requeue: false, reason: 'dead', byWorker: 'me' });
  assert.deepEqual(report.failed, []);
  assert.deepEqual(await r.lrange(keys.queue('q'), 0, -1), [...batch, job(9)]);
  assert.equal(await r.get(keys.stat('processed')), null);
});

test('recovery lock: one holder at a time; a busy lock skips or waits; a holder never releases another\'s lock', async (t) => {
  const { r, keys } = await fresh(t, 'sl');
  let inside = 0;
  let most = 0;
  const work = async () => {
    inside++;
    most = Math.max(most, inside);
    await new Promise((resolve) => setTimeout(resolve, 200));
    inside--;
    return 'ran';
  };
  const [a, b] = await Promise.all([withRecoveryLock(r, keys, 'A', work), withRecoveryLock(r, keys, 'B', work)]);
  assert.deepEqual([a, b].sort(), ['ran', null].sort());
  assert.equal(most, 1);
  assert.equal(await r.exists(keys.recoveryLock()), 0, 'released after the work');
  // with wait: the second runs after the first, never alongside it
  const both = await Promise.all([withRecoveryLock(r, keys, 'A', work, { wait: true }), withRecoveryLock(r, keys, 'B', work, { wait: true })]);
  assert.deepEqual(both, ['ran', 'ran']);
  assert.equal(most, 1);
  // a lock taken over by someone else (ours expired) is not deleted by our release
  const held = withRecoveryLock(r, keys, 'A', async () => {
    await r.set(keys.recoveryLock(), 'someone else');
    return 'ran';
  });
  assert.equal(await held, 'ran');
  assert.equal(await r.get(keys.recoveryLock()), 'someone else');
});
