'use strict';
// Issue 12 (first part): delayed jobs — the producer API (enqueueAt / enqueueIn / enqueueBulkAt
// and the read views) and the mover (`resque scheduler`, `resque start --scheduler`).
//   * conformance: the items we write are php-resque's bytes (php-delayed*, field by field), the
//     schedule's member = score = TS, plus the timestamps: index resque-scheduler and node-resque keep;
//   * TS is rounded up: a job never lands before the time asked for;
//   * a tracked job keeps its id end to end (status WAITING at once, 4 after a worker ran it);
//   * the mover moves items of each peer's captured format, args bytes untouched, and our worker
//     runs them with the right args; invalid items are kept; resque-scheduler's
//     delayed:last_enqueued_at hash is left alone;
//   * two movers racing, and a leader SIGKILLed mid-move: every item moved exactly once;
//   * a peer's scheduler lock held: ours stands by; ours leading holds the peers' locks.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis } = require('./helpers/redis');
const { schedulerSetup, scheduler } = require('./helpers/scheduler');
const { startWorker, spawnResque, killGroup } = require('./helpers/worker');
const { loadFixture, richArgs } = require('./helpers/fixtures');
const { waitFor } = require('./helpers/wait');
const { Resque } = require('..');

const redis = useRedis();

const setup = (t, name) => schedulerSetup(t, redis, name);


const fixtureValue = (fx, key) => fx.keys.find((e) => e.key === key)?.value;

test('enqueueAt writes php-resque\'s item bytes (php-delayed, php-delayed-builtin-2x), member = score = TS, and the timestamps: index', async (t) => {
  const { r, resque, k } = await setup(t, 'dlw');
  const php1 = loadFixture('php-delayed');
  const php2 = loadFixture('php-delayed-builtin-2x');
  // The captures' calls, replayed: [fixture, its TS, [class, args] per item in the order they were scheduled].
  const cases = [
    // php-resque-scheduler: the rich args at TS, then enqueueIn(2) twice with its default args [] (→ [[]]), same second.
    [php1, 1795252089, [['App\\Jobs\\SendEmail', richArgs()], ['NoopJob', []], ['NoopJob', []]]],
    [php1, 1795255687, [['NoopJob', { later: true }]]],
    [php2, 1795255686, [['App\\Jobs\\SendEmail', { x: '中/文', n: 1.25, o: {} }]]],
    [php2, 1795259286, [['NoopJob', []]]],
  ];
  for (const [fx, ts, jobs] of cases) {
    for (const [cls, args] of jobs) assert.match(await resque.enqueueAt(ts, 'default', cls, args), /^[0-9a-f]{32}$/);
    const theirs = fixtureValue(fx, `resque:delayed:${ts}`);
    const ours = await r.lrange(k(`delayed:${ts}`), 0, -1);
    assert.deepEqual(ours, theirs, `delayed:${ts}: the same bytes as php-resque`);
    assert.deepEqual(JSON.parse(ours[0]), JSON.parse(theirs[0]), 'field by field');
    assert.deepEqual(Object.keys(JSON.parse(ours[0])), ['class', 'args', 'queue'], 'field order');
    assert.equal(await r.zscore(k('delayed_queue_schedule'), String(ts)), String(ts), 'member = score = TS');
    for (const item of ours) assert.ok((await r.smembers(k(`timestamps:${item}`))).includes(`delayed:${ts}`), 'the timestamps: index (resque-scheduler, node-resque)');
  }
  assert.equal(await resque.delayedSize(), 6, 'jobs, not timestamps');
  assert.deepEqual(await resque.delayedTimestamps(), [1795252089, 1795255686, 1795255687, 1795259286]);
  const [peeked] = await resque.peekDelayed(1795255686);
  assert.equal(peeked.className, 'App\\Jobs\\SendEmail');
  assert.deepEqual(peeked.arg0, { x: '中/文', n: 1.25, o: {} });
  // The same item at two seconds: its index names both (resque-scheduler's shape).
  assert.deepEqual((await r.smembers(k('timestamps:{"class":"NoopJob","args":[[]],"queue":"default"}'))).sort(), ['delayed:1795252089', 'delayed:1795259286']);
  assert.equal(await r.exists(k('queue:default')), 0, 'nothing enqueued yet');
});

