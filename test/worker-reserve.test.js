'use strict';
// Reserving (WIRE.md §4): strict queue priority when polling and in blocking mode, blocking
// mode waking up on a push well before INTERVAL (flag and BLOCKING= env var), the `*` wildcard
// over queues created later (worker id keeps `*`), and the CLI's refusals (no queue, bad flag).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Resque } = require('../dist');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, spawnResque, waitRegistered, tempDir, ps, scanKeys, HOST, JOBS } = require('./helpers/worker');

const redis = useRedis();

async function setup(t, name = 'wr') {
  const srv = await redis();
  const ns = uniqueNamespace(name);
  const r = srv.client();
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(async () => {
    r.disconnect();
    await resque.close();
  });
  return { srv, ns, r, resque, k: (key) => `${ns}:${key}` };
}

const readLines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** Enqueue WritesFile jobs (each appends its id to `file`); returns the ids. */
async function writers(resque, queue, file, n) {
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(await resque.enqueue(queue, 'WritesFile', { file }));
  return ids;
}

/** Wait until some client of this Redis is parked in a blocking command (the idle blocking worker). */
/**
 * The reserve passes the worker of `ns` makes on `queue` while `during` runs: every script call
 * naming the queue's key, read from a SLOWLOG that logs every command (this file's own Redis).
 */
async function reservePasses(r, ns, queue, during) {
  await r.config('SET', 'slowlog-log-slower-than', '0');
  await r.config('SET', 'slowlog-max-len', '10000');
  await r.slowlog('RESET');
  try {
    await during();
    const entries = await r.slowlog('GET', 10000);
    const key = `${ns}:queue:${queue}`;
    return entries.filter((e) => /^evalsha$/i.test(String(e[3][0])) && e[3].some((a) => String(a) === key)).length;
  } finally {
    await r.config('SET', 'slowlog-log-slower-than', '10000');
  }
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitBlocked(r, w) {
  try {
    await waitFor(async () => /cmd=(blmove|blpop|brpoplpush|blmpop)\b/i.test(await r.client('LIST')), { timeoutMs: 5000, what: 'a blocking reserve command' });
  } catch (e) {
    e.message += `\n--- worker output ---\n${w.output}`;
    throw e;
  }
}

test('polling: queues in the given order have strict priority (high before low)', async (t) => {
  const { srv, ns, resque } = await setup(t);
  const file = path.join(tempDir(), 'order.txt');
  const low = await writers(resque, 'low', file, 3); // pushed first, still after high
  const high = await writers(resque, 'high', file, 3);
  const w = startWorker({ srv, ns, queue: 'high,low', args: ['--once'] });
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null }, w.output);
  assert.deepEqual(readLines(file), [...high, ...low]);
});

for (const [label, opts] of [
  ['--blocking', { args: ['--blocking'] }],
  ['BLOCKING= (present, empty value)', { env: { BLOCKING: '' } }],
]) {
  test(`blocking mode (${label}): a job pushed to an idle worker runs within 2 s although INTERVAL is 5`, async (t) => {
    const { srv, ns, r, resque } = await setup(t);
    const file = path.join(tempDir(), 'blocking.txt');
    const w = startWorker({ srv, ns, queue: 'default', args: ['--interval=5', ...(opts.args ?? [])], env: opts.env ?? {} });
    t.after(() => w.stop({ graceMs: 1000 }));
    await waitRegistered(r, ns, w.id, { worker: w });
    await waitBlocked(r, w);
    // Idle, it waits in BLMOVE: no reserve pass at all in 1.5 s (a polling worker would make one per INTERVAL).
    assert.equal(await reservePasses(r, ns, 'default', () => pause(1500)), 0, 'no reserve pass while blocked');
    const list = await r.client('LIST');
    assert.match(list, /name=resque-blocking-0 .*cmd=blmove/, `the blocking connection waits in BLMOVE:\n${list}`);
    const t0 = Date.now();
    const [id] = await writers(resque, 'default', file, 1);
    await waitFor(() => readLines(file).includes(id), { timeoutMs: 2000, what: 'job done within 2 s' });
    assert.ok(Date.now() - t0 < 2000);
    assert.deepEqual(readLines(file), [id], 'it ran once');
    // and again, the worker is back in its blocking wait
    await waitBlocked(r, w);
    const t1 = Date.now();
    const [id2] = await writers(resque, 'default', file, 1);
    await waitFor(() => readLines(file).includes(id2), { timeoutMs: 2000, what: 'second job done within 2 s' });
    assert.ok(Date.now() - t1 < 2000);
  });
}

