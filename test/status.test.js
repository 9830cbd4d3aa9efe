'use strict';
// Job status tracking, php-resque's Status (WIRE.md §6): whole-value JSON packet under
// job:[PREFIX_]ID:status, created at enqueue, updated only while it exists, TTL on 3 and 4.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const lib = require('../dist');
const { Resque, JobStatus } = lib;
const { useRedis, clientSetup } = require('./helpers/redis');

const redis = useRedis();

const setup = () => clientSetup(redis);

const nowS = () => Math.floor(Date.now() / 1000);

test('trackStatus creates job:ID:status with the exact php-resque 2.x packet and no TTL', async () => {
  const t = await setup();
  try {
    const before = nowS();
    const id = await t.resque.enqueue('default', 'NoopJob', { a: 1 }, true);
    const after = nowS();
    const raw = await t.r.get(t.key(`job:${id}:status`));
    const m = /^\{"status":1,"updated":(\d+),"started":(\d+),"result":null\}$/.exec(raw);
    assert.ok(m, `packet spelled as php-resque writes it: ${raw}`);
    assert.equal(m[1], m[2], 'updated == started');
    const T = Number(m[1]);
    assert.ok(T >= before && T <= after, `T=${T} is now (${before}..${after})`);
    assert.equal(raw, `{"status":1,"updated":${T},"started":${T},"result":null}`);
    assert.equal(await t.r.type(t.key(`job:${id}:status`)), 'string');
    assert.equal(await t.r.ttl(t.key(`job:${id}:status`)), -1);
  } finally {
    await t.close();
  }
});

test('with prefix myapp the key is job:myapp_ID:status (and not job:ID:status)', async () => {
  const t = await setup();
  try {
    const id = await t.resque.enqueue('default', 'NoopJob', { a: 1 }, true, 'myapp');
    assert.match(await t.r.get(t.key(`job:myapp_${id}:status`)), /^\{"status":1,"updated":\d+,"started":\d+,"result":null\}$/);
    assert.equal(await t.r.exists(t.key(`job:${id}:status`)), 0);
    const st = t.resque.status(id, 'myapp');
    assert.equal(st.key, t.key(`job:myapp_${id}:status`));
    assert.equal(await st.get(), 1);
    assert.equal(await t.resque.status(id).get(), null, 'without the prefix it is another key');
  } finally {
    await t.close();
  }
});

test('untracked enqueue writes no status key; JobStatus reports not tracking', async () => {
  const t = await setup();
  try {
    const id = await t.resque.enqueue('default', 'NoopJob');
    assert.equal(await t.r.exists(t.key(`job:${id}:status`)), 0);
    const st = t.resque.status(id);
    assert.equal(await st.isTracking(), false);
    assert.equal(await st.get(), null);
    assert.equal(await st.fetch(), null);
  } finally {
    await t.close();
  }
});

test('JobStatus: get / isTracking / update(2) keeps started, no TTL', async () => {
  const t = await setup();
  try {
    const id = await t.resque.enqueue('default', 'NoopJob', null, true);
    const st = t.resque.status(id);
    const key = t.key(`job:${id}:status`);
    assert.equal(await st.isTracking(), true);
    assert.equal(await st.get(), JobStatus.WAITING);
    // Make `started` distinguishable from now, as if the job had been enqueued long ago.
    await t.r.set(key, '{"status":1,"updated":1000000000,"started":1000000000,"result":null}');
    const before = nowS();
    assert.equal(await st.update(JobStatus.RUNNING), true);
    const raw = await t.r.get(key);
    const m = /^\{"status":2,"updated":(\d+),"started":1000000000,"result":null\}$/.exec(raw);
    assert.ok(m, raw);
    assert.ok(Number(m[1]) >= before && Number(m[1]) <= nowS());
    assert.equal(await t.r.ttl(key), -1, 'no TTL while running');
    assert.equal(await st.get(), 2);
    const p = await st.fetch();
    assert.equal(p.status, 2);
    assert.equal(p.started, 1000000000);
    assert.equal(p.result, null);
  } finally {
    await t.close();
  }
});

