'use strict';
/**
 * The dashboard rows of `npm run bench` (issue 14): page times on a queue of 1,000,000 jobs and a
 * failed list of 100,000 records (BENCH_QUICK: 100,000 and 10,000), on the bench's private Redis.
 * The dashboard's handler runs in this process on a loopback port; each page is fetched 5 times
 * per round (after one warm-up) and the median kept. runDashboardBench(ctx) resolves {json}.
 */
const http = require('node:http');
const path = require('node:path');
const Redis = require('ioredis');

const FETCHES = 5;

function get(url) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http.get(url, (res) => {
      let n = 0;
      res.on('data', (d) => { n += d.length; });
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode, bytes: n }));
    }).on('error', reject);
  });
}

async function fill(r, ns, queueJobs, failedRecords) {
  const CHUNK = 10000;
  await r.sadd(`${ns}:queues`, 'big', 'small');
  for (let i = 0; i < queueJobs; i += CHUNK) {
    const items = [];
    for (let j = i; j < Math.min(queueJobs, i + CHUNK); j++) items.push(`{"class":"App\\\\Jobs\\\\Big","args":[{"n":${j}}],"id":"${String(j).padStart(32, '0')}","prefix":"","queue_time":${Date.now() / 1000}}`);
    await r.rpush(`${ns}:queue:big`, ...items);
  }
  for (let i = 0; i < failedRecords; i += CHUNK) {
    const items = [];
    for (let j = i; j < Math.min(failedRecords, i + CHUNK); j++) {
      items.push(JSON.stringify({ failed_at: 'Thu Dec 03 12:00:00 UTC 2026', payload: { class: j % 10 === 0 ? 'App\\Jobs\\Rare' : 'App\\Jobs\\Often', args: [{ n: j }], id: `f${j}` }, exception: 'RuntimeException', error: `boom ${j}`, backtrace: ['#0 x.php(1)'], worker: 'h:1:big', queue: 'big' }));
    }
    await r.rpush(`${ns}:failed`, ...items);
  }
}

async function runDashboardBench(ctx) {
  const json = { queueJobs: ctx.queueJobs, failedRecords: ctx.failedRecords, pages: {}, errors: [] };
  const r = new Redis({ host: '127.0.0.1', port: ctx.port });
  const ns = ctx.ns('dash');
  const { createDashboard } = require(path.join(ctx.build, 'dist', 'web', 'app'));
  const { ResqueAdmin } = require(path.join(ctx.build, 'dist', 'index.js'));
  const admin = new ResqueAdmin({ redis: `127.0.0.1:${ctx.port}`, namespace: ns });
  const handler = createDashboard({ admin });
  const server = http.createServer((req, res) => { handler(req, res).catch(() => res.destroy()); });
  try {
    const t0 = performance.now();
    await fill(r, ns, ctx.queueJobs, ctx.failedRecords);
    ctx.log(`dashboard: filled ${ctx.queueJobs} queued jobs and ${ctx.failedRecords} failure records in ${Math.round(performance.now() - t0)} ms`);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${server.address().port}`;
    const pages = [
      ['overview', '/'], ['queues', '/queues'], ['queue, first page', '/queues/big'], ['queue, last page', `/queues/big?offset=${ctx.queueJobs - 50}`],
      ['queue, search (10,000 scanned)', '/queues/big?q=no-such-text'], ['workers', '/workers'], ['failed, first page', '/failed'],
      ['failed, last page', `/failed?offset=${ctx.failedRecords - 50}`], ['failed, filter by class', '/failed?class=App%5CJobs%5CRare'],
      ['failed, a filter nothing matches (every record read)', '/failed?exception=NoSuchError'], ['failed, a text nothing contains', '/failed?search=no-such-text'],
      ['job page by id', '/jobs/00000000000000000000000000000007'],
    ];
    for (let round = 1; round <= ctx.rounds; round++) {
      for (const [name, at] of pages) {
        try {
          const first = await get(base + at);
          if (first.status !== 200 && first.status !== 404) throw new Error(`HTTP ${first.status}`);
          const ms = [];
          for (let i = 0; i < FETCHES; i++) ms.push((await get(base + at)).ms);
          ms.sort((a, b) => a - b);
          const med = ms[Math.floor(ms.length / 2)];
          (json.pages[name] ??= { path: at, ms: [], bytes: first.bytes }).ms.push(med);
          ctx.log(`round ${round}  dashboard ${name}: ${med.toFixed(1)} ms (${first.bytes} bytes)`);
        } catch (e) {
          json.errors.push({ step: name, message: e.message });
        }
      }
    }
  } finally {
    await new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
    await admin.close();
    await r.del(`${ns}:queue:big`, `${ns}:failed`, `${ns}:queues`);
    r.disconnect();
  }
  return json;
}

/** Rows for the report: page, path, median ms over rounds, target. */
function dashboardRows(json, fmt) {
  return Object.entries(json.pages).map(([name, p]) => {
    const sorted = [...p.ms].sort((a, b) => a - b);
    const med = sorted[Math.floor(sorted.length / 2)];
    return [name, p.path.length > 40 ? `${p.path.slice(0, 40)}…` : p.path, fmt(med, 1), med < 500 ? '✓ < 500 ms' : '✗ ≥ 500 ms'];
  });
}

module.exports = { runDashboardBench, dashboardRows };
