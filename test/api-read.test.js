'use strict';
// The read and admin API (ResqueAdmin, src/api/) against what the real peers wrote: each capture
// of test/fixtures/peers is written into a private redis under a fresh namespace (by key type,
// TTLs ignored) and what the API returns is compared field by field with the capture. Then the
// same reads over a live resque-ts worker while it fails one job and runs a slow one; then data
// no peer writes on purpose (broken JSON, wrong key types), which must be reported, never thrown.
const test = require('node:test');
const assert = require('node:assert/strict');
const { ResqueAdmin, Resque } = require('..');
const { useRedis } = require('./helpers/redis');
const { testSetup, startWorker, waitRegistered, HOST } = require('./helpers/worker');
const { loadFixture, fixtureKey, loadInto } = require('./helpers/fixtures');
const { waitFor } = require('./helpers/wait');

const redis = useRedis();

/** A fresh namespace holding the capture `name`, and a ResqueAdmin over it. */
async function peer(t, name) {
  const ctx = await testSetup(t, redis, 'api');
  const fx = loadFixture(name);
  await loadInto(ctx.r, ctx.ns, fx);
  const admin = new ResqueAdmin({ redis: ctx.srv.url, namespace: ctx.ns });
  t.after(() => admin.close());
  const value = (key) => {
    const entry = fixtureKey(fx, key);
    assert.ok(entry, `${name} has ${key}`);
    return entry;
  };
  return { ...ctx, fx, admin, value };
}

const iso = (t) => (t && t.at ? t.at.toISOString() : null);

test('php-resque 2.x worker while its job runs: id, started, no heartbeat, working-on payload bytes kept', async (t) => {
  const { admin, value, srv } = await peer(t, 'php-worker-working');
  const working = value('resque:worker:vm:26783:default');
  const workers = await admin.workers();
  assert.equal(workers.length, 1);
  const w = workers[0];
  assert.equal(w.id, 'vm:26783:default');
  assert.equal(w.registered, true);
  assert.equal(w.host, 'vm');
  assert.equal(w.pid, 26783);
  assert.deepEqual(w.queues, ['default']);
  assert.equal(w.peer, 'php-resque');
  assert.equal(w.started.raw, value('resque:worker:vm:26783:default:started').value);
  assert.equal(w.started.format, 'iso8601');
  assert.equal(iso(w.started), '2026-11-21T09:07:52.000Z');
  assert.equal(w.heartbeat, null);
  assert.equal(w.usage, null);
  assert.equal(w.processed, 0);
  assert.equal(w.failed, 0);
  assert.equal(w.statsName, 'vm:26783:default');
  assert.deepEqual(w.problems, []);

  assert.equal(w.job.raw, working.value);
  assert.equal(w.job.queue, 'default');
  assert.equal(w.job.runAt.raw, '2026-11-21T09:07:52+00:00');
  assert.equal(iso(w.job.runAt), '2026-11-21T09:07:52.000Z');
  assert.equal(w.job.worker, null);
  // PHP's own re-encoding, byte for byte (\u escapes, \/ and [] for the empty map).
  assert.equal(
    w.job.payload.raw,
    '{"class":"SleepJob","args":[{"ms":4000,"s":"\\u4e2d\\/\\u6587","empty_map":[],"empty_list":[],"f":1.5}],' +
      '"id":"dbf2c7cce1bfda435307f01c82d2200d","prefix":"","queue_time":1795252072.275347}',
  );
  assert.equal(w.job.payload.error, null);
  const job = w.job.payload.job;
  assert.equal(job.raw, w.job.payload.raw);
  assert.equal(job.className, 'SleepJob');
  assert.equal(job.id, 'dbf2c7cce1bfda435307f01c82d2200d');
  assert.equal(job.prefix, '');
  assert.equal(job.queueTime, 1795252072.275347);
  assert.equal(job.flavor, 'php2');
  assert.deepEqual(job.arg0, working.decoded.payload.args[0]);

  assert.deepEqual(await admin.worker('vm:26783:default'), w);
  const stats = await admin.stats();
  assert.deepEqual(stats, {
    processed: 0, failed: 0, pending: 0, queues: 1, workers: 1, working: 1, failedRecords: 0,
    servers: [srv.address], hosts: ['vm'], problems: [],
  });
});

