'use strict';
// `resque start` end to end against a real redis-server: php-resque payloads pushed as raw bytes,
// status tracking, stats, the worker registry while a job runs (WIRE.md §3–§6), --once, and the
// args contract (php args[0] as this.args, positional args for Ruby / node-resque payloads).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Resque, parseJson } = require('../dist');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, pidAlive, ps, tempDir, HOST, JOBS, DATE_C, testSetup, waitStatus } = require('./helpers/worker');

const redis = useRedis();

const setup = (t, name = 'wb') => testSetup(t, redis, name);

const hex32 = () => randomBytes(16).toString('hex');
const nowS = () => Math.floor(Date.now() / 1000);

/** Push raw bytes the way php-resque does (SADD queues + RPUSH), optionally with a status packet. */
async function pushRaw(r, ns, queue, raw, trackId) {
  const t = nowS() - 7; // enqueued "a while ago": `started` must be kept from this packet
  if (trackId) {
    await r.set(`${ns}:job:${trackId}:status`, `{"status":1,"updated":${t},"started":${t},"result":null}`);
  }
  await r.sadd(`${ns}:queues`, queue);
  await r.rpush(`${ns}:queue:${queue}`, raw);
  return t;
}

test('headline: a raw php-resque payload with status is run by `resque start --count=4`', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const id = hex32();
  // Byte-for-byte php-resque 2.x: escaped backslashes in the class, \uXXXX, \/, nested objects,
  // an integer beyond 2^53, 32-hex id, prefix "", microtime queue_time.
  const raw = String.raw`{"class":"App\\Jobs\\SendEmail","args":[{"to":"user@example.com","subject":"\u4f60\u597d","link":"https:\/\/example.com\/x","nested":{"a":{"b":[1,2,{"c":null}]}},"big_int":9007199254740993,"empty_list":[]}],"id":"${id}","prefix":"","queue_time":1795251508.192127}`;
  const enqueuedAt = await pushRaw(r, ns, 'default', raw, id);

  const w = startWorker({ srv, ns, queue: 'default', args: ['--count=4'], jobs: 'test/fixtures/jobs' });
  const packet = await waitStatus(r, ns, id, 4, { worker: w, raw: true });
  assert.match(packet, new RegExp(`^\\{"status":4,"updated":\\d+,"started":${enqueuedAt},"result":\\{"sent":"user@example\\.com"\\}\\}$`));
  assert.ok(JSON.parse(packet).updated >= enqueuedAt + 7, 'updated = when it finished');
  const ttl = await r.ttl(k(`job:${id}:status`));
  assert.ok(ttl > 86390 && ttl <= 86400, `status TTL ${ttl} ≈ 86400`);
  await waitFor(async () => (await r.get(k('stat:processed'))) === '1', { what: 'stat:processed = 1' });
  assert.equal(await r.exists(k(`job:${id}:pid`)), 0, 'job:ID:pid removed after the job');
  assert.equal(await r.llen(k('queue:default')), 0);

  // four workers registered, none of them still "working on" anything
  const ids = await waitFor(async () => {
    const m = await r.smembers(k('workers'));
    return m.length === 4 ? m : null;
  }, { what: '4 workers registered', timeoutMs: 15000 });
  for (const wid of ids) {
    assert.match(wid, new RegExp(`^${HOST.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:default$`));
    assert.equal(await r.exists(k(`worker:${wid}`)), 0, `worker:${wid} deleted after the job`);
  }

  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null });
  assert.equal(await r.scard(k('workers')), 0);
});

test('Echo: php payload gives this.args = args[0] and perform(args[0]); a big integer arrives exact', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  const args = { x: 'caf\u00e9 / \u4f60', big: 9007199254740993n, list: [1, 2.5, null] };
  const id = await resque.enqueue('default', 'Echo', args, true);
  const queued = await r.lindex(k('queue:default'), 0);
  assert.ok(queued.includes('"big":9007199254740993'), `payload written exact: ${queued}`);

  const w = startWorker({ srv, ns, queue: 'default', args: ['--once'] });
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null }, w.output);
  const packet = await r.get(k(`job:${id}:status`));
  // exact in the stored bytes (twice: as this.args and as the positional argument)
  assert.equal(packet.split('"big":9007199254740993').length - 1, 2, packet);
  const { result } = parseJson(packet);
  assert.deepEqual(result.args, args);
  assert.deepEqual(result.positional, [args]);
  assert.equal(result.queue, 'default');
  assert.equal(result.id, id);
});

