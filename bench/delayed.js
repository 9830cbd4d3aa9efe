'use strict';
/**
 * The delayed-jobs rows of `npm run bench` (issue 12), ours beside node-resque's Scheduler in the
 * same run, on the bench's private Redis:
 *   1. scheduling, awaited one at a time: enqueueAt vs node-resque's Queue#enqueueAt;
 *   2. scheduling in bulk: enqueueBulkAt in chunks of 1000 (node-resque has no bulk form);
 *   3. the mover: N items due at the same second, from the first seen in the queue to the last
 *      (ours: `resque scheduler`; node-resque: its Scheduler at a 50 ms poll, fewer items: it
 *      moves one item per several round trips);
 *   4. lateness: jobs due at each of the next seconds, the time from the start of their second
 *      to their arrival in the queue (a BLPOP in this process); node-resque at its default 5 s poll.
 * runDelayedBench(ctx) resolves {json, rows} for the report.
 */
const path = require('node:path');
const Redis = require('ioredis');
const { Queue } = require('node-resque');
const { spawnTracked, reap } = require('./lib/procs');
const { percentile } = require('./lib/stats');

const NRS = path.join(__dirname, 'lib', 'node-resque-scheduler.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wait until `proc` sends {type} (or exits). */
function message(proc, type, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${type} within ${ms} ms`)), ms);
    proc.on('message', (m) => { if (m && m.type === type) { clearTimeout(t); resolve(); } });
    proc.once('exit', () => { clearTimeout(t); reject(new Error(`exited before ${type}`)); });
  });
}

async function startOurs(ctx, ns) {
  const proc = spawnTracked(process.execPath, [ctx.bin, 'scheduler', `--redis=127.0.0.1:${ctx.port}`, `--prefix=${ns}`, '--interval=5'], { stdio: ['ignore', 'pipe', 'inherit'], env: ctx.env });
  await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error('our scheduler did not lead within 10 s')), 10000);
    proc.stdout.on('data', (d) => { out += d; if (out.includes('leads: moving delayed jobs')) { clearTimeout(t); resolve(); } });
  });
  return { stop: async () => { proc.kill('SIGQUIT'); await Promise.race([proc.exited, sleep(3000)]); await reap(proc); } };
}

async function startTheirs(ctx, ns, timeout) {
  const proc = spawnTracked(process.execPath, [NRS], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...ctx.env, BENCH_NRS_CONFIG: JSON.stringify({ port: ctx.port, namespace: ns, timeout }) } });
  await message(proc, 'leader', 15000);
  return { stop: async () => { proc.send?.({ type: 'end' }); await Promise.race([proc.exited, sleep(3000)]); await reap(proc); } };
}

async function enqueueOne(ctx, n) {
  const ours = ctx.resque(ctx.ns('dq-one-ours'));
  const theirs = new Queue({ connection: { host: '127.0.0.1', port: ctx.port, namespace: ctx.ns('dq-one-nr') } });
  theirs.on('error', () => undefined);
  await theirs.connect();
  const at = Math.floor(Date.now() / 1000) + 3600;
  const timed = async (fn) => {
    for (let i = 0; i < 200; i++) await fn(-1 - i); // warm-up (scripts loaded, code compiled)
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn(i);
    return n / ((performance.now() - t) / 1000);
  };
  try {
    const oursRate = await timed((i) => ours.enqueueAt(at, 'q', 'Noop', { i }));
    const theirsRate = await timed((i) => theirs.enqueueAt(at * 1000, 'q', 'Noop', [{ i }]));
    return { ours: oursRate, nr: theirsRate };
  } finally {
    await ours.close();
    await theirs.end();
  }
}

async function enqueueBulk(ctx, n) {
  const ours = ctx.resque(ctx.ns('dq-bulk'));
  const at = Math.floor(Date.now() / 1000) + 3600;
  try {
    const t = performance.now();
    for (let off = 0; off < n; off += 1000) await ours.enqueueBulkAt(at, 'q', Array.from({ length: Math.min(1000, n - off) }, (_, i) => ({ class: 'Noop', args: { i: off + i } })));
    return { ours: n / ((performance.now() - t) / 1000) };
  } finally {
    await ours.close();
  }
}

/** n items due at second T (written before T), the mover running; ms from T until all are queued. */
async function mover(ctx, which, n) {
  const ns = ctx.ns(`dq-move-${which}`);
  const r = ctx.client();
  const running = which === 'ours' ? await startOurs(ctx, ns) : await startTheirs(ctx, ns, 50);
  try {
    const due = Math.floor(Date.now() / 1000) + 3;
    const ours = ctx.resque(ns);
    for (let off = 0; off < n; off += 1000) await ours.enqueueBulkAt(due, 'q', Array.from({ length: Math.min(1000, n - off) }, (_, i) => ({ class: 'Noop', args: { i: off + i } })));
    await ours.close();
    let first;
    for (;;) {
      const len = await r.llen(`${ns}:queue:q`);
      if (len > 0) first ??= Date.now();
      if (len >= n) break;
      await sleep(1);
    }
    const last = Date.now();
    // From the first item seen in the queue to the last: how fast it moves (node-resque's
    // scheduler starts up to 0.5 s before the due second: it rounds the time to the nearest second).
    const ms = Math.max(1, last - first);
    return { n, ms, jobsPerSec: n / (ms / 1000), doneAfterDueMs: last - due * 1000, firstAfterDueMs: first - due * 1000 };
  } finally {
    await running.stop();
    r.disconnect();
  }
}

/** `samples` jobs due at the next seconds, one each; lateness of each arrival after its second began. */
async function lateness(ctx, which, samples) {
  const ns = ctx.ns(`dq-late-${which}`);
  const blocker = ctx.client();
  const running = which === 'ours' ? await startOurs(ctx, ns) : await startTheirs(ctx, ns, 5000);
  const ours = ctx.resque(ns);
  const late = [];
  try {
    const first = Math.floor(Date.now() / 1000) + 2;
    for (let i = 0; i < samples; i++) await ours.enqueueAt(first + i, 'q', 'Noop', { ts: first + i });
    while (late.length < samples) {
      const got = await blocker.blpop(`${ns}:queue:q`, 10);
      if (!got) throw new Error(`${which}: a due job did not arrive within 10 s`);
      const ts = JSON.parse(got[1]).args[0].ts;
      late.push(Date.now() - ts * 1000);
    }
    return { samples: late, p50: percentile(late, 50), p99: percentile(late, 99) };
  } finally {
    await ours.close();
    await running.stop();
    blocker.disconnect();
  }
}

/** `n` failure records (php-resque's shape, distinct), then ResqueAdmin#failed.retry of them all: ms. */
async function failedRetry(ctx, n) {
  const ns = ctx.ns('failed-retry');
  const r = ctx.client();
  const { ResqueAdmin } = require(path.join(ctx.build, 'dist', 'index.js'));
  const admin = new ResqueAdmin({ redis: `127.0.0.1:${ctx.port}`, namespace: ns });
  try {
    for (let off = 0; off < n; off += 5000) {
      const recs = Array.from({ length: Math.min(5000, n - off) }, (_, j) => `{"failed_at":"2026-12-03T10:00:00+00:00","payload":{"class":"Noop","args":[{"i":${off + j}}],"id":"${String(off + j).padStart(32, '0')}","prefix":"","queue_time":1},"exception":"Error","error":"e","backtrace":[],"worker":"w","queue":"q"}`);
      await r.rpush(`${ns}:failed`, ...recs);
    }
    const t = performance.now();
    const change = await admin.failed.retry({ queue: 'q' });
    const ms = performance.now() - t;
    if (change.done !== n || (await r.llen(`${ns}:queue:q`)) !== n) throw new Error(`retried ${change.done} of ${n}`);
    return { n, ms };
  } finally {
    await admin.close();
    r.disconnect();
  }
}

async function runDelayedBench(ctx) {
  const json = { enqueueOne: [], enqueueBulk: [], mover: { ours: [], nr: [] }, lateness: { ours: [], nr: [] }, failedRetry: [], errors: [] };
  const step = async (name, fn) => {
    try {
      return await fn();
    } catch (e) {
      json.errors.push({ step: name, message: e.message });
      ctx.log(`delayed ${name} FAILED: ${e.message}`);
      return undefined;
    }
  };
  ctx.client = () => { const c = new Redis({ host: '127.0.0.1', port: ctx.port }); c.on('error', () => undefined); return c; };
  for (let round = 1; round <= ctx.rounds; round++) {
    const one = await step('enqueueAt', () => enqueueOne(ctx, ctx.oneAtATime));
    if (one) { json.enqueueOne.push(one); ctx.log(`round ${round}  delayed enqueueAt one at a time: ours ${Math.round(one.ours)} jobs/s, node-resque ${Math.round(one.nr)} jobs/s`); }
    const bulk = await step('enqueueBulkAt', () => enqueueBulk(ctx, ctx.bulk));
    if (bulk) { json.enqueueBulk.push(bulk); ctx.log(`round ${round}  delayed enqueueBulkAt: ${Math.round(bulk.ours)} jobs/s`); }
    for (const which of round % 2 ? ['ours', 'nr'] : ['nr', 'ours']) {
      const m = await step(`mover ${which}`, () => mover(ctx, which, which === 'ours' ? ctx.moverJobs : ctx.nrMoverJobs));
      if (m) { json.mover[which].push(m); ctx.log(`round ${round}  delayed mover ${which}: ${m.n} due items moved in ${m.ms} ms (${Math.round(m.jobsPerSec)} jobs/s), the first ${m.firstAfterDueMs} ms after the due second began`); }
    }
    const fr = await step('failed retry', () => failedRetry(ctx, ctx.failedRecords));
    if (fr) { json.failedRetry.push(fr); ctx.log(`round ${round}  failed: bulk retry of ${fr.n} records in ${Math.round(fr.ms)} ms`); }
    if (round <= ctx.latenessRounds) {
      for (const which of ['ours', 'nr']) {
        const l = await step(`lateness ${which}`, () => lateness(ctx, which, ctx.latenessSamples));
        if (l) { json.lateness[which].push(l); ctx.log(`round ${round}  delayed lateness ${which}: p50 ${l.p50} ms, p99 ${l.p99} ms`); }
      }
    }
  }
  return json;
}

/** Median of a list (rounds). */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : undefined;
}

/** The report rows: [what, ours, node-resque, ours / node-resque]. */
function delayedRows(json, fmt) {
  const ratio = (a, b) => (a && b ? `${fmt(a / b, 1)}×` : '–');
  const oneO = median(json.enqueueOne.map((x) => x.ours));
  const oneN = median(json.enqueueOne.map((x) => x.nr));
  const bulkO = median(json.enqueueBulk.map((x) => x.ours));
  const movO = median(json.mover.ours.map((x) => x.jobsPerSec));
  const movN = median(json.mover.nr.map((x) => x.jobsPerSec));
  const movOms = median(json.mover.ours.map((x) => x.ms));
  const allLate = (w) => json.lateness[w].flatMap((x) => x.samples);
  const lo = allLate('ours');
  const ln = allLate('nr');
  const lat = (xs) => (xs.length ? `p50 ${fmt(percentile(xs, 50))} ms, p99 ${fmt(percentile(xs, 99))} ms, earliest ${fmt(Math.min(...xs))} ms` : '–');
  return [
    ['enqueueAt, awaited one at a time, jobs/s', fmt(oneO), fmt(oneN), ratio(oneO, oneN)],
    ['enqueueBulkAt, chunks of 1000, jobs/s', fmt(bulkO), '– (no bulk form)', '–'],
    ['mover: items due at one second, first → last queued, jobs/s', `${fmt(movO)} (${json.mover.ours[0]?.n ?? '?'} in ${fmt(movOms)} ms)`, `${fmt(movN)} (${json.mover.nr[0]?.n ?? '?'}, 50 ms poll)`, ratio(movO, movN)],
    ['lateness after the due second', lat(lo), `${lat(ln)} (5 s poll)`, ''],
    ['failed: bulk retry (a filter), ms', json.failedRetry.length ? `${fmt(median(json.failedRetry.map((x) => x.ms)))} (${json.failedRetry[0].n} records)` : '–', '– (no bulk retry)', ''],
  ];
}

module.exports = { runDelayedBench, delayedRows };
