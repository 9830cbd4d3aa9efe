'use strict';
// Issue 13 (first part): retries. The attempt travels with the job (its payload's `attempt`),
// the same id and bytes; a retried attempt counts processed, never failed; onFailure and
// failed() run once, after the last attempt; delays go through the delayed queue.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { startWorker, tempDir } = require('./helpers/worker');
const { schedulerSetup } = require('./helpers/scheduler');
const { waitFor } = require('./helpers/wait');
const { retryDelay } = require('../dist/job/retry');
const { RetryError, FatalError } = require('..');

const redis = useRedis();
const lines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const status = async (r, k, id) => JSON.parse((await r.get(k(`job:${id}:status`))) ?? 'null');

for (const engine of [[], ['--in-process'], ['--jobs-per-child=1']]) {
  const name = engine[0] ?? 'default engine';
  test(`${name}: failing twice then succeeding with limit 3 — attempts 1, 2, 3 seen, COMPLETE, same id, nothing in failed`, async (t) => {
    const { srv, ns, r, resque, k } = await schedulerSetup(t, redis, 'rt1');
    const file = path.join(tempDir(), 'runs.txt');
    const id = await resque.enqueue('default', 'Retry\\Flaky', { file }, true);
    const w = startWorker({ srv, ns, args: engine });
    t.after(() => w.stop());
    await waitFor(async () => (await status(r, k, id))?.status === 4, { what: 'COMPLETE', timeoutMs: 15000 });
    assert.deepEqual(lines(file), ['attempt 1', 'attempt 2', 'attempt 3'], 'onFailure and failed() never ran');
    assert.deepEqual((await status(r, k, id)).result, { attempt: 3 });
    assert.equal(await r.llen(k('failed')), 0);
    assert.equal(await r.get(k('stat:failed')), null, 'a retried attempt is not a failure');
    await waitFor(async () => (await r.get(k('stat:processed'))) === '3', { what: 'each attempt counted processed' });
    assert.equal(await r.get(k('resque-ts:stat:retried')), '2');
    assert.equal(await r.get(k('resque-ts:stat:retried:default')), '2');
    assert.match(w.output, /Retry\\Flaky \(queue: default, attempt: 1, pid: \d+\) - Retrying .*: Error: not yet \(attempt 1\); attempt 2 in 0 s/);
    await w.waitForOutput(/attempt: 3, pid: \d+\) - Done/); // logged right after the status is written
  });
}

test('always failing with limit 2: three attempts, one record, status FAILED, onFailure and failed() once', async (t) => {
  const { srv, ns, r, resque, k } = await schedulerSetup(t, redis, 'rt2');
  const file = path.join(tempDir(), 'runs.txt');
  const id = await resque.enqueue('default', 'Retry\\AlwaysFails', { file }, true);
  const w = startWorker({ srv, ns });
  t.after(() => w.stop());
  await waitFor(async () => (await status(r, k, id))?.status === 3, { what: 'FAILED', timeoutMs: 15000 });
  assert.deepEqual(lines(file), ['attempt 1', 'attempt 2', 'attempt 3', 'onFailure', 'failed']);
  const failed = (await r.lrange(k('failed'), 0, -1)).map((f) => JSON.parse(f));
  assert.equal(failed.length, 1);
  assert.equal(failed[0].error, 'boom 3');
  assert.equal(failed[0].payload.id, id);
  assert.equal(failed[0].payload.attempt, 3, 'the record\'s payload says which attempt failed');
  assert.equal(await r.get(k('stat:failed')), '1');
  await waitFor(async () => (await r.get(k('stat:processed'))) === '3', { what: 'processed 3' });
});

test('FatalError, and an error the policy names fatal, are not retried', async (t) => {
  const { srv, ns, r, resque, k } = await schedulerSetup(t, redis, 'rt3');
  const dir = tempDir();
  const a = await resque.enqueue('default', 'Retry\\Fatal', { file: path.join(dir, 'a.txt'), kind: 'fatal' }, true);
  const b = await resque.enqueue('default', 'Retry\\Fatal', { file: path.join(dir, 'b.txt'), kind: 'range' }, true);
  const w = startWorker({ srv, ns });
  t.after(() => w.stop());
  for (const id of [a, b]) await waitFor(async () => (await status(r, k, id))?.status === 3, { what: 'FAILED', timeoutMs: 10000 });
  assert.deepEqual(lines(path.join(dir, 'a.txt')), ['attempt 1']);
  assert.deepEqual(lines(path.join(dir, 'b.txt')), ['attempt 1']);
  assert.deepEqual((await r.lrange(k('failed'), 0, -1)).map((f) => JSON.parse(f).exception).sort(), ['FatalError', 'RangeError']);
});