test('TS is rounded up (a job never runs early); enqueueIn counts from now; a Date works; bad times are refused', async (t) => {
  const { r, resque, k } = await setup(t, 'dlr');
  await resque.enqueueAt(1795252089.2, 'q', 'A');
  await resque.enqueueAt(new Date(1795252090 * 1000), 'q', 'B');
  await resque.enqueueAt(new Date(1795252090 * 1000 + 1), 'q', 'C');
  assert.deepEqual(await resque.delayedTimestamps(), [1795252090, 1795252091]);
  assert.deepEqual((await r.lrange(k('delayed:1795252090'), 0, -1)).map((i) => JSON.parse(i).class), ['A', 'B']);
  const before = Date.now() / 1000;
  await resque.enqueueIn(100.5, 'q', 'D');
  const ts = (await resque.delayedTimestamps()).at(-1);
  assert.ok(ts >= before + 100.5 && ts <= Date.now() / 1000 + 101.5, `enqueueIn(100.5) → TS ${ts}`);
  await assert.rejects(resque.enqueueAt(Number.NaN, 'q', 'E'), /Date or unix seconds/);
  await assert.rejects(resque.enqueueAt(1, '', 'E'), /Queue name/);
  await assert.rejects(resque.enqueueAt(1, 'q', ''), /class/);
});

test('the mover: a job never lands before its time, and lands within a second of it (no 5 s poll)', async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'dlm');
  const s = scheduler(t, srv, ns, ['--interval=5']);
  await s.waitForOutput('leads: moving delayed jobs');
  const at = Date.now() / 1000 + 1.3;
  const id = await resque.enqueueAt(at, 'default', 'Noop', { n: 1 }, { trackStatus: true });
  const raw = await waitFor(async () => (await r.lrange(k('queue:default'), 0, -1))[0], { what: 'the job in its queue', timeoutMs: 5000, intervalMs: 5 });
  const landed = Date.now();
  assert.ok(landed >= at * 1000, `landed ${landed - at * 1000} ms after the time asked for, never before`);
  assert.ok(landed - Math.ceil(at) * 1000 < 1000, `within a second of its TS (${landed - Math.ceil(at) * 1000} ms)`);
  const payload = JSON.parse(raw);
  assert.deepEqual(Object.keys(payload), ['class', 'args', 'id', 'prefix', 'queue_time'], 'a payload as our enqueue writes it');
  assert.equal(payload.id, id, 'a tracked job keeps its id');
  assert.equal(JSON.parse(await r.get(k(`job:${id}:status`))).status, 1, 'WAITING since it was scheduled');
  assert.equal(await resque.delayedSize(), 0);
  assert.deepEqual(await r.keys(`${ns}:delayed*`), [], 'delayed:TS and the schedule are gone');
  assert.deepEqual(await r.keys(`${ns}:timestamps:*`), [], 'the index entry is gone');
});

test('end to end: enqueueIn with trackStatus → start --scheduler moves it → the worker runs it → status 4 under the same id', async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'dle');
  const w = startWorker({ srv, ns, args: ['--scheduler'] });
  t.after(() => w.stop());
  await w.waitForOutput('leads: moving delayed jobs');
  const id = await resque.enqueueIn(1, 'default', 'Echo', { hello: '中/文' }, { trackStatus: true });
  assert.equal(await resque.status(id).get(), 1, 'WAITING from the moment it is scheduled');
  await waitFor(async () => JSON.parse((await r.get(k(`job:${id}:status`))) ?? '{}').status === 4, { what: 'status 4', timeoutMs: 10000 });
  const st = JSON.parse(await r.get(k(`job:${id}:status`)));
  assert.deepEqual(st.result.args, { hello: '中/文' });
  assert.equal(st.result.id, id);
});

