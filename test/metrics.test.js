'use strict';
// Issue 14, Prometheus: `resque metrics` serves /metrics read through the admin API; the output is
// valid exposition (promtool check metrics, Debian's prometheus package) and its counters and
// histograms match a known run, with hostile names escaped.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { useRedis, startRedis } = require('./helpers/redis');
const { startWorker, spawnResque, testSetup } = require('./helpers/worker');
const { loadFixture, loadInto } = require('./helpers/fixtures');
const { Resque, ResqueAdmin } = require('..');
const { MetricsExporter } = require('../dist/metrics/exporter');

const redis = useRedis();

/** `resque metrics --port=0` on the namespace; resolves its URL (stopped after the test). */
async function serve(t, srv, ns, extra = []) {
  const m = spawnResque(['metrics', `--redis=${srv.url}`, `--prefix=${ns}`, '--port=0', ...extra]);
  t.after(() => m.stop({ graceMs: 2000 }));
  const [, url] = await m.waitForOutput(/Serving metrics on (http:\/\/\S+)/);
  return { url, proc: m };
}

/** Samples of the exposition text: name{labels} → value. */
function samples(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

function promtool(text) {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.ok(!r.error, `promtool is needed (Debian's prometheus package; .ci/run installs it): ${r.error?.message}`);
  return r;
}

test('a known run: counters per queue, the duration histogram, gauges, workers by kind; promtool passes', async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'met');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  for (let i = 0; i < 30; i++) await resque.enqueue('default', 'Echo', { i });
  for (let i = 0; i < 2; i++) await resque.enqueue('default', 'Throws', { i });
  await resque.enqueue('low', 'Slow', { ms: 300 });
  const w = startWorker({ srv, ns, queue: 'default,low', args: ['--once'] });
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
  await resque.enqueueIn(3600, 'default', 'Echo', { later: 1 });
  await resque.enqueue('waiting', 'Echo', {});
  for (const name of ['php-worker-working', 'ruby-worker-working', 'node-resque-worker-working']) {
    await loadInto(r, ns, JSON.parse(JSON.stringify(loadFixture(name)).replaceAll('vm:', 'peerhost:')));
  }
  const { url } = await serve(t, srv, ns);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const s = samples(text);
  assert.equal(s.get('resque_jobs_processed_total{queue="default"}'), 32);
  assert.equal(s.get('resque_jobs_failed_total{queue="default"}'), 2);
  assert.equal(s.get('resque_jobs_processed_total{queue="low"}'), 1);
  assert.equal(s.get('resque_jobs_retried_total{queue="default"}'), 0);
  assert.equal(s.get('resque_stat_processed_total'), Number(await r.get(k('stat:processed'))));
  assert.equal(s.get('resque_queue_jobs{queue="waiting"}'), 1);
  assert.ok(s.get('resque_queue_latency_seconds{queue="waiting"}') >= 0);
  assert.equal(s.get('resque_jobs_delayed'), 1);
  assert.equal(s.get('resque_failed_records'), 2);
  assert.equal(s.get('resque_job_duration_seconds_count{queue="low",class="Slow"}'), 1);
  assert.equal(s.get('resque_job_duration_seconds_bucket{queue="low",class="Slow",le="0.25"}'), 0);
  assert.equal(s.get('resque_job_duration_seconds_bucket{queue="low",class="Slow",le="0.5"}'), 1);
  assert.equal(s.get('resque_job_duration_seconds_bucket{queue="low",class="Slow",le="+Inf"}'), 1);
  assert.ok(s.get('resque_job_duration_seconds_sum{queue="low",class="Slow"}') >= 0.29);
  assert.equal(s.get('resque_job_duration_seconds_count{queue="default",class="Echo"}'), 30);
  const busy = (kind) => s.get(`resque_workers{state="busy",kind="${kind}"}`);
  assert.deepEqual(['php-resque', 'ruby-resque', 'node-resque'].map(busy), [1, 1, 1], 'the peers\' workers by kind');
  assert.ok(s.get('process_resident_memory_bytes') > 0, 'the process\'s own metrics');
  assert.match(text, /# TYPE resque_job_duration_seconds histogram/);
  assert.match(text, /# TYPE resque_jobs_processed_total counter/);
  assert.match(text, /# TYPE resque_queue_jobs gauge/);
  const check = promtool(text);
  assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);
  assert.equal((await fetch(url.replace('/metrics', '/nope'))).status, 404);
});

test('hostile queue and class names are escaped in labels; promtool still passes', async (t) => {
  const { srv, ns, r, k } = await testSetup(t, redis, 'methostile');
  const q = 'q"\\\n}';
  await r.sadd(k('queues'), q);
  await r.rpush(k(`queue:${q}`), '{"class":"X","args":[]}');
  await r.set(k(`resque-ts:stat:processed:${q}`), '3');
  await r.hset(k('resque-ts:durations'), JSON.stringify([q, 'C"\n', 2]), '1', JSON.stringify([q, 'C"\n', 'sum']), '0.02');
  const admin = new ResqueAdmin({ redis: srv.url, namespace: ns });
  t.after(() => admin.close());
  const text = await new MetricsExporter(admin, { processMetrics: false }).render();
  assert.ok(text.includes('resque_jobs_processed_total{queue="q\\"\\\\\\n}"} 3'), text.split('\n').filter((l) => l.startsWith('resque_jobs_processed')).join('\n'));
  assert.ok(text.includes('class="C\\"\\n"'));
  const check = promtool(text);
  assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
});

test('Redis gone: /metrics answers 503 with the reason (the scrape shows as down, not as zeros)', async (t) => {
  const own = await startRedis();
  const { url } = await serve(t, own, 'metdown', ['--no-process-metrics']);
  assert.equal((await fetch(url)).status, 200);
  await own.stop();
  const res = await fetch(url);
  assert.equal(res.status, 503);
  assert.match(await res.text(), /^resque metrics: /);
});
