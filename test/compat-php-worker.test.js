'use strict';
// Our worker replays the php-resque 2.x worker scenarios captured in test/fixtures/peers
// (php-worker-success, -after-quit, -failure, -dont-perform, -dirty-exit): the same payloads
// (the fixtures' own job ids and, where the fixture keeps them, their exact bytes) are pushed,
// the same job classes are provided as small JS files in a temp jobs folder, and afterwards the
// whole namespace is dumped (SCAN) into the fixture shape and compared FIELD BY FIELD:
//   * same key set, once our worker id is mapped onto the fixture's (`vm:27107:default`);
//     the keys we add are Ruby Resque's `workers:heartbeat` hash (one field per live worker)
//     and, while a job runs, our `worker:WID:inflight:QUEUE` list (the exact payload bytes) and
//     `worker:WID:usage` hash — all gone with the worker (the after-quit key set is identical);
//   * same types, same TTL class (-1, or the 86400 s of a finished status);
//   * counters equal; status packets byte-equal except `updated`/`started`;
//   * failure records: same field order, failed_at in date('c'), payload byte-identical,
//     `error` byte-identical to PHP's spelling (\u5931\u8d25, \/, \"), backtrace an array of
//     strings, worker = our id, queue equal. `exception` differs by design — we write the JS
//     class name: 'Error' for a thrown Error (php: RuntimeException) and 'DirtyExitError' for a
//     child exiting non-zero or killed (php: Resque\Exceptions\DirtyExitException); for a child
//     killed by TERM our `error` names the signal where php says "Job exited abnormally".
// Also php-worker-working.json (while a job runs) and php-worker-term-during-job.json.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { loadFixture } = require('./helpers/fixtures');
const { startWorker, waitRegistered, dumpNamespace, rawField, tempDir, ROOT, DATE_C } = require('./helpers/worker');

const redis = useRedis();

/** The exception names we write, by php-resque's (documented above). */
const OUR_EXCEPTION = {
  RuntimeException: 'Error',
  'Resque\\Exceptions\\DirtyExitException': 'DirtyExitError',
};
/** Keys we write that php-resque does not; each is checked, then left out of the comparison. */
const ADDITIVE = [
  { // Ruby Resque's heartbeat hash: only our live worker, an ISO-8601 time
    re: /^resque:workers:heartbeat$/,
    check(row, { ourWid }) {
      assert.equal(row.type, 'hash');
      assert.deepEqual(Object.keys(row.value), [ourWid], 'heartbeat only for the live worker');
      assert.match(row.value[ourWid], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    },
  },
  { // ours: the job being worked, exact bytes, until it is finished
    re: /^resque:worker:.*:inflight:default$/,
    check(row, { ourWid, inflight }) {
      assert.equal(row.key, `resque:worker:${ourWid}:inflight:default`);
      assert.equal(row.type, 'list');
      assert.deepEqual(row.value, inflight ?? ['<no job expected in flight>']);
    },
  },
  { // ours: resource sample of the job's child
    re: /^resque:worker:.*:usage$/,
    check(row, { ourWid }) {
      assert.equal(row.key, `resque:worker:${ourWid}:usage`);
      assert.equal(row.type, 'hash');
    },
  },
  { // ours: this minute's history (a hash with a TTL), under resque-ts: where no stat:* scan looks
    re: /^resque:resque-ts:history:\d+$/,
    check(row) {
      assert.equal(row.type, 'hash');
      assert.ok(row.ttl > 0, 'a TTL');
      for (const [f, v] of Object.entries(row.value)) assert.match(`${f}=${v}`, /^(qp|qf|cp|cf):.+=\d+$/);
    },
  },
  { // ours: the job-duration histograms
    re: /^resque:resque-ts:durations$/,
    check(row) {
      assert.equal(row.type, 'hash');
      for (const f of Object.keys(row.value)) assert.ok(Array.isArray(JSON.parse(f)), f);
    },
  },
  { // ours: per-queue counters
    re: /^resque:resque-ts:stat:(processed|failed|retried):default$/,
    check(row) {
      assert.equal(row.type, 'string');
      assert.match(row.value, /^\d+$/);
    },
  },
];

/** Job classes equivalent to the ones the fixtures were captured with (peers/php/jobs). */
function phpJobsDir() {
  const dir = tempDir('resque-compat-jobs-');
  const write = (rel, src) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), `'use strict';\n${src}\n`);
  };
  write('NoopJob.js', `module.exports = class NoopJob {
  perform() { return this.args && typeof this.args === 'object' && 'return' in this.args ? this.args.return : null; }
};`);
  write('SleepJob.js', `module.exports = class SleepJob {
  async perform() { await new Promise((r) => setTimeout(r, this.args.ms)); }
};`);
  write('App/Jobs/SendEmail.js', 'module.exports = class SendEmail { perform() {} };');
  write('FailingJob.js', 'module.exports = class FailingJob { perform() { throw new Error(this.args.message); } };');
  write('ExitJob.js', 'module.exports = class ExitJob { perform() { process.exit(this.args.code); } };');
  write('SkipJob.js', `const { DontPerform } = require(${JSON.stringify(path.join(ROOT, 'dist'))});
module.exports = class SkipJob {
  setUp() { throw new DontPerform('skip'); }
  perform() { throw new Error('perform must not run'); }
};`);
  return dir;
}

