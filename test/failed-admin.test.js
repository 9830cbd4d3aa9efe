'use strict';
// Issue 13 (failed-job admin): the `failed` list filled from the real peers' captures (php-resque
// 1.x/2.x, Ruby Resque, node-resque) plus our own records; references that name a record by its
// bytes; retry and remove checked against those bytes in one script.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { testSetup, spawnResque } = require('./helpers/worker');
const { loadFixture } = require('./helpers/fixtures');
const { ResqueAdmin } = require('..');

const redis = useRedis();
const CAPTURES = ['php-worker-failure', 'php-worker-dirty-exit', 'php1-worker-failure', 'ruby-worker-failure', 'node-resque-worker-failure', 'cross-php-enqueue-ruby-worker', 'bad-payloads-node-worker'];

/** Our namespace's `failed`, as the peers wrote it: every record of the captures, in order; plus one record of ours for a malformed payload. */
async function fill(t, name) {
  const ctx = await testSetup(t, redis, name);
  const records = [];
  for (const fx of CAPTURES) records.push(...loadFixture(fx).keys.find((e) => e.key === 'resque:failed').value);
  const malformed = '{"failed_at":"2026-12-03T10:00:00+00:00","payload":"{not json","exception":"InvalidPayloadError","error":"Invalid job payload: not valid JSON","backtrace":[],"worker":"vm:1:default","queue":"default"}';
  records.push(malformed);
  await ctx.r.rpush(ctx.k('failed'), ...records);
  const admin = new ResqueAdmin({ redis: ctx.srv.url, namespace: ctx.ns });
  t.after(() => admin.close());
  return { ...ctx, admin, records, malformed };
}

test('list / count / filters over every peer\'s records; refs name records by their bytes', async (t) => {
  const { admin, records } = await fill(t, 'fa1');
  assert.equal(await admin.failed.count(), records.length);
  const all = await admin.failed.list({ limit: 1000 });
  assert.deepEqual(all.map((r) => r.raw), records, 'every record, in order, byte for byte');
  assert.ok(all.every((r) => /^\d+:[0-9a-f]{16}$/.test(r.ref)));
  assert.deepEqual((await admin.failed.list({ class: 'FailingJob' })).map((r) => r.failure.peer).sort(), ['node-resque', 'php-resque', 'php-resque-1', 'ruby-resque']);
  assert.equal(await admin.failed.count({ exception: 'InvalidPayloadError' }), 1);
  assert.equal(await admin.failed.count({ search: 'ExitJob' }), 1);
  assert.equal(await admin.failed.count({ since: Date.parse('2026-12-01T00:00:00Z') / 1000 }), 1, 'only ours is from December');
  const page = await admin.failed.list({ offset: 2, limit: 2 });
  assert.deepEqual(page.map((r) => r.raw), records.slice(2, 4));
  assert.equal((await admin.failed.get(all[3].ref)).raw, records[3]);
});

test('retry re-enqueues the payload byte for byte with its id, turns a php-resque status WAITING, removes the record; twice is a no-op; --keep stamps retried_at', async (t) => {
  const { r, k, admin, records } = await fill(t, 'fa2');
  const php = (await admin.failed.list({ search: '"FailingJob"', limit: 100 })).find((x) => x.failure.peer === 'php-resque');
  const payloadRaw = php.failure.payload.raw;
  const id = php.failure.payload.job.id;
  await r.set(k(`job:${id}:status`), '{"status":3,"updated":1795252080,"started":1795252079,"result":null}', 'EX', 86400);
  const change = await admin.failed.retry(php.ref);
  assert.deepEqual(change, { done: 1, missing: 0, refused: [] });
  assert.deepEqual(await r.lrange(k('queue:default'), 0, -1), [payloadRaw], 'the embedded payload, byte for byte (id included)');
  const st = JSON.parse(await r.get(k(`job:${id}:status`)));
  assert.equal(st.status, 1, 'WAITING again: php-resque status tracking goes on');
  assert.equal(await r.ttl(k(`job:${id}:status`)), -1, 'no TTL while waiting');
  assert.equal(await admin.failed.count(), records.length - 1);
  assert.deepEqual(await admin.failed.retry(php.ref), { done: 0, missing: 1, refused: [] }, 'acting twice on one ref changes nothing');
  assert.equal(await r.llen(k('queue:default')), 1);
  // --keep: the record stays, stamped as Ruby's resque-web does.
  const ruby = (await admin.failed.list({ limit: 100 })).find((x) => x.failure?.peer === 'ruby-resque');
  await admin.failed.retry(ruby.ref, { keep: true });
  const kept = (await admin.failed.list({ limit: 100 })).find((x) => x.index === ruby.index);
  assert.match(kept.failure.retriedAt.raw, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d UTC$/);
  assert.equal(await admin.failed.clearRetried(), 1);
  assert.equal(await admin.failed.count(), records.length - 2);
});

