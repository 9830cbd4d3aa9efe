'use strict';
// Issue 12: recurring schedules — stored where resque-scheduler keeps them (persistent_schedules,
// schedules_changed), fired by every scheduler, each tick exactly once (claimed in the script that
// pushes its job), misfire and overlap policies, a --schedule file, and the CLI.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis } = require('./helpers/redis');
const { schedulerSetup, scheduler } = require('./helpers/scheduler');
const { spawnResque, startWorker, killGroup, tempDir } = require('./helpers/worker');
const { waitFor } = require('./helpers/wait');
const { sleep } = require('./helpers/chaos');

const redis = useRedis();

const setup = (t, name) => schedulerSetup(t, redis, name);


/** The seconds (queue_time, floored) of the jobs in queue Q. */
async function fireSeconds(r, k, q = 'q') {
  return (await r.lrange(k(`queue:${q}`), 0, -1)).map((p) => Math.floor(JSON.parse(p).queue_time));
}

test('stored as resque-scheduler stores it: persistent_schedules (JSON) and schedules_changed; a bad config is refused', async (t) => {
  const { r, resque, k } = await setup(t, 'rcs');
  await resque.schedules.set('nightly', { cron: '0 3 * * *', class: 'App\\Jobs\\Report', queue: 'reports', args: { full: true }, description: 'the report', timezone: 'Europe/Paris' });
  assert.deepEqual(JSON.parse(await r.hget(k('persistent_schedules'), 'nightly')), { cron: '0 3 * * *', class: 'App\\Jobs\\Report', queue: 'reports', args: { full: true }, description: 'the report', timezone: 'Europe/Paris' });
  assert.deepEqual(await r.smembers(k('schedules_changed')), ['nightly']);
  const [info] = await resque.schedules.list();
  assert.equal(info.when, 'cron "0 3 * * *" (Europe/Paris)');
  const next = new Date(info.nextRunAt);
  assert.equal(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hour12: false }).format(next), '03:00', 'the next run is 03:00 in Paris');
  for (const [config, msg] of [
    [{ cron: 'nope', class: 'A', queue: 'q' }, /cron "nope"/],
    [{ every: 'soon', class: 'A', queue: 'q' }, /every: "soon"/],
    [{ every: '1s', class: 'A' }, /"queue"/],
    [{ class: 'A', queue: 'q' }, /"cron" or "every"/],
    [{ every: '1s', class: 'A', queue: 'q', misfire: 'later' }, /misfire/],
  ]) await assert.rejects(resque.schedules.set('bad', config), msg);
  assert.equal(await r.hexists(k('persistent_schedules'), 'bad'), 0);
  assert.equal(await resque.schedules.remove('nightly'), true);
  assert.equal(await resque.schedules.remove('nightly'), false);
  assert.equal(await r.exists(k('persistent_schedules')), 0);
});

test('two schedulers, every 1s for 10 s, one of them SIGKILLed half-way: each tick fires exactly once (10 ± 1 runs)', { timeout: 40000 }, async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'rc2');
  const a = scheduler(t, srv, ns, ['--verbose']);
  const b = scheduler(t, srv, ns, ['--verbose']);
  await a.waitForOutput('Starting scheduler');
  await b.waitForOutput('Starting scheduler');
  await resque.schedules.set('tick', { every: '1s', class: 'Noop', queue: 'q', args: { n: 1 } });
  // Both see it (a pass a second), counting from then; wait for the first run.
  await waitFor(async () => (await r.llen(k('queue:q'))) >= 1, { what: 'the first run', timeoutMs: 5000 });
  await sleep(5000);
  killGroup(a.pid, 'SIGKILL'); // one scheduler dies mid-run; the other goes on
  await sleep(5000);
  await b.stop();
  // The ticks each scheduler fired, from their own log lines: together, every second once.
  const ticksOf = (out) => [...out.matchAll(/tick fired \(every 1s, tick (\S+)\)/g)].map((m) => Date.parse(m[1]) / 1000);
  const ticks = [...ticksOf(a.output), ...ticksOf(b.output)].sort((x, y) => x - y);
  assert.equal(await r.llen(k('queue:q')), ticks.length, 'one job per tick fired');
  assert.ok(ticks.length >= 9 && ticks.length <= 12, `10 ± 1 runs in about 10 s: ${ticks.length}`);
  assert.equal(new Set(ticks).size, ticks.length, `no tick fired twice: ${ticks}`);
  for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i] - ticks[i - 1], 1, `no tick lost: ${ticks}`);
});