test('Ruby-style and node-resque-style payloads get positional args (Echo)', async (t) => {
  const { srv, ns, r } = await setup(t);
  // A jobs folder whose Echo is the fixture Echo that also writes what it returned to ECHO_OUT
  // (Ruby payloads carry no id, so there is no status packet to read the result from).
  const jobs = tempDir();
  const out = path.join(jobs, 'echo.out');
  fs.writeFileSync(path.join(jobs, 'Echo.js'), `'use strict';
const fs = require('node:fs');
const Base = require(${JSON.stringify(path.join(JOBS, 'Echo.js'))});
module.exports = class Echo extends Base {
  perform(...a) {
    const r = super.perform(...a);
    fs.appendFileSync(process.env.ECHO_OUT, JSON.stringify(r) + '\\n');
    return r;
  }
};
`);
  await pushRaw(r, ns, 'default', '{"class":"Echo","args":[{"a":1},2,"x"]}');
  await pushRaw(r, ns, 'default', '{"class":"Echo","queue":"default","args":[{"n":"\u00fc"},[3]]}');
  const w = startWorker({ srv, ns, queue: 'default', args: ['--once'], jobs, env: { ECHO_OUT: out } });
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null }, w.output);
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    { args: { a: 1 }, positional: [{ a: 1 }, 2, 'x'], queue: 'default' },
    { args: { n: '\u00fc' }, positional: [{ n: '\u00fc' }, [3]], queue: 'default' },
  ]);
});

test('--once drains the queue, then exits 0 and unregisters', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await resque.enqueue('default', 'Noop', { i }, true));
  const w = startWorker({ srv, ns, queue: 'default', args: ['--once'], interval: '5' });
  const t0 = Date.now();
  assert.deepEqual(await w.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null }, w.output);
  assert.ok(Date.now() - t0 < 4500, 'exits after the first empty pass, without sleeping INTERVAL');
  assert.equal(await r.llen(k('queue:default')), 0);
  for (const [i, id] of ids.entries()) {
    assert.match(await r.get(k(`job:${id}:status`)), new RegExp(`^\\{"status":4,"updated":\\d+,"started":\\d+,"result":\\{"i":${i}\\}\\}$`));
  }
  assert.equal(await r.get(k('stat:processed')), '3');
  assert.equal(await r.scard(k('workers')), 0);
  assert.equal(await r.exists(k(`worker:${w.id}:started`)), 0);
  assert.equal(await r.exists(k(`stat:processed:${w.id}`)), 0);
});

test('while a job runs: worker id, :started, working-on with the exact payload bytes, job:ID:pid of a child', async (t) => {
  const { srv, ns, r, k } = await setup(t);
  const id = hex32();
  const raw = String.raw`{"class":"Slow","args":[{"ms":1500,"s":"\u4f60\/\u597d","o":{"p":[1,{"q":true}]}}],"id":"${id}","prefix":"","queue_time":1795251508.5}`;
  await pushRaw(r, ns, 'default', raw, id);
  const w = startWorker({ srv, ns, queue: 'default,low' });
  await waitRegistered(r, ns, w.id, { worker: w });
  assert.equal(w.id, `${HOST}:${w.jobPid()}:default,low`);
  assert.deepEqual(await r.smembers(k('workers')), [w.id], 'worker id is hostname:pid:queues, the pid of the job process'); 
  assert.match(await r.get(k(`worker:${w.id}:started`)), DATE_C);

  const working = await waitFor(() => r.get(k(`worker:${w.id}`)), { what: 'worker:ID set' });
  const m = /^\{"queue":"default","run_at":"([^"]*)","payload":(.*)\}$/s.exec(working);
  assert.ok(m, `working-on has php-resque's shape {queue, run_at, payload}: ${working}`);
  assert.match(m[1], DATE_C);
  assert.equal(m[2], raw, 'payload in worker:ID is the queue bytes, \\u4f60 and \\/ included');
  assert.match(await r.get(k(`job:${id}:status`)), /^\{"status":2,/);

  const pidText = await waitFor(() => r.get(k(`job:${id}:pid`)), { what: 'job:ID:pid' });
  const childPid = Number(pidText);
  assert.ok(Number.isInteger(childPid) && childPid > 0, `job:ID:pid is a pid: ${pidText}`);
  assert.notEqual(childPid, w.pid, 'the job runs in a child of the started process');
  assert.equal(w.id, `${HOST}:${childPid}:default,low`, 'the job process is the registered worker');
  assert.ok(pidAlive(childPid), 'job:ID:pid is a live process');
  assert.equal(Number(ps(childPid, 'ppid')), w.pid, 'the job process is a child of the started process');
  assert.match(ps(childPid, 'args'), /resque-\d/, 'the worker\'s title matches php-resque\'s and Ruby\'s pruning (resque-VERSION)');

  await waitStatus(r, ns, id, 4, { worker: w, timeoutMs: 15000 });
  assert.equal(await r.exists(k(`worker:${w.id}`)), 0, 'worker:ID deleted after the job');
  assert.equal(await r.exists(k(`job:${id}:pid`)), 0, 'job:ID:pid deleted after the job');
  assert.equal(await r.get(k(`stat:processed:${w.id}`)), '1');
  assert.deepEqual(await w.stop(), { code: 0, signal: null });
});
