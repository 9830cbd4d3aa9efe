'use strict';
// Issue 14, the operator commands: info, workers, queues, status, stop, pause/resume, restart and
// health, each over the read/admin API, against a Redis holding php-resque, Ruby and node-resque
// workers and records (the captures) as well as our own running workers.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { useRedis } = require('./helpers/redis');
const { startWorker, spawnResque, testSetup, waitRegistered, killGroup, tempDir } = require('./helpers/worker');
const { loadFixture, loadInto } = require('./helpers/fixtures');
const { waitFor } = require('./helpers/wait');
const { Resque } = require('..');

const redis = useRedis();
const ROOT = path.resolve(__dirname, '..');

async function setup(t, name) {
  const ctx = await testSetup(t, redis, name);
  const resque = new Resque({ redis: ctx.srv.url, namespace: ctx.ns });
  t.after(() => resque.close());
  const cli = async (...argv) => {
    const p = spawnResque([...argv, `--redis=${ctx.srv.url}`, `--prefix=${ctx.ns}`]);
    const exit = await p.waitExit({ timeoutMs: 20000 });
    return { code: exit.code, stdout: p.stdout, stderr: p.stderr };
  };
  return { ...ctx, resque, cli };
}

/** The peers' captures: a php-resque, a Ruby and a node-resque worker, each mid-job, their queued jobs and failure records. */
const PEER_CAPTURES = ['php-worker-working', 'ruby-worker-working', 'node-resque-worker-working', 'php-enqueue', 'ruby-enqueue', 'node-resque-enqueue', 'php-worker-failure', 'ruby-worker-failure', 'node-resque-worker-failure'];

test('info, workers and queues over every peer\'s workers and records, and ours', async (t) => {
  const { srv, ns, r, k, resque, cli } = await setup(t, 'opinfo');
  // Captured on a host called vm: moved to another host, so our worker's same-host pruning (their pids are gone here) leaves them be.
  for (const name of PEER_CAPTURES) await loadInto(r, ns, JSON.parse(JSON.stringify(loadFixture(name)).replaceAll('vm:', 'peerhost:')));
  // and alive: their heartbeats are refreshed (Ruby's hash, node-resque's ping), as live peers would keep them
  const beats = await r.hgetall(k('workers:heartbeat'));
  for (const id of Object.keys(beats)) await r.hset(k('workers:heartbeat'), id, new Date().toISOString());
  for (const ping of await r.keys(k('worker:ping:*'))) await r.set(ping, JSON.stringify({ ...JSON.parse(await r.get(ping)), time: Math.floor(Date.now() / 1000) }));
  const peers = await r.smembers(k('workers'));
  assert.ok(peers.length >= 3, 'the peers\' workers from the captures');
  const peersBusy = (await Promise.all(peers.map((id) => r.exists(k(`worker:${id}`))))).filter(Boolean).length;
  await resque.enqueueIn(3600, 'default', 'Echo', { later: true });
  await resque.enqueueIn(3600, 'other', 'Echo', { later: true });
  await resque.enqueue('slowq', 'Slow', { ms: 30000 }, true);
  const w = startWorker({ srv, ns, queue: 'slowq', args: ['--heartbeat-interval=1', '--prune-after=600'] });
  t.after(() => w.stop({ graceMs: 500 }));
  await waitFor(async () => (await r.llen(k('queue:slowq'))) === 0 && (await r.keys(k('worker:*:inflight:slowq'))).length === 1, { what: 'our worker running Slow' });

  const info = JSON.parse((await cli('info', '--json')).stdout);
  const byName = Object.fromEntries(info.queues.map((q) => [q.name, q]));
  const waiting = Object.fromEntries(await Promise.all(info.queues.map(async (q) => [q.name, await r.llen(k(`queue:${q.name}`))])));
  for (const q of info.queues) assert.equal(q.waiting, waiting[q.name], `${q.name} waiting`);
  assert.equal(byName.slowq.reserved, 1, 'our running job is reserved');
  assert.equal(byName.default.delayed, 1);
  assert.equal(info.delayed, 2);
  assert.equal(info.delayedExact, true);
  // the peers' running jobs are reserved too, by their working-on records
  const peerQueues = (await Promise.all(peers.map((id) => r.get(k(`worker:${id}`))))).filter(Boolean).map((x) => JSON.parse(x).queue);
  for (const q of new Set(peerQueues)) assert.ok(byName[q].reserved >= peerQueues.filter((x) => x === q).length, `${q} reserved by the peers`);
  assert.deepEqual(info.workers, { total: peers.length + 1, busy: peersBusy + 1, idle: peers.length - peersBusy });
  assert.equal(info.stats.failedRecords, await r.llen(k('failed')));
  assert.ok(info.queues.every((q) => q.oldestAge === null || q.oldestAge >= 0));

  const text = await cli('info');
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^QUEUE\s+WAITING\s+DELAYED\s+RESERVED\s+DONE\s+FAILED\s+RETRIED\s+OLDEST$/m);
  assert.match(text.stdout, /^slowq\s+0\s+0\s+1\s+0\s+0\s+0\s+-$/m);
  assert.match(text.stdout, new RegExp(`Workers: ${peers.length + 1} \\(busy ${peersBusy + 1}, idle ${peers.length - peersBusy}\\)`));

  const workers = JSON.parse((await cli('workers', '--json')).stdout);
  assert.deepEqual([...new Set(workers.map((x) => x.kind))].sort(), ['node-resque', 'php-resque', 'resque-ts', 'ruby-resque']);
  assert.equal(workers.length, peers.length + 1);
  const ours = workers.find((x) => x.kind === 'resque-ts');
  assert.equal(ours.state, 'busy');
  assert.equal(ours.job.class, 'Slow');
  assert.ok(ours.heartbeatAge !== null && ours.heartbeatAge < 5);
  const wt = await cli('workers');
  assert.match(wt.stdout, /^WORKER\s+KIND\s+STATE\s+JOB/m);
  assert.match(wt.stdout, new RegExp(`${peers.length + 1} worker\\(s\\)`));

  const queues = JSON.parse((await cli('queues', '--json')).stdout);
  assert.deepEqual(queues.map((q) => q.name), info.queues.map((q) => q.name));
  const cleared = await cli('queues', 'clear', 'default');
  assert.equal(cleared.code, 0);
  assert.match(cleared.stdout, /cleared default: \d+ job\(s\)/);
  assert.equal(await r.llen(k('queue:default')), 0);
  assert.equal(await r.sismember(k('queues'), 'default'), 1, 'the name stays');
  assert.equal((await cli('queues', 'remove', 'default')).code, 0);
  assert.equal(await r.sismember(k('queues'), 'default'), 0);
  assert.equal((await cli('queues', 'drop', 'x')).code, 2);
});