test('misfire policies across a downtime of 5 hourly ticks: skip fires none, once the latest, all every one', async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'rcm');
  const H = 3600000;
  // Not within 3 s of an hour's tick: 'skip' would take that one as on time.
  while (Date.now() % H < 3000) await sleep(500);
  const now = Date.now();
  for (const policy of ['skip', 'once', 'all']) {
    await resque.schedules.set(`hourly-${policy}`, { every: '1h', class: 'Noop', queue: `q-${policy}`, misfire: policy });
    // As if the last scheduler stopped 5 hours ago, right after a run.
    await r.hset(k(`resque-ts:schedule:hourly-${policy}`), 'last', String(now - 5 * H));
  }
  scheduler(t, srv, ns);
  await waitFor(async () => (await r.llen(k('queue:q-all'))) === 5, { what: 'all: 5 runs', timeoutMs: 5000 });
  await sleep(300);
  assert.equal(await r.llen(k('queue:q-once')), 1, 'once: the latest missed tick, once');
  assert.equal(await r.llen(k('queue:q-skip')), 0, 'skip: none (resque-scheduler\'s behaviour)');
  assert.equal(await r.llen(k('queue:q-all')), 5);
  for (const policy of ['skip', 'once', 'all']) {
    const last = Number(await r.hget(k(`resque-ts:schedule:hourly-${policy}`), 'last'));
    assert.equal(last, Math.floor(now / H) * H, `${policy}: the state moved past every missed tick`);
  }
});

test('a schedule seen for the first time counts from then: nothing fires for the time before it existed', async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'rcf');
  await resque.schedules.set('minutely', { cron: '* * * * *', class: 'Noop', queue: 'q', misfire: 'all' });
  const s = scheduler(t, srv, ns);
  await waitFor(async () => (await r.hexists(k('resque-ts:schedule:minutely'), 'last')) === 1, { what: 'the state created' });
  await sleep(500);
  assert.equal(await r.llen(k('queue:q')), 0);
  void s;
});

test('overlap skip: a tick is passed while the previous run\'s job still waits; once it ran, the next tick fires', { timeout: 30000 }, async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'rco');
  await resque.schedules.set('solo', { every: '1s', class: 'Noop', queue: 'q', overlap: 'skip' });
  const s = scheduler(t, srv, ns, ['--verbose']);
  await waitFor(async () => (await r.llen(k('queue:q'))) === 1, { what: 'the first run', timeoutMs: 5000 });
  await sleep(2500);
  assert.equal(await r.llen(k('queue:q')), 1, 'no second job while the first is still queued');
  await s.waitForOutput('skipped the tick');
  const w = startWorker({ srv, ns, queue: 'q' });
  t.after(() => w.stop());
  await waitFor(async () => Number(await r.get(k('stat:processed'))) >= 2, { what: 'runs again once the first ran', timeoutMs: 10000 });
});

test('a schedule written by resque-scheduler (positional args, no queue key order) fires with its positional args', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'rcr');
  await r.hset(k('persistent_schedules'), 'ruby_style', '{"class":"Echo","args":["a",1],"every":"1s","queue":"q","description":"from Ruby"}');
  await r.sadd(k('schedules_changed'), 'ruby_style');
  scheduler(t, srv, ns);
  const raw = await waitFor(async () => (await r.lrange(k('queue:q'), 0, 0))[0], { what: 'a run', timeoutMs: 5000 });
  assert.deepEqual(JSON.parse(raw).args, ['a', 1], 'positional, as resque-scheduler enqueues them');
  await r.hset(k('persistent_schedules'), 'broken', '{not json');
  const s2 = scheduler(t, srv, ns);
  await s2.waitForOutput('Schedule broken: the stored config is not JSON; it does not run');
});