test('Ruby Resque worker while its job runs: Time#to_s started, heartbeat hash, ISO run_at with Z', async (t) => {
  const { admin, value } = await peer(t, 'ruby-worker-working');
  const [w, ...rest] = await admin.workers();
  assert.equal(rest.length, 0);
  assert.equal(w.id, 'vm:28321:default');
  assert.equal(w.peer, 'ruby-resque');
  assert.equal(w.started.raw, '2026-11-21 09:08:15 +0000');
  assert.equal(w.started.format, 'ruby-time');
  assert.equal(iso(w.started), '2026-11-21T09:08:15.000Z');
  assert.deepEqual(
    { source: w.heartbeat.source, raw: w.heartbeat.raw, at: iso(w.heartbeat.at) },
    { source: 'workers:heartbeat', raw: value('resque:workers:heartbeat').value['vm:28321:default'], at: '2026-11-21T09:08:15.000Z' },
  );
  assert.equal(w.job.raw, value('resque:worker:vm:28321:default').value);
  assert.equal(w.job.runAt.raw, '2026-11-21T09:08:15Z');
  assert.equal(iso(w.job.runAt), '2026-11-21T09:08:15.000Z');
  assert.equal(w.job.payload.raw, '{"class":"SleepJob","args":[{"ms":4000,"s":"中/文"}]}');
  assert.equal(w.job.payload.job.flavor, 'ruby');
  assert.equal(w.job.payload.job.id, undefined);
  assert.deepEqual(w.job.payload.job.args, [{ ms: 4000, s: '中/文' }]);
  assert.deepEqual(w.problems, []);
  assert.equal((await admin.stats()).working, 1);
});

test('node-resque worker while its job runs: ping heartbeat, unix started, host:pid name, cjson payload', async (t) => {
  const { admin, value } = await peer(t, 'node-resque-worker-working');
  const [w] = await admin.workers();
  assert.equal(w.id, 'vm:30925:default');
  assert.equal(w.host, 'vm');
  assert.equal(w.pid, 30925);
  assert.equal(w.peer, 'node-resque');
  assert.equal(w.statsName, 'vm:30925');
  assert.equal(w.started.raw, '1795252119');
  assert.equal(w.started.format, 'unix');
  assert.equal(w.started.at.getTime(), 1795252119000);
  assert.equal(w.heartbeat.source, 'worker:ping');
  assert.equal(w.heartbeat.raw, value('resque:worker:ping:vm:30925').value);
  assert.equal(w.heartbeat.at.at.getTime(), 1795252119000);
  const working = value('resque:worker:vm:30925:default');
  assert.equal(w.job.raw, working.value);
  assert.equal(w.job.worker, 'vm:30925');
  assert.equal(w.job.queue, 'default');
  assert.equal(w.job.runAt.format, 'js-date');
  assert.equal(iso(w.job.runAt), '2026-11-21T09:08:38.000Z');
  // cjson's re-encoding: keys reordered, 14 significant digits, [] as {}, big ints in exponent form.
  assert.equal(
    w.job.payload.raw,
    '{"prefix":"","args":[{"empty_map":{},"pi":3.1415926535898,"s":"中\\/文","empty_list":{},"big":9.007199254741e+15,"ms":4000,"f":1.5}],' +
      '"id":"b03eed8b52eda375b793922f92e26c67","class":"SleepJob","queue_time":1795252118.7451}',
  );
  const job = w.job.payload.job;
  assert.equal(job.className, 'SleepJob');
  assert.equal(job.id, 'b03eed8b52eda375b793922f92e26c67');
  assert.equal(job.queueTime, 1795252118.7451);
  assert.equal(job.arg0.big, 9007199254741000);
  assert.deepEqual(job.arg0.empty_list, {});
  assert.equal(job.arg0.s, '中/文');
  assert.deepEqual(w.problems, []);
});