test('JobStatus: update(4, result) encodes the result PHP-style and sets TTL 86400', async () => {
  const t = await setup();
  try {
    const id = await t.resque.enqueue('default', 'NoopJob', null, true);
    const st = t.resque.status(id);
    const key = t.key(`job:${id}:status`);
    await t.r.set(key, '{"status":2,"updated":1000000005,"started":1000000000,"result":null}');
    assert.equal(await st.update(JobStatus.COMPLETE, { ok: true, s: '完成', n: 1.5, big: 9007199254740993n, p: 'a/b' }), true);
    const raw = await t.r.get(key);
    const m = /^\{"status":4,"updated":(\d+),"started":1000000000,"result":(.*)\}$/.exec(raw);
    assert.ok(m, raw);
    assert.equal(m[2], '{"ok":true,"s":"\\u5b8c\\u6210","n":1.5,"big":9007199254740993,"p":"a\\/b"}');
    assert.equal(await t.r.ttl(key), 86400);
    const p = await st.fetch();
    assert.equal(p.status, 4);
    assert.deepEqual(p.result, { ok: true, s: '完成', n: 1.5, big: 9007199254740993n, p: 'a/b' });
  } finally {
    await t.close();
  }
});

test('JobStatus: update(3) sets TTL 86400; result defaults to null', async () => {
  const t = await setup();
  try {
    const id = await t.resque.enqueue('default', 'NoopJob', null, true, 'myapp');
    const st = t.resque.status(id, 'myapp');
    const key = t.key(`job:myapp_${id}:status`);
    assert.equal(await st.update(JobStatus.RUNNING), true);
    assert.equal(await t.r.ttl(key), -1);
    assert.equal(await st.update(JobStatus.FAILED), true);
    assert.match(await t.r.get(key), /^\{"status":3,"updated":\d+,"started":\d+,"result":null\}$/);
    assert.equal(await t.r.ttl(key), 86400);
    assert.equal(await st.get(), JobStatus.FAILED);
  } finally {
    await t.close();
  }
});

test('update on an untracked id does nothing and resolves false', async () => {
  const t = await setup();
  try {
    const id = await t.resque.enqueue('default', 'NoopJob');
    const st = t.resque.status(id);
    for (const code of [1, 2, 3, 4]) {
      assert.equal(await st.update(code, { x: 1 }), false, `update(${code})`);
      assert.equal(await t.r.exists(t.key(`job:${id}:status`)), 0, `no key after update(${code})`);
    }
    const ghost = t.resque.status('0123456789abcdef0123456789abcdef', 'myapp');
    assert.equal(await ghost.update(4), false);
    assert.equal(await t.r.exists(t.key('job:myapp_0123456789abcdef0123456789abcdef:status')), 0);
  } finally {
    await t.close();
  }
});

test('stop() deletes the key; later updates do not recreate it', async () => {
  const t = await setup();
  try {
    const id = await t.resque.enqueue('default', 'NoopJob', null, true);
    const st = t.resque.status(id);
    assert.equal(await st.isTracking(), true);
    await st.stop();
    assert.equal(await t.r.exists(t.key(`job:${id}:status`)), 0);
    assert.equal(await st.isTracking(), false);
    assert.equal(await st.update(2), false);
    assert.equal(await t.r.exists(t.key(`job:${id}:status`)), 0);
    assert.equal(await st.get(), null);
  } finally {
    await t.close();
  }
});

test('status constants: WAITING=1 RUNNING=2 FAILED=3 COMPLETE=4, on JobStatus and as exports', () => {
  assert.equal(JobStatus.WAITING, 1);
  assert.equal(JobStatus.RUNNING, 2);
  assert.equal(JobStatus.FAILED, 3);
  assert.equal(JobStatus.COMPLETE, 4);
  assert.equal(lib.STATUS_WAITING, 1);
  assert.equal(lib.STATUS_RUNNING, 2);
  assert.equal(lib.STATUS_FAILED, 3);
  assert.equal(lib.STATUS_COMPLETE, 4);
  assert.equal(lib.STATUS_TTL, 86400);
});

test('a status packet can be read by id from another Resque instance on the same namespace', async () => {
  const t = await setup();
  const srv = await redis();
  const other = new Resque({ redis: srv.url, namespace: t.ns });
  try {
    const id = await t.resque.enqueue('default', 'NoopJob', null, true);
    assert.equal(await other.status(id).get(), 1);
    assert.equal(await other.status(id).update(4, 'done'), true);
    assert.equal((await t.resque.status(id).fetch()).result, 'done');
  } finally {
    await other.close();
    await t.close();
  }
});
