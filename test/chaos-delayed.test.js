'use strict';
// Issue 12, the scheduler's chaos test: 10,000 delayed items over 200 seconds (most already due,
// the last due over the next seconds), scheduled in chunks while two `resque scheduler` processes
// are SIGKILLed and started again, one after the other, every 150–400 ms, and Redis itself is
// SIGKILLed once and started again (AOF, fsync always). In the end every item is in its queue
// exactly once, and nothing is left in delayed:*, the schedule, the index or the invalid list.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { uniqueNamespace } = require('./helpers/redis');
const { spawnResque, killGroup } = require('./helpers/worker');
const { persistentRedis, sleep } = require('./helpers/chaos');
const { waitFor } = require('./helpers/wait');
const { Resque } = require('..');

const N = 10000;
const STAMPS = 200;
const CHUNK = 500;

test('10,000 delayed items, two schedulers SIGKILLed over and over, one Redis restart: each item enqueued exactly once', { timeout: 120000 }, async (t) => {
  const redis = await persistentRedis();
  t.after(() => redis.destroy());
  const r = redis.client();
  const ns = uniqueNamespace('chd');
  const k = (key) => `${ns}:${key}`;
  const resque = new Resque({ redis: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: 1, retryStrategy: () => 50 }, namespace: ns });
  t.after(() => resque.close());

  const schedulers = [undefined, undefined];
  const start = (i) => { schedulers[i] = spawnResque(['scheduler', `--redis=${redis.url}`, `--prefix=${ns}`, '--interval=1']); };
  start(0);
  start(1);
  t.after(async () => { for (const s of schedulers) if (s) await s.stop({ graceMs: 1000 }); });

  let kills = 0;
  let stop = false;
  const chaos = (async () => {
    for (let i = 0; !stop; i++) {
      await sleep(150 + Math.floor(Math.random() * 250));
      if (stop) break;
      const victim = i % 2;
      killGroup(schedulers[victim].pid, 'SIGKILL');
      await schedulers[victim].exited;
      kills++;
      start(victim);
    }
  })();

  // The producer: chunks of 500 items (each one script: all or nothing), 200 seconds in all, the
  // last ones a few seconds ahead. A chunk whose reply was lost is looked up, not pushed again.
  const base = Math.floor(Date.now() / 1000) - STAMPS + 6;
  let restarted = false;
  for (let off = 0; off < N; off += CHUNK) {
    const jobs = [];
    for (let i = off; i < off + CHUNK; i++) jobs.push(i);
    if (!restarted && off >= N / 2) {
      restarted = true;
      await redis.stop();
      await sleep(300);
      await redis.start();
    }
    for (;;) {
      try {
        // One second per chunk group: jobs i land at base + (i % STAMPS).
        const bySecond = new Map();
        for (const i of jobs) bySecond.set(base + (i % STAMPS), [...(bySecond.get(base + (i % STAMPS)) ?? []), i]);
        for (const [ts, list] of bySecond) {
          const first = `{"class":"Noop","args":[{"i":${list[0]}}],"queue":"q"}`;
          try {
            await resque.enqueueBulkAt(ts, 'q', list.map((i) => ({ class: 'Noop', args: { i } })));
          } catch (e) {
            // Applied but the reply lost? The item or its move tells (the script is all or nothing).
            await sleep(100);
            const there = await r.exists(k(`timestamps:${first}`)).catch(() => 0);
            const moved = (await r.lrange(k('queue:q'), 0, -1).catch(() => [])).some((q) => q.includes(`"i":${list[0]}}`));
            if (!there && !moved) throw e;
          }
        }
        break;
      } catch {
        await sleep(100);
      }
    }
  }
  await waitFor(async () => (await r.llen(k('queue:q'))) >= N, { what: `all ${N} items moved`, timeoutMs: 30000, intervalMs: 100 });
  stop = true;
  await chaos;
  await sleep(1500); // nothing more may come
  const queued = await r.lrange(k('queue:q'), 0, -1);
  const seen = new Map();
  for (const q of queued) {
    const i = JSON.parse(q).args[0].i;
    seen.set(i, (seen.get(i) ?? 0) + 1);
  }
  const twice = [...seen].filter(([, n]) => n > 1).map(([i]) => i);
  const lost = [];
  for (let i = 0; i < N; i++) if (!seen.has(i)) lost.push(i);
  t.diagnostic(`${kills} scheduler kills, one Redis restart`);
  assert.ok(kills >= 5, `the schedulers were killed (${kills} times)`);
  assert.deepEqual(twice, [], 'no item enqueued twice');
  assert.deepEqual(lost, [], 'no item lost');
  assert.equal(queued.length, N);
  assert.deepEqual(await r.keys(`${ns}:delayed*`), [], 'nothing left in delayed:* or the schedule');
  assert.deepEqual(await r.keys(`${ns}:timestamps:*`), [], 'nor in the index');
  assert.equal(await r.exists(k('resque-ts:delayed:invalid')), 0);
});