test('php-resque 2.x failure record: every field, payload bytes as PHP re-encoded them; counters', async (t) => {
  const { admin, value } = await peer(t, 'php-worker-failure');
  const failed = value('resque:failed');
  assert.equal(await admin.failureCount(), 1);
  const entries = await admin.failures();
  assert.equal(entries.length, 1);
  const [e] = entries;
  assert.equal(e.index, 0);
  assert.equal(e.raw, failed.value[0]);
  assert.equal(e.error, null);
  const f = e.failure;
  const want = failed.decoded[0];
  assert.equal(f.peer, 'php-resque');
  assert.equal(f.failedAt.raw, want.failed_at);
  assert.equal(iso(f.failedAt), '2026-11-21T09:08:00.000Z');
  assert.equal(
    f.payload.raw,
    '{"class":"FailingJob","args":[{"message":"boom \\u5931\\u8d25 \\/ \\"quoted\\""}],"id":"b5992fd4c01d30b7292d88015c24b7e9","prefix":"","queue_time":1795252080.210956}',
  );
  assert.equal(f.payload.job.id, 'b5992fd4c01d30b7292d88015c24b7e9');
  assert.deepEqual(f.payload.job.arg0, want.payload.args[0]);
  assert.equal(f.exception, 'RuntimeException');
  assert.equal(f.error, 'boom 失败 / "quoted"');
  assert.deepEqual(f.backtrace, want.backtrace);
  assert.equal(f.worker, 'vm:27355:default');
  assert.equal(f.queue, 'default');
  assert.equal(f.retriedAt, null);
  assert.deepEqual(f.fields, want);
  assert.deepEqual(f.problems, []);

  const stats = await admin.stats();
  assert.equal(stats.processed, 1);
  assert.equal(stats.failed, 1);
  assert.equal(stats.failedRecords, 1);
  assert.equal(stats.working, 0);
  assert.deepEqual(await admin.workerStats('vm:27355:default'), { processed: 1, failed: 1, statsName: 'vm:27355:default', problems: [] });
  const [w] = await admin.workers();
  assert.equal(w.job, null);
  assert.equal(w.processed, 1);
  assert.equal(w.failed, 1);
  assert.equal(w.peer, 'php-resque');
});

test('Ruby Resque failure record: %Y/%m/%d failed_at, raw UTF-8 payload; retried_at as requeue writes it', async (t) => {
  const { admin, value, r, k } = await peer(t, 'ruby-worker-failure');
  const failed = value('resque:failed');
  const [e] = await admin.failures(0, 10);
  const f = e.failure;
  assert.equal(e.raw, failed.value[0]);
  assert.equal(f.peer, 'ruby-resque');
  assert.equal(f.failedAt.raw, '2026/11/21 09:08:22 UTC');
  assert.equal(f.failedAt.format, 'ruby-failed-at');
  assert.equal(iso(f.failedAt), '2026-11-21T09:08:22.000Z');
  assert.equal(f.payload.raw, '{"class":"FailingJob","args":[{"message":"boom 失败 / \\"quoted\\""}]}');
  assert.equal(f.payload.job.flavor, 'ruby');
  assert.equal(f.exception, 'RuntimeError');
  assert.equal(f.error, 'boom 失败 / "quoted"');
  assert.deepEqual(f.backtrace, ["<PEERS_DIR>/ruby/jobs.rb:58:in `perform'"]);
  assert.equal(f.worker, 'vm:29299:default');
  assert.equal(f.queue, 'default');
  assert.equal(f.retriedAt, null);
  assert.deepEqual(f.problems, []);
  const [w] = await admin.workers();
  assert.equal(w.peer, 'ruby-resque');
  assert.equal(w.processed, 1);
  assert.equal(w.failed, 1);
  assert.equal(iso(w.heartbeat.at), '2026-11-21T09:08:22.000Z');

  // Resque::Failure.requeue(0): the record re-encoded with retried_at appended, LSET in place
  // (no capture has one; this is the record with the field added the way requeue adds it).
  await r.lset(k('failed'), 0, JSON.stringify({ ...failed.decoded[0], retried_at: '2026/11/21 09:10:05 UTC' }));
  const [again] = await admin.failures();
  assert.equal(again.failure.retriedAt.raw, '2026/11/21 09:10:05 UTC');
  assert.equal(iso(again.failure.retriedAt), '2026-11-21T09:10:05.000Z');
  assert.equal(again.failure.error, 'boom 失败 / "quoted"');
});