async function setup(t) {
  const srv = await redis();
  const ns = uniqueNamespace('cp');
  const r = srv.client();
  t.after(() => r.disconnect());
  return { srv, ns, r, k: (key) => `${ns}:${key}`, jobs: phpJobsDir() };
}

const entry = (fx, re) => fx.keys.find((e) => re.test(e.key));
const idOfStatusKey = (key) => /job:([0-9a-f]{32}):status$/.exec(key)[1];
const fixtureWorkerId = (fx) => entry(fx, /^resque:workers$/)?.value[0];

/** What php-resque's enqueue writes: status 1 (when tracked) + SADD + RPUSH. */
async function pushPhp(r, ns, raw, { track }) {
  if (track) {
    const id = JSON.parse(raw).id;
    const now = Math.floor(Date.now() / 1000);
    await r.set(`${ns}:job:${id}:status`, `{"status":1,"updated":${now},"started":${now},"result":null}`);
  }
  await r.sadd(`${ns}:queues`, 'default');
  await r.rpush(`${ns}:queue:default`, raw);
}

const phpPayload = (cls, arg0, id) =>
  `{"class":${JSON.stringify(cls)},"args":[${arg0}],"id":"${id}","prefix":"","queue_time":${(Date.now() / 1000).toFixed(6).replace(/0+$/, '')}}`;

/** Wait until `n` jobs are processed and the worker is idle (no working-on key). */
async function waitProcessed(r, k, w, n) {
  try {
    await waitFor(async () => (await r.get(k('stat:processed'))) === String(n) && (await r.exists(k(`worker:${w.id}`))) === 0
      && (await r.llen(k('queue:default'))) === 0, { timeoutMs: 15000, what: `${n} jobs processed, worker idle` });
  } catch (e) {
    e.message += `\n--- worker output ---\n${w.output}`;
    throw e;
  }
}

const normTimes = (packet) => packet.replace(/"(updated|started)":\d+/g, '"$1":0');
const ttlClass = (ttl) => (ttl === -1 ? 'none' : ttl > 86390 && ttl <= 86400 ? '86400' : `other(${ttl})`);

/** Compare one of our failure records (raw) with the fixture's (raw), field by field. */
function compareFailure(ours, theirs, { ourWid, fixWid, label, errorDiffers }) {
  const o = JSON.parse(ours);
  const p = JSON.parse(theirs);
  assert.deepEqual(Object.keys(o), Object.keys(p), `${label}: field order`);
  assert.match(o.failed_at, DATE_C, `${label}: failed_at`);
  assert.match(p.failed_at, DATE_C);
  assert.equal(rawField(ours, 'payload'), rawField(theirs, 'payload'), `${label}: payload bytes`);
  assert.equal(o.exception, OUR_EXCEPTION[p.exception] ?? p.exception, `${label}: exception (php: ${p.exception})`);
  if (errorDiffers) assert.match(o.error, errorDiffers, `${label}: error (php: ${p.error})`);
  else assert.equal(rawField(ours, 'error'), rawField(theirs, 'error'), `${label}: error bytes identical to PHP's`);
  assert.ok(Array.isArray(o.backtrace) && o.backtrace.every((l) => typeof l === 'string'), `${label}: backtrace strings`);
  assert.equal(o.worker, ourWid);
  assert.equal(p.worker, fixWid);
  assert.equal(o.queue, p.queue);
}

/**
 * Dump our namespace and compare with a fixture. `ourWid` is mapped onto the fixture's worker
 * id in key names; `extra` lists the additive keys allowed (and checked) in this state.
 */
/**
 * `deadWid`: the job ended its job process, which was our registered worker (php-resque's worker
 * survives its forked child): the failure names that id, its per-worker counters left with it,
 * and the registry holds the next job process under `ourWid` (README "What changes for php-resque users").
 */