test('--schedule=FILE (YAML): stored at start, listed by resque schedules list; a schedule dropped from the file goes', async (t) => {
  const { srv, ns, r, k } = await setup(t, 'rcy');
  const dir = tempDir();
  const file = path.join(dir, 'schedule.yml');
  fs.writeFileSync(file, 'cleanup:\n  every: 5m\n  class: App\\Jobs\\Cleanup\n  queue: low\n  description: prune old rows\nreport:\n  cron: "30 6 * * 1"\n  class: Report\n  queue: reports\n  misfire: skip\n');
  const s = scheduler(t, srv, ns, [`--schedule=${file}`]);
  await s.waitForOutput(`Schedules from ${file}: cleanup, report`);
  assert.deepEqual((await r.hkeys(k('persistent_schedules'))).sort(), ['cleanup', 'report']);
  const list = spawnResque(['schedules', 'list', `--redis=${srv.url}`, `--prefix=${ns}`]);
  assert.deepEqual(await list.waitExit(), { code: 0, signal: null });
  assert.match(list.stdout, /cleanup: every 5m, App\\Jobs\\Cleanup on low\n  next \S+Z  last –  misfire once  overlap allow  — prune old rows/);
  assert.match(list.stdout, /report: cron "30 6 \* \* 1", Report on reports\n  next \S+Z  last –  misfire skip/);
  await s.stop();
  fs.writeFileSync(file, 'cleanup:\n  every: 10m\n  class: App\\Jobs\\Cleanup\n  queue: low\n');
  const s2 = scheduler(t, srv, ns, [`--schedule=${file}`]);
  await s2.waitForOutput('Schedules from');
  assert.deepEqual(await r.hkeys(k('persistent_schedules')), ['cleanup']);
  assert.equal(JSON.parse(await r.hget(k('persistent_schedules'), 'cleanup')).every, '10m');
  // A file that does not parse is a usage error.
  fs.writeFileSync(file, 'x:\n  every: never\n  class: A\n  queue: q\n');
  const bad = spawnResque(['scheduler', `--redis=${srv.url}`, `--schedule=${file}`]);
  assert.deepEqual(await bad.waitExit(), { code: 2, signal: null });
  assert.match(bad.stderr, /Schedule x: every: "never"/);
});

test('CLI: schedules run / remove, enqueue --in and --track, delayed list / promote / remove', async (t) => {
  const { srv, ns, r, resque, k } = await setup(t, 'rcc');
  const cli = async (...args) => {
    const p = spawnResque([...args, `--redis=${srv.url}`, `--prefix=${ns}`]);
    const exit = await p.waitExit();
    return { ...exit, out: p.stdout, err: p.stderr };
  };
  await resque.schedules.set('s1', { every: '1h', class: 'Noop', queue: 'q', args: { x: 1 } });
  const ran = await cli('schedules', 'run', 's1');
  assert.equal(ran.code, 0, ran.err);
  assert.equal(JSON.parse((await r.lrange(k('queue:q'), 0, -1))[0]).id, ran.out.trim());
  assert.equal((await cli('schedules', 'run', 'nope')).code, 1);
  assert.equal((await cli('schedules', 'remove', 's1')).code, 0);
  assert.equal(await r.hexists(k('persistent_schedules'), 's1'), 0);

  const enq = await cli('enqueue', 'later', 'Noop', '{"a":"中"}', '--in=3600', '--track');
  assert.equal(enq.code, 0, enq.err);
  const id = enq.out.trim();
  assert.equal(JSON.parse(await r.get(k(`job:${id}:status`))).status, 1);
  assert.equal(await resque.delayedSize(), 1);
  const list = await cli('delayed', 'list');
  assert.match(list.out, /^1 delayed job\(s\) at 1 second\(s\)\n.+\n  later  Noop  \[\{"a":"\\u4e2d"\}\]  id [0-9a-f]{32}\n$/);
  assert.match((await cli('delayed', 'promote', 'later', 'Noop', '{"a":"中"}')).out, /made due now: 1/);
  assert.match((await cli('delayed', 'remove', 'later', 'Noop')).out, /removed: 1/);
  assert.equal(await resque.delayedSize(), 0);
  const now = await cli('enqueue', 'q2', 'Noop');
  assert.equal(JSON.parse((await r.lrange(k('queue:q2'), 0, -1))[0]).id, now.out.trim());
  assert.equal((await cli('enqueue', 'q2')).code, 2, 'CLASS is required');
  assert.equal((await cli('enqueue', 'q2', 'Noop', '{bad')).code, 2, 'ARGS must be JSON');
});
