'use strict';
// Hand-pushed bad queue items (WIRE.md §10), then a good job. Every bad item must end up in
// `failed` with its RAW bytes (non-object payloads as a JSON string equal to the bytes; object
// payloads embedded verbatim), a clear error, counted in stat:failed; the good job completes;
// the worker is still registered and alive.
//
// Outcome table vs the reference workers (bad-payloads-*.json fixtures, first four items):
//   item                                      php-resque 2.x              ours
//   {not json                                 LPOPed, silently dropped    failure (InvalidPayloadError)
//   "just a string"                           LPOPed, silently dropped    failure (InvalidPayloadError)
//   {"class":"NoSuchJob","args":[{"a":1}]}    failure "Could not find     failure, same error text, then
//                                              job class NoSuchJob."       "Looked in DIR for …"
//   {"class":"NoopJob",…} (good)              runs                        runs
// (Ruby exits on `{not json`; node-resque loses it.) php counts stat:processed 2 / stat:failed 1
// there; we count every item processed and every bad one failed. The other items below
// ({"args":[]}, {"class":5}, [1,2], {"class":"Noop","args":"x"}) are beyond the fixtures.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { loadFixture } = require('./helpers/fixtures');
const { startWorker, waitRegistered, rawField, DATE_C, JOBS } = require('./helpers/worker');

const redis = useRedis();

/** [raw bytes, is a JSON object, expected error (RegExp or exact string)] */
const BAD = [
  ['{not json', false, /not valid JSON/],
  ['"just a string"', false, /JSON object/],
  ['{"class":"NoSuchJob","args":[{"a":1}]}', true, `Could not find job class NoSuchJob. Looked in ${JOBS} for NoSuchJob.{js,cjs,mjs,ts,cts,mts}.`],
  ['{"args":[]}', true, /"class"/],
  ['{"class":5}', true, /"class"/],
  ['[1,2]', false, /JSON object/],
  ['{"class":"Noop","args":"x"}', true, /"args"/],
];

test('php-resque\'s capture, replayed on our worker: the unknown class is recorded as php records it; the two items php drops silently are recorded too (counted once each)', async (t) => {
  const php = loadFixture('bad-payloads-php-worker');
  const phpValue = (key) => php.keys.find((e) => e.key === key)?.value;
  const phpFailed = phpValue('resque:failed');
  // The capture's calls: RPUSH '{not json' '{"class":"NoSuchJob",…}' '"just a string"' '{"class":"NoopJob",…}'.
  const items = ['{not json', '{"class":"NoSuchJob","args":[{"a":1}]}', '"just a string"', '{"class":"Noop","args":[{"last":true}]}'];
  const dropped = 2; // what php-resque LPOPs and drops without a trace: the malformed JSON and the JSON string
  const srv = await redis();
  const ns = uniqueNamespace('wbp');
  const r = srv.client();
  t.after(() => r.disconnect());
  const k = (key) => `${ns}:${key}`;
  await r.sadd(k('queues'), 'default');
  await r.rpush(k('queue:default'), ...items);
  const w = startWorker({ srv, ns, queue: 'default' });
  t.after(() => w.stop());
  await waitFor(async () => (await r.get(k('stat:processed'))) === String(Number(phpValue('resque:stat:processed')) + dropped),
    { what: `processed = php's ${phpValue('resque:stat:processed')} + the ${dropped} it drops`, timeoutMs: 15000 });
  const failed = await r.lrange(k('failed'), 0, -1);
  assert.equal(failed.length, phpFailed.length + dropped, 'php\'s one record, plus one per dropped item');
  assert.equal(await r.get(k('stat:failed')), String(Number(phpValue('resque:stat:failed')) + dropped));
  // The record both write, the unknown class: same payload bytes, and php's error as our prefix.
  const ours = failed.find((f) => JSON.parse(f).payload?.class === 'NoSuchJob');
  assert.ok(ours, 'a record for the unknown class');
  assert.equal(rawField(ours, 'payload'), rawField(phpFailed[0], 'payload'), 'payload bytes as php records them');
  assert.ok(JSON.parse(ours).error.startsWith(JSON.parse(phpFailed[0]).error), `php's error first: ${JSON.parse(ours).error}`);
  // The items php drops: recorded with their bytes (a JSON string of them), nothing lost.
  assert.deepEqual(failed.map((f) => JSON.parse(f).payload).filter((p) => typeof p === 'string').sort(), ['"just a string"', '{not json'].sort());
  assert.equal(await r.llen(k('queue:default')), 0, 'the queue is drained, as php drains it');
  assert.equal(await r.sismember(k('workers'), w.id), 1, 'the worker keeps running, as php\'s does');
});