test('node-resque failure record: host:pid worker, JS date, its own key order; counters under host:pid', async (t) => {
  const { admin, value } = await peer(t, 'node-resque-worker-failure');
  const failed = value('resque:failed');
  const [e] = await admin.failures();
  const f = e.failure;
  assert.equal(e.raw, failed.value[0]);
  assert.equal(f.peer, 'node-resque');
  assert.equal(f.failedAt.format, 'js-date');
  assert.equal(iso(f.failedAt), '2026-11-21T09:08:43.000Z');
  assert.equal(f.payload.raw, '{"class":"FailingJob","queue":"default","args":[{"message":"boom 失败"}]}');
  assert.equal(f.payload.job.flavor, 'node');
  assert.equal(f.exception, 'Error');
  assert.equal(f.error, 'boom 失败');
  assert.deepEqual(f.backtrace, failed.decoded[0].backtrace);
  assert.equal(f.backtrace.length, 4);
  assert.equal(f.worker, 'vm:31266');
  assert.equal(f.queue, 'default');
  assert.deepEqual(f.problems, []);

  const [w] = await admin.workers();
  assert.equal(w.id, 'vm:31266:default');
  assert.equal(w.peer, 'node-resque');
  assert.equal(w.statsName, 'vm:31266');
  assert.equal(w.processed, 1);
  assert.equal(w.failed, 1);
  assert.equal(w.job, null);
  assert.equal(w.heartbeat.at.at.getTime(), 1795252124000);
  assert.deepEqual(await admin.workerStats('vm:31266:default'), { processed: 1, failed: 1, statsName: 'vm:31266', problems: [] });
  assert.deepEqual(await admin.workerStats('vm:31266'), { processed: 1, failed: 1, statsName: 'vm:31266', problems: [] });
  const stats = await admin.stats();
  assert.equal(stats.processed, 1); // node-resque counts successes only: the stored number is shown as is
  assert.equal(stats.failed, 1);
});

test('php-resque 1.x: strftime started and failed_at, payload without prefix', async (t) => {
  const success = await peer(t, 'php1-worker-success');
  const [w] = await success.admin.workers();
  assert.equal(w.peer, 'php-resque-1');
  assert.equal(w.started.format, 'strftime');
  assert.equal(iso(w.started), '2026-11-21T09:08:11.000Z');
  assert.equal(w.processed, 1);

  const failure = await peer(t, 'php1-worker-failure');
  const [e] = await failure.admin.failures();
  assert.equal(e.failure.peer, 'php-resque-1');
  assert.equal(e.failure.failedAt.raw, 'Sat Nov 21 09:08:13 UTC 2026');
  assert.equal(iso(e.failure.failedAt), '2026-11-21T09:08:13.000Z');
  assert.equal(e.failure.payload.job.flavor, 'php1');
  assert.equal(e.failure.payload.job.id, 'fda715d435593b19c557d4160ccc5eb1');
  assert.equal(e.failure.error, 'boom 失败');
});

test('Ruby dirty exits: an empty backtrace and empty args are read, not reported', async (t) => {
  const { admin, value } = await peer(t, 'ruby-worker-dirty-exit');
  const failed = value('resque:failed');
  const entries = await admin.failures();
  assert.deepEqual(entries.map((e) => e.index), [0, 1]);
  assert.deepEqual(entries.map((e) => e.raw), failed.value);
  assert.deepEqual(entries.map((e) => e.failure.exception), ['SystemExit', 'Resque::DirtyExit']);
  assert.deepEqual(entries[1].failure.backtrace, []);
  assert.deepEqual(entries[1].failure.payload.job.args, []);
  assert.equal(entries[1].failure.payload.job.arg0, null);
  assert.deepEqual(entries[1].failure.problems, []);
  assert.deepEqual((await admin.failures(1, 5)).map((e) => e.index), [1]);
  const stats = await admin.stats();
  assert.equal(stats.failedRecords, 2);
  assert.equal(stats.failed, Number(value('resque:stat:failed').value)); // 1: Ruby counts no stat for the SIGKILL
});