test('items of every peer\'s captured format are moved with their args bytes untouched, and our worker runs them with the right args', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'dlp');
  const past = Math.floor(Date.now() / 1000) - 10;
  const items = [];
  for (const name of ['php-delayed', 'php-delayed-builtin-2x', 'ruby-delayed', 'node-resque-delayed']) {
    for (const e of loadFixture(name).keys.filter((x) => /^resque:delayed:\d+$/.test(x.key))) items.push(...e.value.map((raw) => ({ name, raw })));
  }
  // As the peers wrote them (their index too), all due; plus resque-scheduler's last_enqueued_at hash.
  for (const [i, { raw }] of items.entries()) {
    const ts = past - (i % 3);
    await r.rpush(k(`delayed:${ts}`), raw);
    await r.zadd(k('delayed_queue_schedule'), ts, ts);
    await r.sadd(k(`timestamps:${raw}`), `delayed:${ts}`);
  }
  await r.hset(k('delayed:last_enqueued_at'), 'NoopJob', '2026-12-01 10:00:00 +0000');
  const s = scheduler(t, srv, ns);
  await waitFor(async () => (await r.llen(k('queue:default'))) === items.length, { what: `${items.length} jobs in queue:default`, timeoutMs: 10000 });
  const queued = await r.lrange(k('queue:default'), 0, -1);
  // Each item's class and args bytes, as the peer wrote them, in the payload.
  const fieldBytes = (json, name) => {
    const { rawField } = require('./helpers/worker');
    return rawField(json, name);
  };
  const want = items.map(({ raw }) => `${fieldBytes(raw, 'class')}|${fieldBytes(raw, 'args')}`).sort();
  assert.deepEqual(queued.map((q) => `${fieldBytes(q, 'class')}|${fieldBytes(q, 'args')}`).sort(), want, 'class and args bytes kept');
  for (const q of queued) {
    const p = JSON.parse(q);
    assert.match(p.id, /^[0-9a-f]{32}$/);
    assert.equal(typeof p.queue_time, 'number');
  }
  assert.equal(new Set(queued.map((q) => JSON.parse(q).id)).size, queued.length, 'a fresh id each');
  assert.deepEqual(await r.keys(`${ns}:timestamps:*`), [], 'index emptied');
  assert.equal(await r.exists(k('delayed_queue_schedule')), 0);
  assert.equal(await r.hget(k('delayed:last_enqueued_at'), 'NoopJob'), '2026-12-01 10:00:00 +0000', 'resque-scheduler\'s hash left alone');
  await s.stop();
  // Our worker runs them: Echo stands in for every class, with the args it is given.
  await r.del(k('queue:default'));
  const echo = items.map(({ raw }) => raw.replace(/"class":"(?:[^"\\]|\\.)*"/, '"class":"Echo"'));
  const past2 = past - 100;
  for (const raw of echo) await r.rpush(k(`delayed:${past2}`), raw);
  await r.zadd(k('delayed_queue_schedule'), past2, past2);
  const w = startWorker({ srv, ns, args: ['--scheduler'] });
  t.after(() => w.stop());
  await waitFor(async () => Number(await r.get(k('stat:processed'))) === echo.length, { what: 'every moved job ran', timeoutMs: 15000 });
  assert.equal(await r.llen(k('failed')), 0, 'none failed');
});

test('an item that is no job object is kept in resque-ts:delayed:invalid, not dropped; the rest move', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'dli');
  const ts = Math.floor(Date.now() / 1000) - 1;
  await r.rpush(k(`delayed:${ts}`), '{not json', '{"class":"A","args":[1]}', '{"class":"B","args":[{"a":1}],"queue":"q"}');
  await r.zadd(k('delayed_queue_schedule'), ts, ts);
  const s = scheduler(t, srv, ns);
  await waitFor(async () => (await r.llen(k('queue:q'))) === 1, { what: 'the good item moved' });
  assert.deepEqual(await r.lrange(k('resque-ts:delayed:invalid'), 0, -1), ['{not json', '{"class":"A","args":[1]}']);
  await s.waitForOutput('2 delayed item(s) were not jobs');
  assert.equal(await r.exists(k(`delayed:${ts}`)), 0);
});