async function compareWithFixture(r, ns, fx, { ourWid, fixWid, label, inflight, errorDiffers, deadWid }) {
  const ours = await dumpNamespace(r, ns);
  const map = (key) => (ourWid && fixWid ? key.split(ourWid).join(fixWid) : key);
  const byKey = new Map();
  for (const row of ours) {
    const add = ADDITIVE.find((a) => a.re.test(row.key));
    if (add) {
      try {
        add.check(row, { ourWid, inflight });
      } catch (e) {
        e.message = `${label}: additive key ${row.key}: ${e.message}`;
        throw e;
      }
      continue;
    }
    byKey.set(map(row.key), row);
  }
  const wanted = deadWid ? fx.keys.filter((e) => !/^resque:stat:(processed|failed):/.test(e.key)) : fx.keys;
  const fixKeys = wanted.map((e) => e.key);
  assert.deepEqual([...byKey.keys()].sort(), [...fixKeys].sort(), `${label}: key set`);
  for (const want of wanted) {
    const got = byKey.get(want.key);
    const what = `${label}: ${want.key}`;
    assert.equal(got.type, want.type, `${what} type`);
    assert.equal(ttlClass(got.ttl), ttlClass(want.ttl), `${what} TTL class`);
    if (/:stat:/.test(want.key)) {
      assert.equal(got.value, want.value, `${what} counter`);
    } else if (/^resque:job:.*:status$/.test(want.key)) {
      assert.equal(normTimes(got.value), normTimes(want.value), `${what} status packet`);
    } else if (/^resque:worker:.*:started$/.test(want.key)) {
      assert.match(got.value, DATE_C, what);
      assert.match(want.value, DATE_C);
    } else if (want.key === 'resque:workers') {
      assert.deepEqual(got.value.map(map), want.value, what);
    } else if (want.key === 'resque:failed') {
      assert.equal(got.value.length, want.value.length, `${what} length`);
      got.value.forEach((rec, i) => compareFailure(rec, want.value[i], { ourWid: deadWid ?? ourWid, fixWid, label: `${what}[${i}]`, errorDiffers }));
    } else if (/^resque:worker:[^:]+:\d+:[^:]*$/.test(want.key)) {
      // working-on: {"queue","run_at","payload"}, run_at date('c'), payload bytes as in the fixture
      const re = /^\{"queue":("[^"]*"),"run_at":"([^"]*)","payload":(.*)\}$/s;
      const [, gq, grun, gp] = re.exec(got.value) ?? [];
      const [, wq, , wp] = re.exec(want.value);
      assert.equal(gq, wq, `${what} queue`);
      assert.match(grun ?? '', DATE_C, `${what} run_at`);
      assert.equal(gp, wp, `${what} payload bytes`);
    } else if (/^resque:job:.*:pid$/.test(want.key)) {
      assert.match(got.value, /^\d+$/, `${what} a pid`);
    } else {
      assert.deepEqual(got.value, want.value, what);
    }
  }
}

test('php-worker-success.json, then php-worker-after-quit.json', async (t) => {
  const { srv, ns, r, k, jobs } = await setup(t);
  const fx = loadFixture('php-worker-success');
  const statuses = fx.keys.filter((e) => /:status$/.test(e.key));
  const noopId = idOfStatusKey(statuses.find((e) => e.decoded.result !== null).key);
  const mailId = idOfStatusKey(statuses.find((e) => e.decoded.result === null).key);
  // the three calls of the fixture, in order
  await pushPhp(r, ns, phpPayload('NoopJob', String.raw`{"return":{"ok":true,"n":1.5,"s":"\u5b8c\u6210"}}`, noopId), { track: true });
  await pushPhp(r, ns, phpPayload('App\\Jobs\\SendEmail', '{"to":"a@b.c"}', mailId), { track: true });
  await pushPhp(r, ns, phpPayload('\\App\\Jobs\\SendEmail', '{"to":"d@e.f"}', randomBytes(16).toString('hex')), { track: false });

  const w = startWorker({ srv, ns, queue: 'default', jobs, interval: '1' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  await waitProcessed(r, k, w, 3);
  await compareWithFixture(r, ns, fx, { ourWid: w.id, fixWid: fixtureWorkerId(fx), label: 'success' });

  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null }, w.output);
  await compareWithFixture(r, ns, loadFixture('php-worker-after-quit'), { ourWid: w.id, fixWid: fixtureWorkerId(fx), label: 'after-quit' });
});

/** Scenarios whose fixture keeps the failed payload bytes: push exactly those bytes. */
for (const [name, args, dies] of [
  ['php-worker-failure', ['--blocking'], false], // captured with BLOCKING=1
  ['php-worker-dirty-exit', [], true],
]) {
  test(`${name}.json`, async (t) => {
    const { srv, ns, r, k, jobs } = await setup(t);
    const fx = loadFixture(name);
    const failed = entry(fx, /^resque:failed$/).value;
    for (const rec of failed) await pushPhp(r, ns, rawField(rec, 'payload'), { track: true });
    const w = startWorker({ srv, ns, queue: 'default', jobs, interval: '1', args });
    t.after(() => w.stop());
    const first = await waitRegistered(r, ns, w.id, { worker: w });
    await waitProcessed(r, k, w, failed.length);
    // A dirty exit ends the job process, our worker: wait for the next one to register.
    if (dies) await waitFor(async () => w.id !== first && (await r.smembers(k('workers'))).includes(w.id), { what: 'the next job process registered' });
    await compareWithFixture(r, ns, fx, { ourWid: w.id, fixWid: fixtureWorkerId(fx), label: name, ...(dies ? { deadWid: first } : {}) });
  });
}

test('php-worker-failure.json: the error string is PHP\'s spelling of the message, byte for byte, for a job enqueued from Node', async (t) => {
  // The fixture as captured: boom 失败 / "quoted" → "boom \u5931\u8d25 \/ \"quoted\"". Here the same
  // message comes from a job our own client enqueued (not the fixture's bytes), thrown by our worker:
  // the record's error field must be spelled as php-resque's json_encode spells it.
  const { srv, ns, r, k, jobs } = await setup(t);
  const phpSpelling = rawField(entry(loadFixture('php-worker-failure'), /^resque:failed$/).value[0], 'error');
  assert.equal(phpSpelling, String.raw`"boom \u5931\u8d25 \/ \"quoted\""`, 'the fixture as captured');
  const { Resque } = require('..');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  await resque.enqueue('default', 'FailingJob', { message: 'boom 失败 / "quoted"' });
  const w = startWorker({ srv, ns, queue: 'default', jobs });
  t.after(() => w.stop());
  await waitFor(async () => (await r.llen(k('failed'))) === 1, { what: 'the failure record', timeoutMs: 10000 });
  const ours = await r.lindex(k('failed'), 0);
  assert.equal(rawField(ours, 'error'), phpSpelling, `error bytes: ${rawField(ours, 'error')}`);
  assert.equal(JSON.parse(ours).exception, 'Error');
});

test('php-worker-dont-perform.json', async (t) => {
  const { srv, ns, r, k, jobs } = await setup(t);
  const fx = loadFixture('php-worker-dont-perform');
  const id = idOfStatusKey(entry(fx, /:status$/).key);
  await pushPhp(r, ns, phpPayload('SkipJob', 'null', id), { track: true });
  const w = startWorker({ srv, ns, queue: 'default', jobs, interval: '1' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  await waitProcessed(r, k, w, 1);
  await compareWithFixture(r, ns, fx, { ourWid: w.id, fixWid: fixtureWorkerId(fx), label: 'dont-perform' });
});

test('php-worker-working.json (while the job runs)', async (t) => {
  const { srv, ns, r, k, jobs } = await setup(t);
  const fx = loadFixture('php-worker-working');
  // the fixture keeps the payload as php re-encoded it into worker:ID: push exactly those bytes
  const working = entry(fx, /^resque:worker:[^:]+:\d+:default$/).value;
  const raw = rawField(working, 'payload');
  await pushPhp(r, ns, raw, { track: true });
  const w = startWorker({ srv, ns, queue: 'default', jobs, interval: '1' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  const id = JSON.parse(raw).id;
  await waitFor(async () => (await r.exists(k(`job:${id}:pid`))) === 1 && (await r.exists(k(`worker:${w.id}`))) === 1,
    { what: 'job running in its child' });
  await compareWithFixture(r, ns, fx, { ourWid: w.id, fixWid: fixtureWorkerId(fx), label: 'working', inflight: [raw] });
  w.signal('SIGTERM');
  await w.waitExit();
});

test('php-worker-term-during-job.json (TERM while the job runs)', async (t) => {
  const { srv, ns, r, k, jobs } = await setup(t);
  const fx = loadFixture('php-worker-term-during-job');
  const raw = rawField(entry(fx, /^resque:failed$/).value[0], 'payload');
  await pushPhp(r, ns, raw, { track: true });
  const w = startWorker({ srv, ns, queue: 'default', jobs, interval: '1' });
  t.after(() => w.stop());
  await waitRegistered(r, ns, w.id, { worker: w });
  await waitFor(async () => (await r.exists(k(`job:${JSON.parse(raw).id}:pid`))) === 1, { what: 'job running in its child' });
  w.signal('SIGTERM');
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null }, w.output);
  // php writes "Job exited abnormally"; we name the signal
  await compareWithFixture(r, ns, fx, { ourWid: w.id, fixWid: 'vm:27835:default', label: 'term-during-job', errorDiffers: /signal SIGKILL/ });
});