test('bad payloads: a failure whose payload is a bare string is reported with its bytes; peek keeps non-jobs', async (t) => {
  const node = await peer(t, 'bad-payloads-node-worker');
  const failed = node.value('resque:failed');
  const entries = await node.admin.failures();
  assert.equal(entries.length, failed.value.length);
  const bare = entries.find((e) => e.failure.payload.job === null);
  assert.ok(bare, 'the "just a string" record');
  assert.equal(bare.error, null);
  assert.equal(bare.failure.payload.raw, '"just a string"');
  assert.match(bare.failure.payload.error, /JSON string/);
  assert.ok(bare.failure.problems.some((p) => p.startsWith('"payload":')));
  assert.equal(bare.failure.error, 'No job defined for class "undefined"');
  const named = entries.find((e) => e !== bare);
  assert.equal(named.failure.payload.job.className, 'NoSuchJob');

  const ruby = await peer(t, 'bad-payloads-ruby-worker');
  const queue = ruby.value('resque:queue:default').value;
  const items = await ruby.admin.peek('default', 0, 10);
  assert.deepEqual(items.map((i) => i.index), [0, 1, 2]);
  assert.deepEqual(items.map((i) => i.raw), queue);
  assert.equal(items[0].job.className, 'NoSuchJob');
  assert.equal(items[1].job, null);
  assert.match(items[1].error, /expected a JSON object/);
  assert.equal(items[2].job.className, 'NoopJob');
  assert.equal(items[2].error, null);
});

test('queues, sizes and peek over the enqueue captures of each producer', async (t) => {
  const php = await peer(t, 'php-enqueue');
  assert.deepEqual(await php.admin.queues(), [{ name: 'default', size: 3, error: null }, { name: 'high', size: 1, error: null }]);
  assert.equal(await php.admin.size('default'), 3);
  assert.equal(await php.admin.size('nothing-here'), 0);
  const items = await php.admin.peek('default', 0, 3);
  assert.deepEqual(items.map((i) => i.raw), php.value('resque:queue:default').value);
  assert.deepEqual(items.map((i) => i.job.className), ['App\\Jobs\\SendEmail', '\\App\\Jobs\\SendEmail', 'NoopJob']);
  assert.equal(items[0].job.arg0.big_int, 9007199254740993n);
  assert.deepEqual(items[1].job.arg0.empty_map, []);
  assert.equal(items[2].job.arg0, null);
  const second = await php.admin.peek('default', 1, 1);
  assert.deepEqual(second.map((i) => [i.index, i.job.id]), [[1, '3c6407eb84eb4a8c872364b64f33b2a4']]);
  assert.deepEqual(await php.admin.peek('default', 5, 2), []);
  assert.deepEqual(await php.admin.peek('default', 0, 0), []);
  await assert.rejects(php.admin.peek('default', -1, 1), RangeError);
  const stats = await php.admin.stats();
  assert.equal(stats.pending, 4);
  assert.equal(stats.queues, 2);
  assert.equal(stats.workers, 0);
  assert.deepEqual(stats.hosts, []);

  const ruby = await peer(t, 'ruby-enqueue');
  const [rich, noop] = await ruby.admin.peek('default', 0, 2);
  assert.equal(rich.job.flavor, 'ruby');
  assert.deepEqual(rich.job.args.slice(1), [42, 'second arg']);
  assert.equal(rich.job.arg0.whole_float, 1);
  assert.match(rich.raw, /"whole_float":1\.0,/); // the bytes stay Ruby's
  assert.deepEqual(noop.job.args, []);

  const node = await peer(t, 'node-resque-enqueue');
  const [high] = await node.admin.peek('high');
  assert.equal(high.job.flavor, 'node');
  assert.equal(high.job.fields.queue, 'high');
  assert.deepEqual(high.job.arg0, { not: 'an array' });
  assert.equal((await node.admin.stats()).pending, 3);
});