test('bad payloads are failed with their raw bytes and a clear error; the good job runs; the worker lives', async (t) => {
  const srv = await redis();
  const ns = uniqueNamespace('wbi');
  const r = srv.client();
  t.after(() => r.disconnect());
  const k = (key) => `${ns}:${key}`;
  const w = startWorker({ srv, ns, queue: 'default' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });

  const good = '{"class":"Noop","args":[{"last":true}],"id":"0123456789abcdef0123456789abcdef","prefix":"","queue_time":1795252130.1}';
  const now = Math.floor(Date.now() / 1000);
  await r.set(k('job:0123456789abcdef0123456789abcdef:status'), `{"status":1,"updated":${now},"started":${now},"result":null}`);
  await r.sadd(k('queues'), 'default');
  await r.rpush(k('queue:default'), ...BAD.map(([raw]) => raw), good);

  try {
    await waitFor(async () => JSON.parse(await r.get(k('job:0123456789abcdef0123456789abcdef:status'))).status === 4,
      { timeoutMs: 15000, what: 'the good job completes' });
  } catch (e) {
    e.message += `\n--- failed: ${JSON.stringify(await r.lrange(k('failed'), 0, -1))}\n--- output ---\n${w.output}`;
    throw e;
  }
  assert.match(await r.get(k('job:0123456789abcdef0123456789abcdef:status')), /"result":\{"last":true\}\}$/);

  const failed = await r.lrange(k('failed'), 0, -1);
  assert.equal(failed.length, BAD.length, `one record per bad item: ${JSON.stringify(failed, null, 1)}`);
  const problems = [];
  BAD.forEach(([raw, isObject, error], i) => {
    const rec = failed[i];
    const o = JSON.parse(rec);
    const where = `item ${i} ${raw}`;
    try {
      assert.deepEqual(Object.keys(o), ['failed_at', 'payload', 'exception', 'error', 'backtrace', 'worker', 'queue'], `${where}: fields`);
      assert.match(o.failed_at, DATE_C);
      if (isObject) {
        assert.equal(rawField(rec, 'payload'), raw, `${where}: object payload embedded verbatim`);
      } else {
        assert.equal(o.payload, raw, `${where}: payload is a JSON string equal to the raw bytes`);
      }
      assert.equal(typeof o.exception, 'string');
      assert.ok(o.exception.length > 0, `${where}: exception named`);
      if (typeof error === 'string') assert.equal(o.error, error, `${where}: error`);
      else assert.match(o.error, error, `${where}: error`);
      assert.ok(Array.isArray(o.backtrace));
      assert.equal(o.worker, w.id);
      assert.equal(o.queue, 'default');
    } catch (e) {
      problems.push(`${e.message}\n    record: ${rec}`);
    }
  });
  assert.deepEqual(problems, [], problems.join('\n'));

  assert.equal(await r.get(k('stat:failed')), String(BAD.length), 'stat:failed counts every bad item');
  assert.equal(await r.get(k(`stat:failed:${w.id}`)), String(BAD.length));
  await waitFor(async () => (await r.get(k('stat:processed'))) === String(BAD.length + 1), { what: 'processed = all items' });
  assert.equal(await r.llen(k('queue:default')), 0);
  assert.ok(w.alive, 'worker process alive');
  assert.equal(await r.sismember(k('workers'), w.id), 1, 'worker still registered');
  assert.equal(await r.exists(k(`worker:${w.id}`)), 0, 'worker idle');
});