test('two movers racing (a leader each, forced): 6,000 items over 60 seconds move exactly once', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'dl2');
  const { moveDue } = require('../dist/store/delayed');
  const { Keys } = require('../dist/redis/keys');
  const base = Math.floor(Date.now() / 1000) - 100;
  const pipe = r.pipeline();
  for (let i = 0; i < 6000; i++) {
    const ts = base + (i % 60);
    pipe.rpush(k(`delayed:${ts}`), `{"class":"Noop","args":[{"i":${i}}],"queue":"q"}`);
    pipe.zadd(k('delayed_queue_schedule'), ts, ts);
  }
  await pipe.exec();
  // Leadership is not what makes it safe: two raw movers in parallel, each batch one atomic script.
  const keys = new Keys(ns);
  const a = srv.client();
  const b = srv.client();
  t.after(() => { a.disconnect(); b.disconnect(); });
  const now = Math.floor(Date.now() / 1000);
  const drain = async (c) => { let n = 0; for (;;) { const m = await moveDue(c, keys, now, 100); n += m.moved; if (m.moved === 0) return n; } };
  const [na, nb] = await Promise.all([drain(a), drain(b)]);
  assert.equal(na + nb, 6000);
  assert.ok(na > 0 && nb > 0, `both moved some (${na}, ${nb})`);
  const queued = await r.lrange(k('queue:q'), 0, -1);
  assert.equal(new Set(queued.map((q) => JSON.parse(q).args[0].i)).size, 6000, 'each item once');
  assert.deepEqual(await r.keys(`${ns}:delayed*`), []);
});

test('a leader SIGKILLed mid-move: the other scheduler takes over within seconds; every item moved exactly once', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'dlk');
  const s1 = scheduler(t, srv, ns);
  await s1.waitForOutput('leads: moving delayed jobs');
  const s2 = scheduler(t, srv, ns);
  await s2.waitForOutput('stands by');
  const N = 40000;
  const base = Math.floor(Date.now() / 1000) + 1;
  for (let off = 0; off < N; off += 5000) {
    const pipe = r.pipeline();
    for (let i = off; i < off + 5000; i++) {
      const ts = base + (i % 4);
      pipe.rpush(k(`delayed:${ts}`), `{"class":"Noop","args":[{"i":${i}}],"queue":"q"}`);
      pipe.zadd(k('delayed_queue_schedule'), ts, ts);
    }
    await pipe.exec();
  }
  await waitFor(async () => (await r.llen(k('queue:q'))) > 0, { what: 'the leader started moving', timeoutMs: 5000, intervalMs: 1 });
  killGroup(s1.pid, 'SIGKILL');
  const t0 = Date.now();
  await waitFor(async () => (await r.llen(k('queue:q'))) === N, { what: `all ${N} moved`, timeoutMs: 20000 });
  t.diagnostic(`the stand-by finished the move ${Date.now() - t0} ms after the kill`);
  await s2.waitForOutput('leads: moving delayed jobs');
  const queued = await r.lrange(k('queue:q'), 0, -1);
  assert.equal(new Set(queued.map((q) => JSON.parse(q).args[0].i)).size, N, 'each item exactly once');
  assert.deepEqual(await r.keys(`${ns}:delayed*`), []);
});

test('beside the peers: ours leading holds resque-scheduler\'s and node-resque\'s locks; a peer holding its lock makes ours stand by', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'dll');
  await r.set(k('resque:resque_scheduler_master_lock'), 'rubyhost:4242', 'EX', 180);
  const s = scheduler(t, srv, ns);
  await s.waitForOutput('stands by (a resque-scheduler or node-resque scheduler holds its lock)');
  const ts = Math.floor(Date.now() / 1000) - 1;
  await r.rpush(k(`delayed:${ts}`), '{"class":"Noop","args":[],"queue":"q"}');
  await r.zadd(k('delayed_queue_schedule'), ts, ts);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(await r.llen(k('queue:q')), 0, 'the peer moves, not us');
  await r.del(k('resque:resque_scheduler_master_lock')); // the Ruby scheduler stopped
  await s.waitForOutput('leads: moving delayed jobs', { timeoutMs: 5000 });
  await waitFor(async () => (await r.llen(k('queue:q'))) === 1, { what: 'moved once we lead' });
  const me = await r.get(k('resque-ts:scheduler:leader'));
  assert.match(me, /^.+:\d+$/);
  assert.equal(await r.get(k('resque:resque_scheduler_master_lock')), me, 'resque-scheduler\'s master lock is ours while we lead');
  assert.equal(await r.get(k('resque_scheduler_leader_lock')), me, 'node-resque\'s leader lock too');
  assert.ok((await r.ttl(k('resque_scheduler_leader_lock'))) > 100, 'with the 180 s they use');
  s.signal('SIGQUIT');
  assert.deepEqual(await s.waitExit(), { code: 0, signal: null });
  for (const key of ['resque-ts:scheduler:leader', 'resque:resque_scheduler_master_lock', 'resque_scheduler_leader_lock']) assert.equal(await r.exists(k(key)), 0, `${key} released`);
});