test('polling mode is not blocking: without BLOCKING a push to an idle worker waits for INTERVAL', async (t) => {
  // Guards the test above: it would pass for the wrong reason if polling woke up early.
  const { srv, ns, r, resque } = await setup(t);
  const file = path.join(tempDir(), 'poll.txt');
  const w = startWorker({ srv, ns, queue: 'default', args: ['--interval=2.5'] });
  t.after(() => w.stop({ graceMs: 1000 }));
  await waitRegistered(r, ns, w.id, { worker: w });
  // idle = its first pass found nothing and it sleeps INTERVAL; its process title says so
  await waitFor(() => /Waiting for default/.test(ps(w.jobPid(), 'args')), { what: 'worker title "Waiting for default"' });
  assert.doesNotMatch(await r.client('LIST'), /cmd=(blmove|blpop)/i, 'no blocking command in polling mode');
  // It polls: one reserve pass per INTERVAL (2.5 s), so one or two in 3 s, never a busy loop.
  const passes = await reservePasses(r, ns, 'default', () => pause(3000));
  assert.ok(passes >= 1 && passes <= 2, `${passes} reserve passes in 3 s with --interval=2.5`);
  const t0 = Date.now();
  const [id] = await writers(resque, 'default', file, 1);
  await waitFor(() => readLines(file).includes(id), { timeoutMs: 5000, what: 'job done after INTERVAL' });
  assert.ok(Date.now() - t0 > 1000, `picked up after a poll sleep (${Date.now() - t0} ms), not at once`);
});

test('blocking mode with two queues keeps priority for jobs already queued', async (t) => {
  const { srv, ns, r, resque } = await setup(t);
  const file = path.join(tempDir(), 'bprio.txt');
  const low = await writers(resque, 'low', file, 3);
  const high = await writers(resque, 'high', file, 3);
  const w = startWorker({ srv, ns, queue: 'high,low', args: ['--blocking', '--interval=1'] });
  t.after(() => w.stop({ graceMs: 1000 }));
  await waitFor(() => readLines(file).length === 6, { timeoutMs: 10000, what: '6 jobs done' });
  assert.deepEqual(readLines(file), [...high, ...low]);
  // then a later push to each queue, while idle, still runs
  await waitBlocked(r, w);
  const [l] = await writers(resque, 'low', file, 1);
  await waitFor(() => readLines(file).includes(l), { timeoutMs: 3000, what: 'late low job done' });
  const [h] = await writers(resque, 'high', file, 1);
  await waitFor(() => readLines(file).includes(h), { timeoutMs: 3000, what: 'late high job done' });
});