test('a record whose payload is not a job object is refused with a reason; filters retry in bulk', async (t) => {
  const { r, k, admin, malformed } = await fill(t, 'fa3');
  const bad = (await admin.failed.list({ exception: 'InvalidPayloadError' }))[0];
  assert.equal(bad.raw, malformed);
  const change = await admin.failed.retry(bad.ref);
  assert.equal(change.done, 0);
  assert.match(change.refused[0].reason, /payload is not a job object/);
  assert.equal(await admin.failed.count({ exception: 'InvalidPayloadError' }), 1, 'kept');
  const bulk = await admin.failed.retry({ class: 'FailingJob' });
  assert.equal(bulk.done, 4);
  assert.equal(await r.llen(k('queue:default')), 4);
  assert.equal(await admin.failed.count({ class: 'FailingJob' }), 0);
});

test('a concurrent remover (resque-web: LSET + LREM by index) running while we retry never makes us act on another record', async (t) => {
  const { r, k, admin } = await fill(t, 'fa4');
  // 2,000 distinct records of ours, then refs read for all of them.
  await r.del(k('failed'));
  const mk = (i) => `{"failed_at":"2026-12-03T10:00:00+00:00","payload":{"class":"Job${i}","args":[{"i":${i}}],"id":"${String(i).padStart(32, '0')}","prefix":"","queue_time":1},"exception":"Error","error":"e${i}","backtrace":[],"worker":"w","queue":"q${i % 2}"}`;
  for (let i = 0; i < 2000; i += 500) await r.rpush(k('failed'), ...Array.from({ length: 500 }, (_, j) => mk(i + j)));
  const even = (await admin.failed.list({ queue: 'q0', limit: 5000 })).map((x) => x.ref);
  // The other admin removes the odd records by index, from the head, while we retry the even ones.
  const other = srvClient(r);
  t.after(() => other.disconnect());
  const removeOdd = (async () => {
    for (let n = 0; n < 1000; n++) {
      const items = await other.lrange(k('failed'), 0, 10);
      const at = items.findIndex((x) => /"queue":"q1"/.test(x));
      if (at < 0) break;
      await other.lset(k('failed'), at, '__resque_web_deleted__');
      await other.lrem(k('failed'), 1, '__resque_web_deleted__');
    }
  })();
  const change = await admin.failed.retry(even);
  await removeOdd;
  assert.equal(change.done + change.missing, 1000);
  assert.equal(change.done, 1000, 'every even record retried, found again where it had moved');
  const queued = await r.lrange(k('queue:q0'), 0, -1);
  assert.equal(queued.length, 1000);
  assert.ok(queued.every((p) => JSON.parse(p).args[0].i % 2 === 0), 'no odd job retried');
  assert.equal(await r.llen(k('queue:q1')), 0);
  assert.ok((await r.lrange(k('failed'), 0, -1)).every((x) => /"queue":"q1"/.test(x)), 'what is left is odd records only');
});

function srvClient(r) {
  const c = r.duplicate();
  c.on('error', () => {});
  return c;
}

test('resque failed list / show / retry / remove / clear on the command line', async (t) => {
  const { srv, ns, r, k, records } = await fill(t, 'fa5');
  const cli = async (...args) => {
    const p = spawnResque(['failed', ...args, `--redis=${srv.url}`, `--prefix=${ns}`]);
    const exit = await p.waitExit();
    return { ...exit, out: p.stdout, err: p.stderr };
  };
  const list = await cli('list', '--limit=3');
  assert.equal(list.code, 0, list.err);
  const lines = list.out.trim().split('\n');
  assert.equal(lines[0], `${records.length} failed job(s)`);
  assert.equal(lines.length, 4);
  const ref = lines[1].split(' ')[0];
  const shown = await cli('show', ref, '--json');
  assert.equal(JSON.parse(shown.out).raw, records[0]);
  assert.equal((await cli('retry')).code, 2, 'retry needs refs, a filter or --all');
  const retried = await cli('retry', ref);
  assert.match(retried.out, /retried: 1/);
  assert.match((await cli('retry', ref)).out, /retried: 0, already gone: 1/);
  assert.match((await cli('remove', '--class=ExitJob')).out, /removed: 1/);
  const json = JSON.parse((await cli('list', '--json', '--exception=InvalidPayloadError')).out);
  assert.equal(json.total, 1);
  assert.match((await cli('clear')).out, /removed: /);
  assert.equal(await r.llen(k('failed')), 0);
});
