'use strict';
// Interop: a job enqueued through our static API is read by the real node-resque 9.7.1 Queue and
// run by its Worker, which hands perform() our args object as its first argument (WIRE.md §3.2).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const NR = require('node-resque');
const { Resque } = require('../dist');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');

const redis = useRedis();

test('node-resque Worker runs a job enqueued by Resque.enqueue, receiving the args object', async () => {
  const srv = await redis();
  const ns = uniqueNamespace('interop');
  const connection = { host: '127.0.0.1', port: srv.port, namespace: ns };
  const r = srv.client();
  const performed = [];
  const failures = [];
  const errors = [];
  const queue = new NR.Queue({ connection });
  queue.on('error', (e) => errors.push(e));
  let worker;
  try {
    Resque.setBackend(srv.url);
    Resque.setNamespace(ns);
    const id = await Resque.enqueue('default', 'NodeJob', { to: 'a@b.c', n: 1 }, true);
    assert.match(id, /^[0-9a-f]{32}$/);

    // node-resque's Queue reads our queue.
    await queue.connect();
    assert.equal(await queue.length('default'), 1);
    const [queued] = await queue.queued('default', 0, -1);
    assert.equal(queued.class, 'NodeJob');
    assert.deepEqual(queued.args, [{ to: 'a@b.c', n: 1 }]);
    assert.equal(queued.id, id);

    worker = new NR.Worker(
      { connection, queues: ['default'], timeout: 50 },
      {
        NodeJob: {
          perform: async (...args) => {
            performed.push(args);
            return 'ok';
          },
        },
      },
    );
    worker.on('failure', (q, job, failure) => failures.push(failure));
    worker.on('error', (e) => errors.push(e));
    await worker.connect();
    await worker.start();

    await waitFor(() => performed.length === 1, { timeoutMs: 10000, what: 'node-resque to perform NodeJob' });
    await waitFor(async () => (await r.get(`${ns}:stat:processed`)) === '1', { what: 'stat:processed = 1' });

    assert.equal(performed[0].length, 1, 'one positional argument (args is [ $args ])');
    assert.deepEqual(performed[0][0], { to: 'a@b.c', n: 1 });
    assert.deepEqual(failures, []);
    assert.equal(await r.llen(`${ns}:queue:default`), 0, 'queue ends empty');
    assert.equal(await queue.length('default'), 0);
    assert.equal(await r.llen(`${ns}:failed`), 0);
    // node-resque does not track php-resque statuses: still WAITING.
    assert.equal(await Resque.status(id).get(), 1);
  } finally {
    if (worker) await worker.end();
    await queue.end();
    await Resque.close();
    r.disconnect();
  }
  assert.deepEqual(errors, []);
});
