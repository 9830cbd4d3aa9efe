'use strict';
// enqueueBulk stopped part-way by Redis running out of memory (issue 11.6): 40,000 tracked jobs
// into a Redis with --maxmemory 4mb (noeviction). Before, the caller got a bare rejection and no
// ids while some 30,000 were in the queue, so a retry pushed those twice. Now the error names
// exactly the ids in Redis and the inputs that are not, no status key exists for a job not
// pushed, and retrying just those gives every job exactly once.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startRedis, uniqueNamespace } = require('./helpers/redis');
const { Resque, BulkEnqueueError } = require('..');

test('Redis OOM part-way: the error carries the ids pushed and the inputs not pushed; retrying those gives each job once', { timeout: 60000 }, async (t) => {
  const srv = await startRedis({ args: ['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction'] });
  t.after(() => srv.stop());
  const ns = uniqueNamespace('oom');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  const r = srv.client();
  t.after(async () => { await resque.close(); r.disconnect(); });
  const jobs = Array.from({ length: 40000 }, (_, n) => ({ class: 'Noop', args: { n, pad: 'x'.repeat(40) }, trackStatus: true }));

  const err = await resque.enqueueBulk('q', jobs).then(() => null, (e) => e);
  assert.ok(err instanceof BulkEnqueueError, `a BulkEnqueueError (got ${err})`);
  assert.match(err.cause.message, /^OOM/);
  assert.deepEqual(err.uncertain, [], 'Redis refused the chunk: nothing uncertain');
  const queued = (await r.lrange(`${ns}:queue:q`, 0, -1)).map((x) => JSON.parse(x));
  assert.ok(queued.length > 0 && queued.length < jobs.length, `stopped part-way (${queued.length} pushed)`);
  assert.deepEqual(err.pushed, queued.map((j) => j.id), 'the ids pushed are exactly those in the queue, in order');
  assert.equal(err.pushed.length + err.notPushed.length, jobs.length);
  assert.deepEqual(queued.map((j) => j.args[0].n), [...Array(queued.length).keys()], 'the first inputs went');
  assert.deepEqual(err.notPushed, Array.from({ length: jobs.length - queued.length }, (_, i) => queued.length + i), 'the rest did not');
  // no status key for a job that was not pushed: exactly one per job in the queue
  let cursor = '0';
  let statusKeys = 0;
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${ns}:job:*:status`, 'COUNT', 1000);
    cursor = next;
    statusKeys += keys.length;
  } while (cursor !== '0');
  assert.equal(statusKeys, queued.length, 'status keys only for jobs pushed');

  await r.config('SET', 'maxmemory', '0');
  const retried = await resque.enqueueBulk('q', err.notPushed.map((i) => jobs[i]));
  assert.equal(retried.length, err.notPushed.length);
  const all = (await r.lrange(`${ns}:queue:q`, 0, -1)).map((x) => JSON.parse(x).args[0].n);
  assert.equal(all.length, jobs.length, 'every job once');
  assert.deepEqual([...all].sort((a, b) => a - b), [...Array(jobs.length).keys()]);
});

test('a bulk that fits resolves every id, as before', async (t) => {
  const srv = await startRedis();
  t.after(() => srv.stop());
  const ns = uniqueNamespace('bulk');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  const r = srv.client();
  t.after(async () => { await resque.close(); r.disconnect(); });
  const ids = await resque.enqueueBulk('q', Array.from({ length: 9000 }, (_, n) => ({ class: 'Noop', args: { n } })));
  assert.equal(ids.length, 9000);
  assert.deepEqual((await r.lrange(`${ns}:queue:q`, 0, -1)).map((x) => JSON.parse(x).id), ids);
});
