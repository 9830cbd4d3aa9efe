'use strict';
// node-resque 9.7.1 (the real npm package) next to our worker on the same Redis namespace:
//   (a) node-resque's Queue enqueues {class, queue, args:[…]} → our worker calls
//       perform(...args) with the positional args (and this.args = args[0]);
//   (b) one queue of 200 jobs drained together by a node-resque Worker and two of our workers:
//       every job runs exactly once (none lost, none twice).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Queue, Worker } = require('node-resque');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, tempDir } = require('./helpers/worker');

const redis = useRedis();

/** Jobs folder: Echo writes {args, positional, queue} to ECHO_OUT; Append (8 ms) appends args.n to APPEND_OUT. */
function jobsDir() {
  const dir = tempDir('resque-interop-jobs-');
  fs.writeFileSync(path.join(dir, 'Echo.js'), `'use strict';
const fs = require('node:fs');
module.exports = class Echo {
  perform(...positional) {
    const r = { args: this.args, positional, queue: this.queue };
    fs.appendFileSync(process.env.ECHO_OUT, JSON.stringify(r) + '\\n');
    return r;
  }
};
`);
  fs.writeFileSync(path.join(dir, 'Append.js'), `'use strict';
const fs = require('node:fs');
module.exports = class Append {
  async perform(arg) {
    await new Promise((r) => setTimeout(r, 8));
    fs.appendFileSync(process.env.APPEND_OUT, arg.n + '\\n');
  }
};
`);
  return dir;
}

async function nodeResqueQueue(srv, ns, t) {
  const queue = new Queue({ connection: { host: '127.0.0.1', port: srv.port, namespace: ns } });
  queue.on('error', () => {});
  await queue.connect();
  t.after(() => queue.end());
  return queue;
}

const lines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

test('(a) node-resque Queue#enqueue → our worker runs perform(...args) with positional args', async (t) => {
  const srv = await redis();
  const ns = uniqueNamespace('ni');
  const jobs = jobsDir();
  const out = path.join(jobs, 'echo.out');
  const queue = await nodeResqueQueue(srv, ns, t);
  await queue.enqueue('default', 'Echo', [{ a: 1 }, 2]);
  const r = srv.client();
  t.after(() => r.disconnect());
  const raw = await r.lindex(`${ns}:queue:default`, 0);
  assert.equal(raw, '{"class":"Echo","queue":"default","args":[{"a":1},2]}', 'node-resque payload shape');

  const w = startWorker({ srv, ns, queue: 'default', jobs, args: ['--once'], env: { ECHO_OUT: out } });
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null }, w.output);
  assert.deepEqual(lines(out).map((l) => JSON.parse(l)), [{ args: { a: 1 }, positional: [{ a: 1 }, 2], queue: 'default' }]);
  assert.equal(await r.get(`${ns}:stat:processed`), '1');
  assert.equal(await r.llen(`${ns}:failed`), 0);
});

test('(b) 200 jobs drained by one node-resque Worker and two of our workers: each runs exactly once', async (t) => {
  const srv = await redis();
  const ns = uniqueNamespace('ni');
  const jobs = jobsDir();
  const ourOut = path.join(jobs, 'ours.out');
  const theirOut = path.join(jobs, 'node-resque.out');
  const r = srv.client();
  t.after(() => r.disconnect());

  // All 200 are queued first; then the three workers start and race for them. Each job takes
  // ~8 ms on both sides, so the queue lasts long enough for all three to take part.
  const queue = await nodeResqueQueue(srv, ns, t);
  const N = 200;
  await Promise.all(Array.from({ length: N }, (_, n) => queue.enqueue('race', 'Append', [{ n }])));
  assert.equal(await r.llen(`${ns}:queue:race`), N);

  const ours = [0, 1].map(() => startWorker({ srv, ns, queue: 'race', jobs, interval: '0.05', env: { APPEND_OUT: ourOut } }));
  for (const w of ours) t.after(() => w.stop());
  // node-resque starts in milliseconds, our workers boot processes: on a loaded machine it
  // could drain all 200 alone before ours arrive. Start it once ours are registered.
  for (const w of ours) await waitRegistered(r, ns, w.id, { worker: w });

  const nodeWorker = new Worker(
    { connection: { host: '127.0.0.1', port: srv.port, namespace: ns }, queues: ['race'], timeout: 20 },
    {
      Append: {
        perform: async (arg) => {
          await new Promise((res) => setTimeout(res, 8));
          fs.appendFileSync(theirOut, `${arg.n}\n`);
        },
      },
    },
  );
  const errors = [];
  nodeWorker.on('error', (e) => errors.push(e));
  nodeWorker.on('failure', (q, job, e) => errors.push(e));
  let ended = false;
  const endNodeWorker = async () => {
    if (!ended) {
      ended = true;
      await nodeWorker.end();
    }
  };
  t.after(endNodeWorker);
  await nodeWorker.connect();
  await nodeWorker.start();

  const all = () => [...lines(ourOut), ...lines(theirOut)];
  await waitFor(async () => all().length >= N && (await r.llen(`${ns}:queue:race`)) === 0, { timeoutMs: 30000, what: `${N} jobs done` });
  // let anything in flight finish before counting (both sides idle)
  await waitFor(async () => {
    const busy = await Promise.all(ours.map((w) => r.exists(`${ns}:worker:${w.id}`)));
    return busy.every((b) => b === 0) && !nodeWorker.working;
  }, { what: 'all workers idle' });
  await endNodeWorker();

  const got = all().map(Number);
  const counts = new Map();
  for (const n of got) counts.set(n, (counts.get(n) ?? 0) + 1);
  const missing = [];
  const twice = [];
  for (let n = 0; n < N; n++) {
    if (!counts.has(n)) missing.push(n);
    else if (counts.get(n) > 1) twice.push(n);
  }
  assert.deepEqual(missing, [], 'no job lost');
  assert.deepEqual(twice, [], 'no job run twice');
  assert.equal(got.length, N);
  assert.deepEqual(errors, []);
  assert.equal(await r.llen(`${ns}:failed`), 0);
  t.diagnostic(`ours: ${lines(ourOut).length}, node-resque: ${lines(theirOut).length}`);
  assert.ok(lines(ourOut).length > 0 && lines(theirOut).length > 0, 'both kinds of worker took part in the race');
  for (const w of ours) assert.ok(w.alive, 'our workers still running');
});
