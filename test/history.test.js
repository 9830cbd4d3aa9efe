'use strict';
// Issue 14: our history for charts and metrics, written by the scripts that settle jobs (no round
// trip of its own): per-minute counts per queue and class, all-time per-queue counters, and
// job-duration histograms per queue and class. Under resque-ts:, so peers' stat:* scans never
// see it; --no-history writes none of it. Read through ResqueAdmin.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { startWorker, testSetup, killGroup } = require('./helpers/worker');
const { waitFor } = require('./helpers/wait');
const { Resque, ResqueAdmin, DURATION_BUCKETS } = require('..');

const redis = useRedis();

async function setup(t, name) {
  const ctx = await testSetup(t, redis, name);
  const resque = new Resque({ redis: ctx.srv.url, namespace: ctx.ns });
  const admin = new ResqueAdmin({ redis: ctx.srv.url, namespace: ctx.ns });
  t.after(() => Promise.all([resque.close(), admin.close()]));
  return { ...ctx, resque, admin };
}

/** Sum of the history's minutes (the run may straddle a minute boundary). */
function total(history) {
  const out = { processed: 0, failed: 0, queues: {}, classes: {} };
  for (const m of history) {
    out.processed += m.processed;
    out.failed += m.failed;
    for (const [kind, src] of [['queues', m.queues], ['classes', m.classes]]) {
      for (const [name, c] of Object.entries(src)) {
        const e = (out[kind][name] ??= { processed: 0, failed: 0 });
        e.processed += c.processed;
        e.failed += c.failed;
      }
    }
  }
  return out;
}

for (const engine of [[], ['--in-process'], ['--jobs-per-child=1']]) {
  const name = engine[0] ?? 'default engine';
  test(`${name}: per-minute counts per queue and class, per-queue counters, duration histograms — batched, tracked and failed jobs alike`, async (t) => {
    const { srv, ns, r, k, resque, admin } = await setup(t, 'hist');
    const n = engine.includes('--jobs-per-child=1') ? 8 : 60;
    for (let i = 0; i < n; i++) await resque.enqueue('default', 'Echo', { i }); // untracked: batched
    await resque.enqueue('default', 'Echo', { tracked: true }, true);
    for (let i = 0; i < 3; i++) await resque.enqueue('default', 'Throws', { i });
    await resque.enqueue('low', 'Slow', { ms: 120 }, true);
    const w = startWorker({ srv, ns, queue: 'default,low', args: [...engine, '--once'] });
    t.after(() => w.stop());
    assert.deepEqual(await w.waitExit({ timeoutMs: 30000 }), { code: 0, signal: null });
    const h = total(await admin.history({ minutes: 5 }));
    assert.deepEqual(h.queues, { default: { processed: n + 4, failed: 3 }, low: { processed: 1, failed: 0 } });
    assert.deepEqual(h.classes, { Echo: { processed: n + 1, failed: 0 }, Throws: { processed: 3, failed: 3 }, Slow: { processed: 1, failed: 0 } });
    assert.equal(h.processed, n + 5);
    assert.equal(h.failed, 3);
    assert.equal(h.processed, Number(await r.get(k('stat:processed'))), 'the history agrees with stat:processed');
    const counters = await admin.queueCounters(['default', 'low', 'none']);
    assert.deepEqual(counters.get('default'), { processed: n + 4, failed: 3, retried: 0 });
    assert.deepEqual(counters.get('low'), { processed: 1, failed: 0, retried: 0 });
    assert.deepEqual(counters.get('none'), { processed: 0, failed: 0, retried: 0 });
    const hist = await admin.durations();
    assert.deepEqual(hist.map((x) => [x.queue, x.className, x.count]), [['default', 'Echo', n + 1], ['default', 'Throws', 3], ['low', 'Slow', 1]]);
    const slow = hist.find((x) => x.className === 'Slow');
    assert.ok(slow.sum >= 0.11 && slow.sum < 5, `Slow took ${slow.sum} s`);
    // cumulative: the 120 ms job is in every bucket from 0.25 s on, in none below 0.1 s
    const at = (b) => slow.buckets.find(([le]) => le === b)[1];
    assert.equal(at(0.1), 0);
    assert.equal(at(0.25), 1);
    assert.equal(at(Infinity), 1);
    assert.equal(slow.buckets.length, DURATION_BUCKETS.length + 1);
    for (const x of hist) for (let i = 1; i < x.buckets.length; i++) assert.ok(x.buckets[i][1] >= x.buckets[i - 1][1], 'cumulative');
    // a peer's stat:* scan does not see ours; the minute hash has a TTL
    const statKeys = await r.keys(k('stat:*'));
    assert.ok(statKeys.every((key) => !key.includes('resque-ts')), statKeys.join(' '));
    const [minuteKey] = await r.keys(k('resque-ts:history:*'));
    const ttl = await r.ttl(minuteKey);
    assert.ok(ttl > 6 * 86400 && ttl <= 7 * 86400, `TTL ${ttl}`);
  });
}

