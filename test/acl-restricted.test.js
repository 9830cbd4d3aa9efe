'use strict';
// A Redis user restricted to the namespace (`~PREFIX:* +@all`, issue 11 point 1): every script must
// name only real keys of the namespace — an empty-string placeholder KEY is refused with NOPERM
// ("one of the keys used as arguments"), and a worker so refused could settle nothing. The core
// paths run as that user: enqueue (tracked, untracked, bulk), reserve in batches, finish (done,
// failed, a job without an id whose process died: no status or pid key), recovery of a dead
// worker, status reads and the admin API. ACL LOG must stay empty.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { startWorker, testSetup } = require('./helpers/worker');
const { pushJob, pushRaw, hex32 } = require('./helpers/chaos');
const { Resque, ResqueAdmin } = require('../dist/index.js');

const redis = useRedis();

/** php-resque's date('c') in UTC. */
const dateC = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

test('a user restricted to ~PREFIX:* enqueues, works, fails, recovers and reads with no NOPERM', { timeout: 60000 }, async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'acl');
  const user = `u${hex32().slice(0, 8)}`;
  await r.call('ACL', 'SETUSER', user, 'on', '>secret', `~${ns}:*`, '+@all');
  await r.call('ACL', 'LOG', 'RESET');
  const url = `redis://${user}:secret@127.0.0.1:${srv.port}`;

  // Producers as that user.
  const resque = new Resque({ redis: url, namespace: ns });
  t.after(() => resque.close());
  const tracked = [];
  for (let i = 0; i < 3; i++) tracked.push(await resque.enqueue('default', 'Noop', { i }, true));
  for (let i = 0; i < 30; i++) await resque.enqueue('default', 'Noop', { plain: i });
  await resque.enqueueBulk('default', Array.from({ length: 20 }, (_, i) => ({ class: 'Noop', args: { bulk: i } })));
  const boom = await resque.enqueue('default', 'Throws', { message: 'acl boom' }, true);
  // A job without an id that kills its process: the host settles it with no status or pid key.
  await pushRaw(r, ns, 'default', '{"class":"KillsItself","args":[null]}');
  // A dead worker on another host holding a job: recovery (as that user) fails it.
  const dead = 'otherhost:42:default';
  const orphan = await pushJob(r, ns, 'Noop', {}, { queue: 'elsewhere' });
  await r.lrem(k('queue:elsewhere'), 0, orphan.raw);
  await r.sadd(k('workers'), dead);
  await r.hset(k('workers:heartbeat'), dead, dateC(Date.now() - 3600e3));
  await r.set(k(`worker:${dead}`), `{"queue":"default","run_at":"${dateC(Date.now() - 3600e3)}","payload":${orphan.raw}}`);
  await r.rpush(k(`worker:${dead}:inflight:default`), orphan.raw);

  const w = startWorker({ srv: { url }, ns, args: ['--once'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  const exit = await w.waitExit({ timeoutMs: 30000 });
  assert.deepEqual(exit, { code: 0, signal: null }, w.output);
  assert.doesNotMatch(w.output, /NOPERM/, w.output);

  const log = await r.call('ACL', 'LOG');
  assert.deepEqual(log, [], `ACL LOG: ${JSON.stringify(log)}`);
  // 3 tracked + 30 + 20 + Throws + KillsItself ran; the orphan was failed by recovery.
  assert.equal(await r.get(k('stat:processed')), String(3 + 30 + 20 + 1 + 1 + 1));
  const failures = (await r.lrange(k('failed'), 0, -1)).map((x) => JSON.parse(x));
  assert.equal(await r.get(k('stat:failed')), '3', JSON.stringify(failures.map((f) => [f.exception, f.error])));
  assert.equal(await r.llen(k('queue:default')), 0);
  for (const id of tracked) assert.equal(await resque.status(id).get(), 4, `tracked job ${id} complete`);
  assert.equal(await resque.status(boom).get(), 3);
  assert.deepEqual(failures.map((f) => f.exception).sort(), ['DirtyExitError', 'Error', 'PruneDeadWorkerDirtyExit']);
  assert.ok(failures.find((f) => f.exception === 'Error').payload.id === boom);
  assert.equal(await r.sismember(k('workers'), dead), 0, 'the dead worker was pruned');

  // Reads as that user.
  const admin = new ResqueAdmin({ redis: url, namespace: ns });
  t.after(() => admin.close());
  const stats = await admin.stats();
  assert.equal(stats.failed, 3);
  assert.equal((await admin.failures()).length, 3);
  assert.deepEqual(await admin.workers(), []);
});
