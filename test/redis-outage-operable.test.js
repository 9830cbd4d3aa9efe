'use strict';
// Issue 11 point 12: Redis outages are operable.
//   * COUNT > 1 with Redis down at start: workers are started again after 1 s, 2 s, 4 s … (at most
//     30 s), and once Redis has been out for --redis-timeout the process stops and exits 1, naming
//     the address and the cause. Before, the fleet (default engine) and the supervisor
//     (--in-process) restarted every worker every second, forever.
//   * Redis back during that backoff: the workers start and stay.
//   * Messages name the address and the real cause: refused, a silent peer (timeout), READONLY,
//     OOM, NOPERM, a wrong password — never ioredis internals ("Reached the max retries per
//     request limit", "Stream isn't writeable"), and "unreachable" only when it is.
// (The exit within about 1 s of --redis-timeout is in test/reliability-outage.test.js.)
const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startRedis, freePort, uniqueNamespace } = require('./helpers/redis');
const { startWorker, spawnResque, waitRegistered, JOBS } = require('./helpers/worker');
const { pushJob, waitStatus, sleep } = require('./helpers/chaos');
const { waitFor } = require('./helpers/wait');

const INTERNALS = /max retries per request|Stream isn't writeable|enableOfflineQueue/;

function groupGone(pid) {
  try {
    process.kill(-pid, 0);
    return false;
  } catch {
    return true;
  }
}

for (const engine of [[], ['--in-process']]) {
  const name = engine.length ? '--in-process (supervisor)' : 'default engine (fleet)';
  test(`${name}, --count=2, Redis down at start: restarts back off 1 s, 2 s, 4 s …; exit 1 after --redis-timeout=5, naming the address and cause`, async () => {
    const port = await freePort(); // nothing listens there
    const t0 = Date.now();
    const w = spawnResque(['start', `--redis=127.0.0.1:${port}`, '--queue=default', `--jobs=${JOBS}`, '--count=2', '--redis-timeout=5', ...engine]);
    const exit = await w.waitExit({ timeoutMs: 20000 });
    const took = Date.now() - t0;
    assert.deepEqual(exit, { code: 1, signal: null }, w.output);
    assert.ok(took >= 4500 && took < 9000, `exited ${took} ms after the start (--redis-timeout=5)\n${w.output}`);
    assert.match(w.output, new RegExp(`Redis has been out for more than 5 s \\(Could not connect to Redis at 127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\)\\): stopping every worker`), w.output);
    const waits = [...w.output.matchAll(/starting another in ([\d.]+) s/g)].map((m) => Number(m[1]));
    // Two seats, each waiting 1 s, 2 s, then at most what is left of the 5 s: never every second.
    assert.deepEqual(waits.slice(0, 4), [1, 1, 2, 2], `each seat waits 1 s, then 2 s: ${waits}\n${w.output}`);
    // (what is left depends on how long each start took: on a loaded machine, under 1 s)
    assert.ok(waits.slice(4).every((s) => s > 0 && s <= 4), `then 4 s or what is left of 5 s: ${waits}`);
    const died = (w.output.match(/A child worker died/g) ?? []).length;
    assert.ok(died <= 8, `${died} restarts in 5 s (before: two a second, forever)\n${w.output}`);
    assert.doesNotMatch(w.output, INTERNALS);
    await waitFor(() => groupGone(w.pid), { what: 'no process of its group left', timeoutMs: 5000 });
  });
}

test('--count=2, Redis down at start and back 2.5 s later: the workers start and stay past --redis-timeout', async (t) => {
  const port = await freePort();
  const ns = uniqueNamespace('rup');
  const w = startWorker({ srv: { url: `redis://127.0.0.1:${port}` }, ns, args: ['--count=2', '--redis-timeout=4'] });
  t.after(() => w.stop());
  await w.waitForOutput('starting another in 1 s', { timeoutMs: 10000 });
  await sleep(2500);
  const srv = await startRedis({ port });
  t.after(() => srv.stop());
  const r = srv.client();
  t.after(() => r.disconnect());
  await waitFor(async () => (await r.scard(`${ns}:workers`)) === 2, { what: 'two workers registered', timeoutMs: 20000 });
  const job = await pushJob(r, ns, 'Noop', {});
  await waitStatus(r, ns, job.id, 4, { worker: w, timeoutMs: 10000 });
  await sleep(3000); // past --redis-timeout since the first failure
  assert.equal(w.alive, true, `still running once Redis came back\n${w.output}`);
  assert.doesNotMatch(w.output, /Redis has been out/);
  w.signal('SIGQUIT');
  assert.deepEqual(await w.waitExit(), { code: 0, signal: null });
});