test('--no-history: nothing of ours is written; the peers\' counters still are', async (t) => {
  const { srv, ns, r, k, resque } = await setup(t, 'nohist');
  for (let i = 0; i < 20; i++) await resque.enqueue('default', 'Echo', { i });
  await resque.enqueue('default', 'Throws', {});
  const w = startWorker({ srv, ns, args: ['--once', '--no-history'] });
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
  assert.equal(await r.get(k('stat:processed')), '21');
  assert.deepEqual(await r.keys(k('resque-ts:history:*')), []);
  assert.equal(await r.exists(k('resque-ts:durations'), k('resque-ts:stat:processed:default')), 0);
});

test('a retried attempt counts processed (the last one failed), a dead worker\'s job counts failed for its queue and class', async (t) => {
  const { srv, ns, r, k, resque, admin } = await setup(t, 'hist2');
  await resque.enqueue('default', 'Throws', {});
  const w = startWorker({ srv, ns, args: ['--once', '--tries=3'] });
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
  let h = total(await admin.history({ minutes: 5 }));
  assert.deepEqual(h.classes.Throws, { processed: 3, failed: 1 });
  assert.deepEqual((await admin.queueCounters(['default'])).get('default'), { processed: 3, failed: 1, retried: 2 });
  // A worker SIGKILLed mid-job: the next one prunes it; the job fails for its queue and class.
  await resque.enqueue('slowq', 'Slow', { ms: 20000 }, true);
  const w2 = startWorker({ srv, ns, queue: 'slowq', args: ['--heartbeat-interval=1', '--prune-after=2'] });
  t.after(() => w2.stop());
  await waitFor(async () => (await r.keys(k('job:*:pid'))).length === 1, { what: 'the slow job running' });
  killGroup(w2.pid, 'SIGKILL');
  await w2.waitExit();
  const w3 = startWorker({ srv, ns, queue: 'slowq', args: ['--heartbeat-interval=1', '--prune-after=2'] });
  t.after(() => w3.stop());
  await waitFor(async () => (await r.llen(k('failed'))) === 2, { what: 'the dead worker\'s job failed', timeoutMs: 15000 });
  h = total(await admin.history({ minutes: 5 }));
  assert.deepEqual(h.queues.slowq, { processed: 1, failed: 1 });
  assert.deepEqual(h.classes.Slow, { processed: 1, failed: 1 });
  assert.equal(h.processed, Number(await r.get(k('stat:processed'))));
  assert.equal(h.failed, Number(await r.get(k('stat:failed'))));
});

test('the history reader: a minute with a hostile field or a non-number is skipped, names with ":" and "|" kept whole', async (t) => {
  const { r, k, admin } = await setup(t, 'hist3');
  const minute = Math.floor(Date.now() / 60000);
  await r.hset(k(`resque-ts:history:${minute}`), 'qp:a:b|c', '4', 'qf:a:b|c', '1', 'cp:App\\Jobs\\X', '4', 'zz:junk', '9', 'qp:bad', 'NaN');
  const [last] = (await admin.history({ minutes: 1 })).slice(-1);
  assert.deepEqual(last.queues, { 'a:b|c': { processed: 4, failed: 1 } });
  assert.deepEqual(last.classes, { 'App\\Jobs\\X': { processed: 4, failed: 0 } });
  assert.equal(last.at, minute * 60);
  await r.hset(k('resque-ts:durations'), '["q","C",3]', '2', '["q","C","sum"]', '0.5', 'not json', '1', '["q","C",99]', '5');
  const [d] = await admin.durations();
  assert.equal(d.count, 2);
  assert.equal(d.sum, 0.5);
});