test('removeFailure removes the record the caller read, even after the list moved; clearFailures', async (t) => {
  const { admin, r, k } = await peer(t, 'php-worker-failure');
  await r.rpush(k('failed'), fixtureKey(loadFixture('ruby-worker-failure'), 'resque:failed').value[0]);
  await r.rpush(k('failed'), fixtureKey(loadFixture('node-resque-worker-failure'), 'resque:failed').value[0]);
  const read = await admin.failures();
  assert.deepEqual(read.map((e) => e.failure.peer), ['php-resque', 'ruby-resque', 'node-resque']);

  assert.equal(await admin.removeFailure(1, read[1].raw), true);
  assert.deepEqual((await admin.failures()).map((e) => e.raw), [read[0].raw, read[2].raw]);

  // Someone else removed the head since we read: index 1 now holds a different record.
  await r.rpush(k('failed'), read[1].raw);
  const now = await admin.failures(); // php, node, ruby
  await r.lpop(k('failed')); // node, ruby
  assert.equal(await admin.removeFailure(1, now[1].raw), true); // node's record, now at 0
  assert.deepEqual(await r.lrange(k('failed'), 0, -1), [read[1].raw]);

  assert.equal(await admin.removeFailure(0, 'not a record we read'), false);
  assert.equal(await admin.failureCount(), 1);
  await assert.rejects(admin.removeFailure(-1, read[1].raw), RangeError);
  assert.equal(await admin.clearFailures(), 1);
  assert.equal(await admin.failureCount(), 0);
  assert.equal(await admin.clearFailures(), 0);
});