/** `resque start` with `args` (count 1) until it exits; its output. */
async function runToExit(args, timeoutMs = 20000) {
  const w = spawnResque(['start', '--queue=default', `--jobs=${JOBS}`, '--interval=0.2', ...args]);
  const exit = await w.waitExit({ timeoutMs });
  assert.equal(exit.code, 1, `exit 1\n${w.output}`);
  assert.doesNotMatch(w.output, INTERNALS, w.output);
  return w.output;
}

test('causes: refused, and a peer that accepts and never answers (timeout, not a hang)', async (t) => {
  const port = await freePort();
  assert.match(await runToExit([`--redis=127.0.0.1:${port}`]), new RegExp(`Could not connect to Redis at 127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\)`));
  const sockets = new Set();
  const silent = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const s of sockets) s.destroy(); silent.close(); });
  const t0 = Date.now();
  const out = await runToExit([`--redis=127.0.0.1:${silent.address().port}`]);
  assert.match(out, new RegExp(`Could not connect to Redis at 127\\.0\\.0\\.1:${silent.address().port}: no reply within 5 s \\(timeout\\)`), out);
  assert.ok(Date.now() - t0 < 10000, 'within the 5 s connect timeout');
});

test('causes: a read-only replica, a wrong password, a user without EVAL (NOPERM) — each named, each a prompt exit 1', async (t) => {
  const primary = await startRedis();
  t.after(() => primary.stop());
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  t.after(() => replica.stop());
  const ns = uniqueNamespace('cause');
  assert.match(await runToExit([`--redis=${replica.url}`, `--prefix=${ns}`]),
    new RegExp(`Redis at 127\\.0\\.0\\.1:${replica.port}: it is a read-only replica; point the worker at the primary \\(READONLY `));
  const admin = primary.client();
  t.after(() => admin.disconnect());
  assert.match(await runToExit([`--redis=redis://nobody:wrong@127.0.0.1:${primary.port}`, `--prefix=${ns}`]),
    new RegExp(`Could not connect to Redis at 127\\.0\\.0\\.1:${primary.port}: the user name or password is wrong \\(WRONGPASS `));
  await admin.call('ACL', 'SETUSER', 'noeval', 'on', '>pw', `~${ns}:*`, '+@all', '-eval', '-evalsha');
  const t0 = Date.now();
  assert.match(await runToExit([`--redis=redis://noeval:pw@127.0.0.1:${primary.port}`, `--prefix=${ns}`, '--redis-timeout=2']),
    new RegExp(`Redis at 127\\.0\\.0\\.1:${primary.port}: the Redis user lacks a permission \\(NOPERM `));
  // Before, a recovery lock it could not release (EVAL refused) held the start for its 30 s TTL.
  assert.ok(Date.now() - t0 < 10000, `prompt: ${Date.now() - t0} ms`);
});

for (const engine of [[], ['--in-process']]) {
  test(`causes: Redis out of memory mid-run (${engine[0] ?? 'default engine'}) — "refused commands … out of memory", not "unreachable"`, async (t) => {
    const srv = await startRedis();
    t.after(() => srv.stop());
    const r = srv.client();
    t.after(() => r.disconnect());
    const ns = uniqueNamespace('oom');
    const w = startWorker({ srv, ns, args: ['--redis-timeout=2', ...engine], interval: '0.2' });
    t.after(() => w.stop());
    await waitRegistered(r, ns, w.id, { worker: w });
    await r.config('SET', 'maxmemory', '1');
    const exit = await w.waitExit({ timeoutMs: 15000 });
    assert.equal(exit.code, 1, w.output);
    await r.config('SET', 'maxmemory', '0');
    assert.match(w.output, new RegExp(`Redis at 127\\.0\\.0\\.1:${srv.port}: it is out of memory \\(maxmemory reached\\) and refuses writes \\(OOM `));
    assert.match(w.output, new RegExp(`Worker stopped on an error: Redis at 127\\.0\\.0\\.1:${srv.port} refused commands for more than 2 s: it is out of memory`), w.output);
    assert.doesNotMatch(w.output, /unreachable/, w.output);
    assert.doesNotMatch(w.output, INTERNALS);
  });
}
