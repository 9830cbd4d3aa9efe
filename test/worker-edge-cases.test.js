'use strict';
// Edge cases found in review, each pinned: unserializable results, invalid payloads that carry a
// tracked id, custom failure backends and counters, onFailure for crashes in every engine, --debug.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { startWorker, tempDir } = require('./helpers/worker');
const { Resque } = require('..');

const redis = useRedis();
const APP = path.join(__dirname, 'fixtures', 'app-backend.js');

async function setup(t) {
  const srv = await redis();
  const ns = uniqueNamespace('ed');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  return { srv, ns, resque, r: await resque.redis() };
}

async function drain(t, srv, ns, args = [], env = {}) {
  const w = startWorker({ srv, ns, args: ['--once', ...args], env });
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null }, w.output);
  return w;
}

test('a result JSON cannot hold (NaN) fails the job once; the worker goes on', async (t) => {
  const { srv, ns, resque, r } = await setup(t);
  const bad = await resque.enqueue('default', 'ReturnsNaN', {}, true);
  const good = await resque.enqueue('default', 'Noop', {}, true);
  await drain(t, srv, ns);
  assert.equal((await resque.status(bad).fetch()).status, 3);
  assert.equal((await resque.status(good).fetch()).status, 4);
  const [rec] = (await r.lrange(`${ns}:failed`, 0, -1)).map((x) => JSON.parse(x));
  assert.equal(rec.exception, 'UnserializableResultError');
  assert.match(rec.error, /cannot be stored as JSON/);
  assert.equal(await r.llen(`${ns}:queue:default`), 0, 'not put back');
});

test('an invalid payload that carries a tracked id ends FAILED with the TTL, not RUNNING forever', async (t) => {
  const { srv, ns, r } = await setup(t);
  const id = 'a'.repeat(32);
  const now = Math.floor(Date.now() / 1000);
  await r.set(`${ns}:job:${id}:status`, `{"status":1,"updated":${now},"started":${now},"result":null}`);
  await r.sadd(`${ns}:queues`, 'default');
  await r.rpush(`${ns}:queue:default`, `{"class":"Noop","args":"x","id":"${id}","prefix":""}`);
  await drain(t, srv, ns);
  assert.equal(JSON.parse(await r.get(`${ns}:job:${id}:status`)).status, 3);
  assert.ok((await r.ttl(`${ns}:job:${id}:status`)) > 86000);
  assert.equal(await r.exists(`${ns}:job:${id}:pid`), 0);
});

test('a custom failure backend gets the record, and stat:failed still counts it', async (t) => {
  const { srv, ns, resque, r } = await setup(t);
  const dir = tempDir();
  const log = path.join(dir, 'failures.jsonl');
  await resque.enqueue('default', 'Throws', { message: 'to the backend' });
  await drain(t, srv, ns, [`--app=${APP}`], { FAILURE_LOG: log });
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].error.message, 'to the backend');
  assert.equal(await r.llen(`${ns}:failed`), 0, 'not in resque:failed');
  assert.equal(await r.get(`${ns}:stat:failed`), '1');
  assert.equal(await r.get(`${ns}:stat:processed`), '1');
});

for (const [name, args] of [['default', []], ['strict', ['--jobs-per-child=1']]]) {
  test(`${name} engine: onFailure runs for a job whose process dies (DirtyExitError)`, async (t) => {
    const { srv, ns, resque } = await setup(t);
    const dir = tempDir();
    const hookLog = path.join(dir, 'hooks.log');
    await resque.enqueue('default', 'ExitNonZero', { code: 3 });
    await drain(t, srv, ns, [`--app=${APP}`, ...args], { HOOK_LOG: hookLog, FAILURE_LOG: path.join(dir, 'f.jsonl') });
    assert.match(fs.readFileSync(hookLog, 'utf8'), /^onFailure DirtyExitError \d+$/m);
  });
}

test('--debug prints the payload of each job', async (t) => {
  const { srv, ns, resque } = await setup(t);
  await resque.enqueue('default', 'Noop', { marker: 'debug-me' });
  const w = await drain(t, srv, ns, ['--debug']);
  assert.match(w.output, /\[debug\] .*Payload: .*debug-me/);
});