test('release(5): runs again at least 5 s later through the delayed queue, no failure counted, WAITING with retry_at meanwhile', async (t) => {
  const { srv, ns, r, resque, k } = await schedulerSetup(t, redis, 'rt4');
  const file = path.join(tempDir(), 'runs.txt');
  const id = await resque.enqueue('default', 'Retry\\Releases', { file, seconds: 5 }, true);
  const w = startWorker({ srv, ns, args: ['--scheduler'] });
  t.after(() => w.stop());
  await waitFor(() => lines(file).length === 1, { what: 'the first run' });
  const waiting = await waitFor(async () => { const s = await status(r, k, id); return s?.status === 1 && s.retry_at ? s : null; }, { what: 'WAITING with retry_at' });
  assert.equal(waiting.attempt, 1, 'a release is no new attempt');
  await waitFor(async () => (await status(r, k, id))?.status === 4, { what: 'COMPLETE', timeoutMs: 15000 });
  const [first, second] = lines(file).map((l) => Number(l.split(' ')[2]));
  assert.ok(second - first >= 5000, `ran again ${second - first} ms later`);
  assert.equal(await r.llen(k('failed')), 0);
  assert.equal(await r.get(k('stat:failed')), null);
});

test('worker defaults --tries=3 --retry-delay=100: a plain failing job waits in the delayed queue, its bytes kept but attempt, and comes back with the same bytes', async (t) => {
  const { srv, ns, r, resque, k } = await schedulerSetup(t, redis, 'rt5');
  const id = await resque.enqueue('default', 'Throws', { message: 'nope' }, true);
  const original = (await r.lrange(k('queue:default'), 0, -1))[0];
  const w = startWorker({ srv, ns, args: ['--tries=3', '--retry-delay=100'] });
  t.after(() => w.stop());
  // With a 100 s delay the retry waits in the delayed queue: its item is the payload's bytes + queue + attempt.
  const ts = await waitFor(async () => (await resque.delayedTimestamps())[0], { what: 'the retry scheduled', timeoutMs: 10000 });
  const [item] = await r.lrange(k(`delayed:${ts}`), 0, -1);
  assert.equal(item, `${original.slice(0, -1)},"queue":"default","attempt":2}`, 'the same bytes, plus queue and attempt');
  assert.ok(ts >= Date.now() / 1000 + 95, 'due 100 s later');
  const st = await status(r, k, id);
  assert.deepEqual([st.status, st.attempt, st.retry_at], [1, 2, ts]);
  // Made due now, the scheduler moves it back: the payload is the original bytes with "attempt":2.
  await resque.enqueueDelayedNow('default', 'Throws');
  const { startScheduler } = require('../dist/worker/scheduler');
  await w.stop();
  const { Logger } = require('../dist/log');
  const s = startScheduler({ redis: srv.url, database: undefined, namespace: ns, interval: 1, app: undefined }, new Logger({ level: 'error', format: 'text', stream: new (require('node:stream').Writable)({ write(_c, _e, d) { d(); } }) }));
  t.after(() => s.stop());
  const moved = await waitFor(async () => (await r.lrange(k('queue:default'), 0, -1))[0], { what: 'moved back' });
  assert.equal(moved, `${original.slice(0, -1)},"attempt":2}`, 'byte-identical but the attempt: class, args, id, prefix, queue_time');
});

