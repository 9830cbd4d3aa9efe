'use strict';
// src/redis/lock.ts on a private redis-server: one holder at a time, a waiter gets it when it is
// released, a holder never deletes a lock that expired and was taken by another.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { withLock } = require('../dist/redis/lock');

const redis = useRedis();

test('one holder at a time; a second caller gives up at once, or with wait gets it after the first', async (t) => {
  const srv = await redis();
  const r = srv.client();
  t.after(() => r.disconnect());
  const key = `${uniqueNamespace('lock')}:leader`;
  let release;
  const first = withLock(r, key, 'a', () => new Promise((res) => { release = res; }).then(() => 'a done'), { ttlMs: 5000 });
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(await withLock(r, key, 'b', async () => 'b ran', { ttlMs: 5000 }), null, 'taken: gives up at once');
  const waiter = withLock(r, key, 'c', async () => 'c ran', { ttlMs: 5000, wait: true });
  setTimeout(() => release(), 150);
  assert.equal(await first, 'a done');
  assert.equal(await waiter, 'c ran');
  assert.equal(await r.exists(key), 0, 'released');
});

test('a holder whose lock expired and was taken by another does not delete the new lock', async (t) => {
  const srv = await redis();
  const r = srv.client();
  t.after(() => r.disconnect());
  const key = `${uniqueNamespace('lock')}:leader`;
  await withLock(r, key, 'slow', async () => {
    await new Promise((res) => setTimeout(res, 250)); // past its 100 ms TTL
    assert.equal(await r.set(key, 'other token', 'PX', 5000, 'NX'), 'OK', 'expired: another takes it');
  }, { ttlMs: 100 });
  assert.equal(await r.get(key), 'other token');
});