test('blocking mode, two queues: jobs arriving on both at once are not lost when the worker QUITs', async (t) => {
  // Each queue has its own BLMOVE; when both get a job at the same moment both connections move
  // one. The worker runs the high one; QUIT during it must not strand the low one in the
  // worker's in-flight list (php-resque pops just one; the other stays in its queue).
  const { srv, ns, r, k } = await setup(t);
  const file = path.join(tempDir(), 'quit.txt');
  const w = startWorker({ srv, ns, queue: 'high,low', args: ['--blocking', '--interval=5'] });
  t.after(() => w.stop({ graceMs: 1000 }));
  await waitRegistered(r, ns, w.id, { worker: w });
  await waitFor(async () => ((await r.client('LIST')).match(/cmd=blmove/gi) || []).length >= 2, { timeoutMs: 5000, what: 'two blocked BLMOVEs' });
  const slowId = 'a'.repeat(32);
  const now = Math.floor(Date.now() / 1000);
  await r.set(k(`job:${slowId}:status`), `{"status":1,"updated":${now},"started":${now},"result":null}`);
  await r.multi()
    .sadd(k('queues'), 'high', 'low')
    .rpush(k('queue:high'), `{"class":"Slow","args":[{"ms":800}],"id":"${slowId}","prefix":"","queue_time":1.5}`)
    .rpush(k('queue:low'), JSON.stringify({ class: 'WritesFile', args: [{ file, tag: 'low-job' }] }))
    .exec();
  await waitFor(async () => /"status":2/.test(await r.get(k(`job:${slowId}:status`))), { what: 'high job running' });
  assert.equal(await r.llen(k(`worker:${w.id}:inflight:low`)), 1, 'the set-up: the low job is parked in the in-flight list while the high one runs');
  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit({ timeoutMs: 8000 }), { code: 0, signal: null }, w.output);
  assert.match(await r.get(k(`job:${slowId}:status`)), /"status":4/);
  // Both connections moved one: the low job was parked (never started) when QUIT came, so it
  // goes back to queue:low, byte for byte, and does not run.
  assert.equal(readLines(file).includes('low-job'), false, 'the low job did not run after QUIT');
  assert.deepEqual(await r.lrange(k('queue:low'), 0, -1), [JSON.stringify({ class: 'WritesFile', args: [{ file, tag: 'low-job' }] })], 'the low job is back in queue:low');
  const leftovers = [];
  for (const key of (await scanKeys(r, ns)).filter((x) => x.startsWith(`${ns}:worker:`))) leftovers.push(`${key} (${await r.type(key)}) ${JSON.stringify(await r.lrange(key, 0, -1).catch(() => null))}`);
  assert.deepEqual(leftovers, [], 'no worker:* key left after a clean QUIT');
});

test('`*` works on queues created after the worker started; the worker id keeps `*`', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const file = path.join(tempDir(), 'star.txt');
  const w = startWorker({ srv, ns, queue: '*', interval: '0.2' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  assert.equal(w.id, `${HOST}:${w.jobPid()}:*`);
  assert.deepEqual(await r.smembers(k('workers')), [w.id]);
  for (const q of ['fresh', 'later-9']) {
    await r.sadd(k('queues'), q);
    await r.rpush(k(`queue:${q}`), JSON.stringify({ class: 'WritesFile', args: [{ file, tag: q }] }));
    await waitFor(() => readLines(file).includes(q), { timeoutMs: 5000, what: `job on new queue ${q}` });
  }
  // A plain success is counted with the loop's next round trip (batches), not when the job's
  // file appears: wait for the counter instead of reading it once.
  await waitFor(async () => (await r.get(k('stat:processed'))) === '2', { timeoutMs: 5000, what: 'stat:processed = 2' });
});

test('no queue: exit 1 with php-resque\'s message', async () => {
  const w = spawnResque(['start', '--redis=redis://127.0.0.1:1', `--jobs=${JOBS}`]);
  const exit = await w.waitExit();
  assert.equal(exit.code, 1, w.output);
  assert.match(w.stderr, /^Set QUEUE env var containing the list of queues to work\./m);
});

test('unknown flag: exit 2 naming it', async () => {
  const w = spawnResque(['start', '--queue=default', '--bogus-flag=3', '--redis=redis://127.0.0.1:1']);
  const exit = await w.waitExit();
  assert.equal(exit.code, 2, w.output);
  assert.match(w.stderr, /--bogus-flag/);
});