test('malformed registry, counters, queues and records are reported per item, never thrown', async (t) => {
  const { admin, r, k, ns } = await testSetup(t, redis, 'apibad').then(async (ctx) => {
    const a = new ResqueAdmin({ redis: ctx.srv.url, namespace: ctx.ns });
    t.after(() => a.close());
    return { ...ctx, admin: a };
  });
  const good = loadFixture('php-worker-failure');
  await loadInto(r, ns, good);
  await r.sadd(k('workers'), 'nonsense', 'h:notapid:q', 'h:1:q', 'h:2:q');
  await r.set(k('worker:h:1:q'), '{broken');
  await r.set(k('worker:h:1:q:started'), 'yesterday');
  await r.set(k('stat:processed:h:1:q'), 'many');
  await r.hset(k('worker:h:1:q:usage'), 'pid', '77', 'rss_mb', 'lots');
  await r.rpush(k('worker:h:2:q'), 'a list, not a string');
  await r.set(k('worker:h:2:q:started'), '2026-11-21T09:08:00+00:00');
  await r.sadd(k('workers'), 'h:3:q'); // date('c') started and a heartbeat field: what resque-ts writes before its first sample
  await r.set(k('worker:h:3:q:started'), '2026-11-21T09:08:00+00:00');
  await r.hset(k('workers:heartbeat'), 'h:3:q', '2026-11-21T09:09:00+00:00');
  await r.set(k('stat:processed'), 'x');
  await r.sadd(k('queues'), 'zq', 'bad');
  await r.zadd(k('queue:zq'), 1, 'm');
  await r.rpush(k('queue:bad'), '{not json', '{"class":"Ok","args":[]}');
  await r.rpush(k('failed'), '{not json', '[1,2]', '{"failed_at":"someday","payload":{"class":""},"backtrace":"l1\\nl2","queue":5}');

  const workers = await admin.workers();
  assert.deepEqual(workers.map((w) => w.id), ['h:1:q', 'h:2:q', 'h:3:q', 'h:notapid:q', 'nonsense', 'vm:27355:default']);
  const byId = Object.fromEntries(workers.map((w) => [w.id, w]));
  assert.deepEqual(byId['vm:27355:default'].problems, []);
  const one = byId['h:1:q'];
  assert.equal(one.job.raw, '{broken');
  assert.equal(one.job.payload, null);
  assert.equal(one.started.raw, 'yesterday');
  assert.equal(one.started.at, null);
  assert.equal(one.processed, 0);
  assert.equal(one.usage.pid, 77);
  assert.equal(one.usage.rssMb, null);
  assert.equal(one.peer, 'resque-ts'); // a usage hash is ours
  for (const re of [/worker:h:1:q is not valid JSON/, /started is not a time/, /stat:processed:h:1:q is not an integer/, /"rss_mb" is not a number/]) {
    assert.ok(one.problems.some((p) => re.test(p)), `${re} in ${JSON.stringify(one.problems)}`);
  }
  const two = byId['h:2:q'];
  assert.equal(two.job, null);
  assert.ok(two.problems.some((p) => /WRONGTYPE/.test(p)), JSON.stringify(two.problems));
  assert.equal(iso(two.started), '2026-11-21T09:08:00.000Z');
  assert.equal(two.peer, 'php-resque'); // date('c') and no heartbeat
  assert.equal(byId['h:3:q'].peer, 'resque-ts');
  assert.equal(iso(byId['h:3:q'].heartbeat.at), '2026-11-21T09:09:00.000Z');
  assert.deepEqual(byId['h:3:q'].problems, []);
  assert.equal(byId['h:notapid:q'].pid, null);
  assert.ok(byId.nonsense.problems.includes('the id is not host:pid:queues'));
  assert.equal(byId.nonsense.peer, 'unknown');

  const stats = await admin.stats();
  assert.equal(stats.workers, 6);
  assert.equal(stats.working, 2); // worker:h:1:q and worker:h:2:q exist, whatever they hold
  assert.equal(stats.processed, 0);
  assert.equal(stats.pending, 2); // queue:bad; queue:zq is not a list
  assert.deepEqual(stats.hosts, ['h', 'vm']);
  assert.ok(stats.problems.some((p) => /stat:processed is not an integer/.test(p)), JSON.stringify(stats.problems));
  assert.ok(stats.problems.some((p) => /queue:zq: WRONGTYPE/.test(p)), JSON.stringify(stats.problems));

  const queues = await admin.queues();
  assert.deepEqual(queues.map((q) => [q.name, q.size]), [['bad', 2], ['default', 0], ['zq', 0]]);
  assert.match(queues[2].error, /WRONGTYPE/);
  const items = await admin.peek('bad', 0, 5);
  assert.match(items[0].error, /not valid JSON/);
  assert.equal(items[1].job.className, 'Ok');

  const failures = await admin.failures();
  assert.equal(failures.length, 4);
  assert.equal(failures[0].failure.exception, 'RuntimeException');
  assert.match(failures[1].error, /not valid JSON/);
  assert.equal(failures[1].failure, null);
  assert.match(failures[2].error, /a JSON array, not an object/);
  const odd = failures[3].failure;
  assert.equal(odd.peer, 'unknown');
  assert.equal(odd.queue, null);
  assert.deepEqual(odd.backtrace, ['l1', 'l2']);
  for (const re of [/"failed_at" is not a time/, /"payload": .*"class"/, /"queue" should be a string/, /no "exception" field/, /"backtrace" is a string/]) {
    assert.ok(odd.problems.some((p) => re.test(p)), `${re} in ${JSON.stringify(odd.problems)}`);
  }
  assert.equal(await admin.worker('never:1:here'), null);
  await r.set(k('worker:gone:5:q:started'), '2026-11-21T09:08:00+00:00'); // left behind by a worker no longer in the set
  const gone = await admin.worker('gone:5:q');
  assert.equal(gone.registered, false);
  assert.equal(gone.pid, 5);
  assert.equal(iso(gone.started), '2026-11-21T09:08:00.000Z');
});

test('built from a Resque or an ioredis client: shares the connection and never closes it', async (t) => {
  const { srv, ns, r } = await testSetup(t, redis, 'apiconn');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  await resque.enqueue('q1', 'Noop', { a: 1 });
  const fromResque = new ResqueAdmin(resque);
  assert.equal(fromResque.keys, resque.keys);
  assert.deepEqual(await fromResque.queues(), [{ name: 'q1', size: 1, error: null }]);
  await fromResque.close();
  assert.equal(await resque.size('q1'), 1); // still connected

  const fromClient = new ResqueAdmin({ redis: r, namespace: ns });
  assert.equal((await fromClient.peek('q1'))[0].job.className, 'Noop');
  await fromClient.close();
  assert.equal(await r.ping(), 'PONG');

  const esm = await import('../dist/esm/index.mjs');
  assert.equal(esm.ResqueAdmin, ResqueAdmin);
  assert.equal(typeof esm.parseWireTime, 'function');
});