test('a Redis user restricted to the namespace schedules and moves delayed jobs (ACL LOG stays empty)', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'dla');
  await r.call('ACL', 'SETUSER', `u${ns}`, 'on', '>pw', `~${ns}:*`, '+@all');
  await r.call('ACL', 'LOG', 'RESET');
  const url = `redis://u${ns}:pw@127.0.0.1:${srv.port}`;
  const resque = new Resque({ redis: url, namespace: ns });
  t.after(() => resque.close());
  await resque.enqueueIn(0, 'q', 'Noop', { a: 1 }, { trackStatus: true });
  const s = spawnResque(['scheduler', `--redis=${url}`, `--prefix=${ns}`, '--interval=1']);
  t.after(() => s.stop());
  await waitFor(async () => (await r.llen(k('queue:q'))) === 1, { what: 'moved as the restricted user' });
  assert.deepEqual(await r.call('ACL', 'LOG'), [], 'no ACL refusal');
});

test('resque scheduler takes the shared flags only: a worker flag is a usage error (exit 2) naming it', async () => {
  const s = spawnResque(['scheduler', '--count=2']);
  assert.deepEqual(await s.waitExit(), { code: 2, signal: null });
  assert.match(s.stderr, /--count/);
});

test('removeDelayed / removeDelayedAt / enqueueDelayedNow find the items php, Ruby and node-resque wrote (decoded, not bytes), and keep the index right', async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'dlx');
  for (const name of ['php-delayed', 'php-delayed-builtin-2x', 'ruby-delayed', 'node-resque-delayed']) {
    for (const e of loadFixture(name).keys) {
      const key = e.key.replace(/^resque:/, `${ns}:`);
      if (/:delayed:\d+$/.test(key)) await r.rpush(key, ...e.value);
      else if (/:delayed_queue_schedule$/.test(key)) for (const [m, sc] of e.value) await r.zadd(key, sc, m);
      else if (/:timestamps:/.test(key)) await r.sadd(key, ...e.value);
    }
  }
  const total = await resque.delayedSize();
  assert.equal(total, 11, 'the four captures hold 11 items');
  // node-resque's {x:'中/文'} only: Ruby's item has f as well.
  assert.equal(await resque.removeDelayed('default', 'NoopJob', { x: '中/文' }), 1);
  assert.equal(await r.exists(k('timestamps:{"class":"NoopJob","queue":"default","args":[{"x":"中/文"}]}')), 0, 'its index entry went with it');
  // Ruby's two identical copies (1.0 and 1 are the same number decoded).
  assert.equal(await resque.removeDelayed('default', 'NoopJob', { x: '中/文', f: 1 }), 2);
  // A positional list (node-resque's args [1]), at its second only.
  assert.equal(await resque.removeDelayedAt(1795255713, 'default', 'NoopJob', [1]), 0, 'not at another second');
  assert.equal(await resque.removeDelayedAt(1795255714, 'default', 'NoopJob', [1]), 1);
  // Without args: every job of the class on that queue (php-resque-scheduler's and 2.x's; Ruby's class is App::Jobs::SendEmail).
  assert.equal(await resque.removeDelayed('default', 'App\\Jobs\\SendEmail'), 2);
  assert.equal(await resque.delayedSize(), total - 6);
  // Promote: moved to the current second (the captures' seconds are in the past as well: all are due).
  const before = Math.floor(Date.now() / 1000);
  assert.equal(await resque.enqueueDelayedNow('default', 'NoopJob', { later: true }), 1);
  assert.equal(await resque.removeDelayedAt(1795255687, 'default', 'NoopJob', { later: true }), 0, 'gone from its old second');
  const now = (await resque.delayedTimestamps()).filter((ts) => ts >= before);
  assert.equal(now.length, 1, 'scheduled at the current second');
  assert.equal((await resque.peekDelayed(now[0]))[0].className, 'NoopJob');
  const s = scheduler(t, srv, ns, ['--interval=5']);
  await waitFor(async () => (await r.llen(k('queue:default'))) === total - 6, { what: 'everything left moved' });
  assert.ok((await r.lrange(k('queue:default'), 0, -1)).some((q) => JSON.stringify(JSON.parse(q).args) === '[{"later":true}]'), 'the promoted job among them');
  assert.equal(await resque.delayedSize(), 0);
  void s;
});

