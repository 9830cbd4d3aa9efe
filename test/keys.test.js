'use strict';
// The key schema (WIRE.md §2) in one place, and its Lua twin (job_keys) agreeing with it.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Keys } = require('..');
const { JOB_KEYS_LUA } = require('../dist/redis/scripts/lua-lib');
const { useRedis } = require('./helpers/redis');

const redis = useRedis();

test('key names are the ones php-resque, Ruby Resque and node-resque use', () => {
  const k = new Keys();
  assert.equal(k.ns, 'resque:');
  assert.equal(k.queues(), 'resque:queues');
  assert.equal(k.queue('default'), 'resque:queue:default');
  assert.equal(k.queueName('resque:queue:high'), 'high');
  assert.equal(k.status('abc'), 'resque:job:abc:status');
  assert.equal(k.status('abc', 'myapp'), 'resque:job:myapp_abc:status');
  assert.equal(k.jobPid('abc'), 'resque:job:abc:pid');
  assert.equal(k.failed(), 'resque:failed');
  assert.equal(k.stat('processed'), 'resque:stat:processed');
  assert.equal(k.stat('failed', 'h:1:q'), 'resque:stat:failed:h:1:q');
  assert.equal(k.workers(), 'resque:workers');
  assert.equal(k.worker('h:1:q'), 'resque:worker:h:1:q');
  assert.equal(k.workerStarted('h:1:q'), 'resque:worker:h:1:q:started');
  assert.equal(k.heartbeat(), 'resque:workers:heartbeat');
  assert.equal(k.inflight('h:1:q', 'q'), 'resque:worker:h:1:q:inflight:q');
  assert.equal(k.recoveryLock(), 'resque:resque-ts:recovering');
  assert.equal(k.delayedSchedule(), 'resque:delayed_queue_schedule');
});

test('a namespace gets its `:` appended, as php-resque does', () => {
  assert.equal(new Keys('myapp').queue('x'), 'myapp:queue:x');
  assert.equal(new Keys('myapp:').queue('x'), 'myapp:queue:x');
});

test('the Lua job_keys() builds the same status and pid keys as Keys', async () => {
  const c = (await redis()).client();
  try {
    for (const [id, prefix] of [['abc', ''], ['abc', 'myapp'], ['0123456789abcdef0123456789abcdef', 'p']]) {
      const k = new Keys('ns1');
      const lua = `${JOB_KEYS_LUA}\nlocal s, p = job_keys(ARGV[1], {id = ARGV[2], prefix = ARGV[3]})\nreturn {s, p}`;
      assert.deepEqual(await c.eval(lua, 0, k.ns, id, prefix), [k.status(id, prefix), k.jobPid(id)]);
    }
  } finally {
    c.disconnect();
  }
});