test('our own worker: workers(), stats() and failures() while it fails one job and runs a slow one', async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'apiown');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  const admin = new ResqueAdmin({ redis: srv.url, namespace: ns });
  t.after(() => admin.close());
  const failId = await resque.enqueue('default', 'Throws', { message: 'api boom 失败 / "q"' });
  const slowId = await resque.enqueue('default', 'Slow', { ms: 5000 });
  const [failRaw, slowRaw] = await r.lrange(k('queue:default'), 0, -1);
  assert.equal((await admin.stats()).pending, 2);

  const t0 = Date.now();
  const w = startWorker({ srv, ns });
  t.after(() => w.stop({ graceMs: 3000 }));
  await waitRegistered(r, ns, w.id, { worker: w });

  // While Slow runs: wait for its working-on and a usage sample of the job process.
  const me = await waitFor(async () => {
    const [x] = await admin.workers();
    return x && x.job && x.job.payload.job.id === slowId && x.usage ? x : null;
  }, { timeoutMs: 8000, what: 'the worker on Slow with a usage sample' });
  assert.equal(me.id, w.id);
  assert.equal(me.host, HOST);
  assert.equal(me.pid, w.jobPid()); // the job process is the registered worker
  assert.notEqual(me.pid, w.pid);
  assert.deepEqual(me.queues, ['default']);
  assert.equal(me.peer, 'resque-ts');
  assert.equal(me.started.format, 'iso8601');
  assert.ok(Math.abs(me.started.at.getTime() - t0) < 10000, me.started.raw);
  assert.equal(me.heartbeat.source, 'workers:heartbeat');
  assert.ok(Math.abs(me.heartbeat.at.at.getTime() - t0) < 10000, me.heartbeat.raw);
  assert.equal(me.job.queue, 'default');
  assert.equal(me.job.runAt.format, 'iso8601');
  assert.equal(me.job.payload.raw, slowRaw); // we embed the queue bytes, never re-encoded
  assert.equal(me.job.payload.job.className, 'Slow');
  assert.equal(me.processed, 1);
  assert.equal(me.failed, 1);
  assert.equal(me.statsName, w.id);
  assert.equal(typeof me.usage.pid, 'number');
  assert.equal(me.usage.pid, me.pid); // sampled by the started process, which hosts it
  assert.ok(me.usage.rssMb > 0, JSON.stringify(me.usage.raw));
  assert.ok(Math.abs(me.usage.at.getTime() - Date.now()) < 10000);
  assert.deepEqual(me.problems, []);

  const stats = await admin.stats();
  assert.deepEqual(
    { ...stats, problems: [...stats.problems] },
    { processed: 1, failed: 1, pending: 0, queues: 1, workers: 1, working: 1, failedRecords: 1, servers: [srv.address], hosts: [HOST], problems: [] },
  );
  assert.deepEqual(await admin.workerStats(w.id), { processed: 1, failed: 1, statsName: w.id, problems: [] });

  const [e] = await admin.failures();
  const f = e.failure;
  assert.equal(f.peer, 'php-resque'); // we write php-resque 2.x's record
  assert.equal(f.payload.raw, failRaw);
  assert.equal(f.payload.job.id, failId);
  assert.equal(f.exception, 'Error');
  assert.equal(f.error, 'api boom 失败 / "q"');
  assert.equal(f.worker, w.id);
  assert.equal(f.queue, 'default');
  assert.ok(f.backtrace.length > 0 && f.backtrace.every((l) => typeof l === 'string'));
  assert.ok(Math.abs(f.failedAt.at.getTime() - t0) < 10000, f.failedAt.raw);
  assert.deepEqual(f.problems, []);

  // Slow ends: idle, two processed.
  const idle = await waitFor(async () => {
    const [x] = await admin.workers();
    return x && x.job === null && x.processed === 2 ? x : null;
  }, { timeoutMs: 10000, what: 'the worker idle after Slow' });
  assert.equal(idle.failed, 1);
  assert.equal((await admin.stats()).working, 0);
});