test('InstantCMS return semantics: false retries, a string fails with that message, true is done', async (t) => {
  const { srv, ns, r, resque, k } = await schedulerSetup(t, redis, 'rt6');
  const dir = tempDir();
  const ok = await resque.enqueue('default', 'Retry\\Cms', { file: path.join(dir, 'ok.txt'), results: [false, false, true] }, true);
  const bad = await resque.enqueue('default', 'Retry\\Cms', { file: path.join(dir, 'bad.txt'), results: [false, 'the gateway refused'] }, true);
  const w = startWorker({ srv, ns });
  t.after(() => w.stop());
  await waitFor(async () => (await status(r, k, ok))?.status === 4 && (await status(r, k, bad))?.status === 3, { what: 'both settled', timeoutMs: 15000 });
  assert.deepEqual(lines(path.join(dir, 'ok.txt')), ['attempt 1', 'attempt 2', 'attempt 3']);
  assert.deepEqual(lines(path.join(dir, 'bad.txt')), ['attempt 1', 'attempt 2'], 'a string is final');
  const [rec] = (await r.lrange(k('failed'), 0, -1)).map((f) => JSON.parse(f));
  assert.equal(rec.error, 'the gateway refused');
});

test('the delay: a backoff ladder (the last step repeats), exponential, a function, jitter bounds, retryOn and RetryError', () => {
  const d = { tries: 1, retryDelay: 0 };
  const ladder = { limit: 10, backoff: [5, 300, 600, 3600, 7200] }; // Ebats' ladder
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => retryDelay(ladder, d, a, new Error('x'))), [5, 300, 600, 3600, 7200, 7200]);
  assert.deepEqual([1, 2, 3].map((a) => retryDelay({ limit: 5, delay: 2, backoff: 'exponential' }, d, a, new Error())), [2, 4, 8]);
  assert.equal(retryDelay({ limit: 5, backoff: (n, e) => n * 10 + e.message.length }, d, 2, new Error('abc')), 23);
  for (let i = 0; i < 200; i++) {
    const s = retryDelay({ limit: 1, delay: 100, jitter: 0.2 }, d, 1, new Error());
    assert.ok(s >= 80 && s <= 120, `jitter ±20 %: ${s}`);
  }
  assert.equal(retryDelay({ limit: 1, delay: 100, jitter: 0.2 }, d, 1, new Error(), () => 0), 80);
  assert.equal(retryDelay({ limit: 1, delay: 100, jitter: 0.2 }, d, 1, new Error(), () => 1), 120);
  assert.equal(retryDelay({ limit: 2 }, d, 3, new Error()), undefined, 'past the limit');
  assert.equal(retryDelay({ limit: 2, retryOn: ['TypeError'] }, d, 1, new Error()), undefined, 'not an error it retries');
  assert.equal(retryDelay({ limit: 2, retryOn: [TypeError] }, d, 1, new TypeError()), 0);
  assert.equal(retryDelay({ limit: 2, retryOn: ['TypeError'] }, d, 1, new RetryError('again')), 0, 'RetryError forces it');
  assert.equal(retryDelay({ limit: 2 }, d, 1, new FatalError('never')), undefined);
  assert.equal(retryDelay(undefined, d, 1, new Error()), undefined, 'no policy: no retry');
});

for (const [engine, who] of [[[], 'default engine: … by the host'], [['--jobs-per-child=1'], 'strict mode (a child per job): … by the worker']]) {
  test(`${who.replace('…', 'a job whose process dies (exit 3) is retried under its policy')}, same id, COMPLETE`, async (t) => {
  const { srv, ns, r, resque, k } = await schedulerSetup(t, redis, `rt7${engine.length}`);
  const file = path.join(tempDir(), 'runs.txt');
  const id = await resque.enqueue('default', 'Retry\\Crashes', { file }, true);
  const w = startWorker({ srv, ns, args: engine });
  t.after(() => w.stop());
  await waitFor(async () => (await status(r, k, id))?.status === 4, { what: 'COMPLETE', timeoutMs: 15000 });
  assert.deepEqual(lines(file), ['attempt 1', 'attempt 2']);
  assert.equal(await r.llen(k('failed')), 0);
  assert.match(w.output, /Retrying .*DirtyExitError: Job exited with exit code 3; attempt 2 in 0 s/);
  assert.equal((await status(r, k, id)).status, 4);
  assert.equal(await r.get(k('stat:failed')), null, 'the crash was no failure: it was retried');
  assert.equal(await r.get(k('resque-ts:stat:retried')), '1');
  });
}