test('a hostile class name is printed escaped, never as terminal control bytes', async (t) => {
  const { r, k, cli } = await setup(t, 'ophostile');
  await r.sadd(k('queues'), 'q');
  await r.sadd(k('workers'), 'h:1:q');
  await r.set(k('worker:h:1:q'), JSON.stringify({ queue: 'q', run_at: new Date().toISOString(), payload: { class: 'Evil\u001b[2J\u0007', args: [] } }));
  const out = await cli('workers');
  assert.equal(out.code, 0);
  assert.ok(!out.stdout.includes('\u001b'), 'no ESC byte');
  assert.match(out.stdout, /Evil\\x1b\[2J\\x07/);
});

test('status ID: the packet and result; --watch follows it to COMPLETE (exit 0) or FAILED (exit 1); unknown: exit 3', async (t) => {
  const { srv, ns, resque, cli } = await setup(t, 'opstatus');
  const ok = await resque.enqueue('default', 'Slow', { ms: 1200 }, true);
  const bad = await resque.enqueue('default', 'Throws', { message: 'nope' }, true);
  const once = await cli('status', ok);
  assert.equal(once.code, 0);
  assert.match(once.stdout, new RegExp(`^${ok}  WAITING \\(1\\)`));
  const w = startWorker({ srv, ns });
  t.after(() => w.stop());
  const watch = await cli('status', ok, '--watch', '--interval=0.1');
  assert.equal(watch.code, 0, watch.stderr);
  const lines = watch.stdout.trim().split('\n');
  assert.match(lines[0], /WAITING|RUNNING/);
  assert.match(lines.at(-1), /COMPLETE \(4\).*result \{"sleptMs":1200\}/);
  assert.ok(lines.some((l) => /RUNNING \(2\)/.test(l)), 'saw it running');
  const failed = await cli('status', bad, '--watch', '--json');
  assert.equal(failed.code, 1);
  assert.equal(JSON.parse(failed.stdout.trim().split('\n').at(-1)).name, 'failed');
  const none = await cli('status', 'nosuchid');
  assert.equal(none.code, 3);
  assert.match(none.stderr, /No status for job nosuchid/);
});

test('pause --all sets Ruby\'s pause-all-workers ("true"); a Ruby-shaped write pauses ours too; resume --all clears it', async (t) => {
  const { srv, ns, r, k, resque, cli } = await setup(t, 'oppause');
  const w = startWorker({ srv, ns, args: ['--interval=0.2'] });
  t.after(() => w.stop());
  await waitRegistered(r, ns, undefined, { worker: w });
  const p = await cli('pause', '--all');
  assert.equal(p.code, 0);
  assert.equal(await r.get(k('pause-all-workers')), 'true', 'the value Ruby\'s Resque.pause_all writes');
  await w.waitForOutput(/Paused through Redis \(pause-all-workers is set\)/);
  await resque.enqueue('default', 'Echo', { n: 1 });
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(await r.llen(k('queue:default')), 1, 'paused: the job waits');
  assert.equal((await cli('resume', '--all')).code, 0);
  assert.equal(await r.exists(k('pause-all-workers')), 0);
  await waitFor(async () => (await r.llen(k('queue:default'))) === 0, { what: 'resumed: drained' });
  // Ruby's own spelling of the check: to_s.strip.downcase == "true"
  await r.set(k('pause-all-workers'), ' TRUE\n');
  await w.waitForOutput(/Paused through Redis/, { from: w.mark() - 0 });
  await new Promise((res) => setTimeout(res, 1200));
  await resque.enqueue('default', 'Echo', { n: 2 });
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(await r.llen(k('queue:default')), 1, 'a Ruby-shaped write paused us');
  await r.del(k('pause-all-workers'));
  await waitFor(async () => (await r.llen(k('queue:default'))) === 0, { what: 'drained after the key went' });
  assert.equal((await cli('pause')).code, 2, 'nothing named: a usage error');
});

test('pause / resume / stop one worker by id through Redis; stop --pidfile --graceful; an unknown id exits 3', async (t) => {
  const { srv, ns, r, k, resque, cli } = await setup(t, 'opone');
  const a = startWorker({ srv, ns, queue: 'qa', args: ['--interval=0.2'] });
  const b = startWorker({ srv, ns, queue: 'qb', args: ['--interval=0.2'] });
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const idA = await waitRegistered(r, ns, undefined, { worker: a });
  await waitRegistered(r, ns, undefined, { worker: b });
  assert.equal((await cli('pause', idA)).code, 0);
  await a.waitForOutput(/Paused through Redis \(resque pause /);
  await resque.enqueue('qa', 'Echo', {});
  await resque.enqueue('qb', 'Echo', {});
  await waitFor(async () => (await r.llen(k('queue:qb'))) === 0, { what: 'b works' });
  await new Promise((res) => setTimeout(res, 1000));
  assert.equal(await r.llen(k('queue:qa')), 1, 'a is paused');
  assert.equal((await cli('resume', idA)).code, 0);
  await waitFor(async () => (await r.llen(k('queue:qa'))) === 0, { what: 'a resumed' });
  const stop = await cli('stop', idA);
  assert.equal(stop.code, 0);
  assert.deepEqual(await a.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null }, 'it stopped and was not started again');
  assert.match(a.output, /Stopping after the current job: asked through Redis/);
  assert.equal(await r.exists(k(`resque-ts:control:${idA}`)), 0, 'the request was withdrawn');
  assert.equal((await cli('stop', 'nohost:1:q')).code, 3);
  // --pidfile --graceful: QUIT to the process the file names
  const dir = tempDir();
  const pidfile = path.join(dir, 'w.pid');
  const c = startWorker({ srv, ns, queue: 'qc', args: [`--pidfile=${pidfile}`] });
  t.after(() => c.stop());
  await waitRegistered(r, ns, undefined, { worker: c });
  const s = await cli('stop', `--pidfile=${pidfile}`, '--graceful');
  assert.equal(s.code, 0);
  assert.match(s.stdout, /sent SIGQUIT to \d+/);
  assert.deepEqual(await c.waitExit({ timeoutMs: 10000 }), { code: 0, signal: null });
  assert.equal((await cli('stop', `--pidfile=${pidfile}`)).code, 1, 'the file is gone with its process');
  assert.equal((await cli('stop')).code, 2);
});

/** `resque start` in a UTS namespace of its own, whose hostname is `host` (a worker on "another host"). */
function startOnHost(host, srv, ns, args) {
  const argv = ['start', `--redis=${srv.url}`, `--prefix=${ns}`, `--jobs=${path.join(ROOT, 'test', 'fixtures', 'jobs')}`, '--queue=default', '--interval=0.2', ...args];
  const proc = spawn('unshare', ['--uts', '--fork', 'sh', '-c', `hostname ${host} && exec "$0" "$@"`, process.execPath, path.join(ROOT, 'bin', 'resque'), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, exited, get output() { return output; }, stop: async () => { killGroup(proc.pid, 'SIGKILL'); await exited; } };
}

test('restart reaches a worker started with another hostname: it finishes its job, a fresh job process takes over, nothing lost', async (t) => {
  const { srv, ns, r, k, resque, cli } = await setup(t, 'oprestart');
  const other = startOnHost('resque-other-host', srv, ns, []);
  t.after(() => other.stop());
  const first = await waitFor(async () => (await r.smembers(k('workers'))).find((id) => id.startsWith('resque-other-host:')), { what: 'the other host\'s worker registered', timeoutMs: 15000 })
    .catch((e) => { e.message += `\n${other.output}`; throw e; });
  const id = await resque.enqueue('default', 'Slow', { ms: 1500 }, true);
  await waitFor(async () => JSON.parse(await r.get(k(`job:${id}:status`))).status === 2, { what: 'running' });
  const out = await cli('restart');
  assert.equal(out.code, 0);
  assert.match(out.stdout, /restart requested at .*: 1 worker\(s\) of ours restart after their current job/);
  const next = await waitFor(async () => (await r.smembers(k('workers'))).find((w) => w.startsWith('resque-other-host:') && w !== first), { what: 'a new job process registered', timeoutMs: 15000 })
    .catch((e) => { e.message += `\n${other.output}`; throw e; });
  assert.notEqual(next, first);
  assert.equal(JSON.parse(await r.get(k(`job:${id}:status`))).status, 4, 'the running job finished first');
  assert.match(other.output, /Restart asked through Redis \(resque restart\)/);
  // the new one works, and the old request does not restart it again
  const id2 = await resque.enqueue('default', 'Echo', {}, true);
  await waitFor(async () => JSON.parse(await r.get(k(`job:${id2}:status`))).status === 4, { what: 'the new job process works' });
  await new Promise((res) => setTimeout(res, 1500));
  assert.deepEqual((await r.smembers(k('workers'))).filter((w) => w.startsWith('resque-other-host:')), [next]);
});

test('restart: a strict worker starts again in its process; an --in-process worker under a supervisor is started again', async (t) => {
  const { srv, ns, r, k, cli } = await setup(t, 'oprestart2');
  const strict = startWorker({ srv, ns, queue: 'qs', args: ['--jobs-per-child=1'] });
  const inproc = startWorker({ srv, ns, queue: 'qi', args: ['--in-process', '--count=2'] });
  t.after(() => Promise.all([strict.stop(), inproc.stop()]));
  await waitFor(async () => (await r.scard(k('workers'))) === 3, { what: '3 workers registered', timeoutMs: 15000 });
  const before = await r.smembers(k('workers'));
  await new Promise((res) => setTimeout(res, 50));
  assert.equal((await cli('restart')).code, 0);
  await waitFor(async () => {
    const now = await r.smembers(k('workers'));
    return now.length === 3 && now.filter((w) => w.includes(':qi')).every((w) => !before.includes(w));
  }, { what: 'the in-process workers replaced by new processes', timeoutMs: 15000 });
  await strict.waitForOutput(/stops after its current job and starts again/);
  assert.ok(strict.alive, 'the strict worker\'s process stays');
  await inproc.waitForOutput(/ended for a restart \(resque restart\); starting another/);
  assert.ok(inproc.alive);
});

test('health: 0 while this host\'s workers are alive and heartbeating, 1 (with the reason) once one is gone or none is registered', async (t) => {
  const { srv, ns, r, k, cli } = await setup(t, 'ophealth');
  const none = await cli('health');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /unhealthy: no worker of ours is registered on /);
  const dir = tempDir();
  const pidfile = path.join(dir, 'w.pid');
  const w = startWorker({ srv, ns, args: ['--count=2', '--heartbeat-interval=1', '--prune-after=600', `--pidfile=${pidfile}`] });
  t.after(() => w.stop());
  await waitFor(async () => (await r.scard(k('workers'))) === 2, { what: '2 workers' });
  const ok = await cli('health', '--max-age=5', `--pidfile=${pidfile}`);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: Redis answered in \d+ ms; 2 worker\(s\) on .* alive and heartbeating$/m);
  const json = JSON.parse((await cli('health', '--json')).stdout);
  assert.equal(json.ok, true);
  assert.equal(json.workers.length, 2);
  // the host and its job processes SIGKILLed: the registrations stay (until pruned), the processes are gone
  const pids = (await r.smembers(k('workers'))).map((id) => Number(id.split(':')[1]));
  // (the host frozen first: it would settle and unregister its dead job processes; they unregister once it is gone)
  process.kill(w.pid, 'SIGSTOP');
  for (const pid of pids) killGroup(pid, 'SIGKILL');
  killGroup(w.pid, 'SIGKILL');
  await w.waitExit();
  await new Promise((res) => setTimeout(res, 300));
  const bad = await cli('health', '--max-age=5', `--pidfile=${pidfile}`);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /names no running resque process/);
  assert.match(bad.stderr, /its process is gone/);
});