test('beforeDelayedEnqueue (an --app hook) is told about each job before it is moved, with php-resque\'s arguments', async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'dlh');
  const fs = require('node:fs');
  const path = require('node:path');
  const { tempDir } = require('./helpers/worker');
  const dir = tempDir();
  const log = path.join(dir, 'hook.log');
  const app = path.join(dir, 'app.js');
  fs.writeFileSync(app, `const fs = require('node:fs');
module.exports = { hooks: { beforeDelayedEnqueue(queue, cls, args) { fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify([queue, cls, args]) + '\\n'); } } };`);
  await resque.enqueueIn(0, 'q', 'A', { n: 1 });
  await resque.enqueueIn(0, 'q', 'B', [1, 2]);
  const s = scheduler(t, srv, ns, [`--app=${app}`]);
  await waitFor(async () => (await r.llen(k('queue:q'))) === 2, { what: 'both moved' });
  assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)), [['q', 'A', [{ n: 1 }]], ['q', 'B', [[1, 2]]]]);
  void s;
});

test('resque-scheduler\'s and node-resque\'s captures: the same jobs scheduled by us decode field by field to their items (class, args, queue), with the index they keep', async (t) => {
  const { r, resque, k } = await setup(t, 'dlc');
  const cases = [
    ['ruby-delayed', 1795252109, 'NoopJob', { x: '中/文', f: 1 }],
    ['node-resque-delayed', 1795252115, 'NoopJob', { x: '中/文' }],
  ];
  for (const [name, ts, cls, args] of cases) {
    await resque.enqueueAt(ts, 'default', cls, args);
    const theirs = JSON.parse(fixtureValue(loadFixture(name), `resque:delayed:${ts}`)[0]);
    const [raw] = await r.lrange(k(`delayed:${ts}`), 0, -1);
    const ours = JSON.parse(raw);
    for (const field of ['class', 'args', 'queue']) assert.deepEqual(ours[field], theirs[field], `${name}: ${field}`);
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort(), `${name}: the same fields`);
    const theirIndex = loadFixture(name).keys.find((e) => e.key.startsWith('resque:timestamps:') && JSON.parse(e.key.slice('resque:timestamps:'.length)).args[0].x === args.x);
    assert.deepEqual(await r.smembers(k(`timestamps:${raw}`)), theirIndex.value, `${name}: the timestamps: index holds what theirs holds`);
  }
});

test('afterSchedule hooks get (TS, queue, class, args); resque scheduler reads php-resque\'s variables (PREFIX, REDIS_BACKEND, INTERVAL, PIDFILE)', async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'dlv');
  const seen = [];
  resque.on('afterSchedule', (...a) => { seen.push(a); });
  await resque.enqueueAt(1795252089.5, 'q', 'A', { n: 1 });
  assert.deepEqual(seen, [[1795252090, 'q', 'A', { n: 1 }]]);
  await resque.enqueueIn(0, 'q', 'B', { n: 2 });
  const path = require('node:path');
  const fs = require('node:fs');
  const { tempDir } = require('./helpers/worker');
  const pidfile = path.join(tempDir(), 'scheduler.pid');
  const s = spawnResque(['scheduler'], { env: { PREFIX: ns, REDIS_BACKEND: `127.0.0.1:${srv.port}`, INTERVAL: '1', PIDFILE: pidfile } });
  t.after(() => s.stop());
  await waitFor(async () => (await r.llen(k('queue:q'))) === 2, { what: 'both moved' });
  assert.equal(Number(fs.readFileSync(pidfile, 'utf8')), s.pid);
  assert.match(s.output, /at most 1 s between passes/);
  s.signal('SIGTERM');
  assert.deepEqual(await s.waitExit(), { code: 0, signal: null });
  assert.equal(fs.existsSync(pidfile), false, 'PIDFILE removed');
});
