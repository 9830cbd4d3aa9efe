#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: resque-ts against node-resque 9.7.1 on one private redis-server.
 *   1. Drain N no-op jobs (queue filled first, workers started after; time from the first
 *      observed processed job to stat:processed >= N, polled every 5 ms):
 *      ours default (child processes) ×1/×4, ours --in-process ×1/×4, ours --jobs-per-child=1 ×2
 *      (BENCH_STRICT_JOBS jobs), node-resque Worker ×1/×4 (in one separate process).
 *      Rounds interleave the variants, the order rotating each round.
 *   2. Enqueue throughput: one at a time (ours resque.enqueue vs node-resque queue.enqueue), and
 *      ours enqueueBulk in chunks of 1000.
 *   3. Enqueue → perform latency at a steady rate: ours --blocking --count=1 vs node-resque ×1
 *      (timeout = 5 ms polling).
 *   4. Peak RSS (VmHWM) of every process of the drains, by role.
 * Writes bench/results/bench-<ISO date>.json and bench/results/latest.json.
 *
 * Environment: BENCH_ROUNDS (3), BENCH_JOBS (20000), BENCH_STRICT_JOBS (300),
 * BENCH_QUICK=1 (1 round, 5000 jobs, smaller side benchmarks: a smoke test),
 * BENCH_REDIS_SERVER (redis-server binary), BENCH_ONLY=variant-id,…,enqueue,latency (a subset, for debugging).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const Redis = require('ioredis');
const { Queue } = require('node-resque');
const { startRedis } = require('./lib/redis-server');
const { spawnTracked, reap, waitExit, installCleanup, processTree, memoryOf, killGroup } = require('./lib/procs');
const { summary, percentile, mean, fmt, table } = require('./lib/stats');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'resque');
const JOBS_DIR = path.join(__dirname, 'jobs');
const NR_WORKER = path.join(__dirname, 'lib', 'node-resque-worker.js');
const RESULTS = path.join(__dirname, 'results');
const LOGS = path.join(RESULTS, 'logs');

// ---- settings ----

function intEnv(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

const QUICK = process.env.BENCH_QUICK === '1';
const CFG = Object.freeze({
  quick: QUICK,
  rounds: intEnv('BENCH_ROUNDS', QUICK ? 1 : 3),
  jobs: intEnv('BENCH_JOBS', QUICK ? 5000 : 20000),
  strictJobs: intEnv('BENCH_STRICT_JOBS', QUICK ? 100 : 300),
  enqueueOne: QUICK ? 2000 : 5000,
  enqueueBulk: QUICK ? 5000 : 20000,
  bulkChunk: 1000,
  enqueueWarmup: 200,
  latencyJobs: QUICK ? 300 : 1000,
  latencyRate: 200, // jobs per second
  latencyWarmup: 20,
  nrLatencyTimeoutMs: 5, // node-resque Worker `timeout` (its polling interval) in the latency test
  nrDrainTimeoutMs: 5000, // node-resque's default; the queue is never empty during a drain
  pollMs: 5,
  rssSampleMs: 200,
  startupLimitMs: 60000, // no first job within this: the variant failed
  stallLimitMs: 30000, // no progress for this long: the variant stalled
  stopLimitMs: 20000,
});

const QUEUE = 'bench';
/** BENCH_ONLY=id,id,…: run only these drain variants and/or `enqueue`, `latency` (debugging aid). */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((x) => x.trim())) : undefined;
const wanted = (id) => !ONLY || ONLY.has(id);

/** Drain variants. kind: ours | nr; args: extra `resque start` flags; workers: node-resque Worker count. */
const VARIANTS = [
  { id: 'ours-default-x1', label: 'ours default ×1 (child)', kind: 'ours', args: ['--count=1'] },
  { id: 'ours-default-x4', label: 'ours default ×4 (child)', kind: 'ours', args: ['--count=4'] },
  { id: 'ours-inproc-x1', label: 'ours --in-process ×1', kind: 'ours', args: ['--count=1', '--in-process'] },
  { id: 'ours-inproc-x4', label: 'ours --in-process ×4', kind: 'ours', args: ['--count=4', '--in-process'] },
  { id: 'ours-strict-x2', label: 'ours --jobs-per-child=1 ×2', kind: 'ours', args: ['--count=2', '--jobs-per-child=1'], strict: true },
  { id: 'nr-x1', label: 'node-resque Worker ×1', kind: 'nr', workers: 1 },
  { id: 'nr-x4', label: 'node-resque Worker ×4 (1 process)', kind: 'nr', workers: 4 },
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const log = (msg) => process.stderr.write(`${msg}\n`);

// ---- shared state ----

let server; // private redis-server
let admin; // ioredis client of the measuring process
let nsCounter = 0;
let loadAtStart = [];
const runId = `${Date.now().toString(36)}`;

function freshNamespace(what) {
  nsCounter += 1;
  return `bench-${runId}-${nsCounter}-${what}`;
}

function redisClient() {
  const c = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 1 });
  c.on('error', () => undefined);
  return c;
}

// Our workers' batch cursors go to a folder of the run's own, removed at exit.
const CURSOR_DIR = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'bench-cursors-'));
process.on('exit', () => fs.rmSync(CURSOR_DIR, { recursive: true, force: true }));

function childEnv() {
  const env = { ...process.env, BENCH_REDIS_PORT: String(server.port), RESQUE_CURSOR_DIR: CURSOR_DIR };
  for (const k of ['QUEUE', 'COUNT', 'PREFIX', 'REDIS_URL', 'REDIS_BACKEND', 'REDIS_BACKEND_DB', 'BLOCKING', 'INTERVAL',
    'VERBOSE', 'VVERBOSE', 'LOGGING', 'APP_INCLUDE', 'PIDFILE', 'GRACEFUL_TERM', 'RESQUE_SUPERVISED', 'NODE_OPTIONS']) delete env[k];
  return env;
}

function openLog(name) {
  fs.mkdirSync(LOGS, { recursive: true });
  return fs.openSync(path.join(LOGS, `${name}.log`), 'w');
}

/** Our resque-ts client (loaded lazily: dist/ must be built). */
function ourResque(namespace) {
  const { Resque } = require(path.join(ROOT, 'dist', 'index.js'));
  return new Resque({ redis: `127.0.0.1:${server.port}`, namespace });
}

// ---- starting and stopping workers ----

/** Start the workers of a variant; returns a handle with stop(). */
function startWorkers(variant, namespace, logName, { extraArgs = [], nrTimeoutMs = CFG.nrDrainTimeoutMs } = {}) {
  const fd = openLog(logName);
  let proc;
  try {
    if (variant.kind === 'ours') {
      const args = [BIN, 'start', `--queue=${QUEUE}`, `--jobs=${JOBS_DIR}`, `--prefix=${namespace}`,
        `--redis=127.0.0.1:${server.port}`, ...variant.args, ...extraArgs];
      proc = spawnTracked(process.execPath, args, { cwd: ROOT, env: childEnv(), stdio: ['ignore', fd, fd] });
    } else {
      const env = {
        ...childEnv(),
        BENCH_NR_CONFIG: JSON.stringify({ port: server.port, namespace, queue: QUEUE, workers: variant.workers, timeout: nrTimeoutMs }),
      };
      proc = spawnTracked(process.execPath, [NR_WORKER], { cwd: ROOT, env, stdio: ['ignore', fd, fd, 'ipc'] });
    }
  } finally {
    fs.closeSync(fd);
  }
  return {
    proc,
    async stop() {
      const t0 = now();
      if (!proc.exitInfo) {
        if (variant.kind === 'ours') {
          try { process.kill(proc.pid, 'SIGQUIT'); } catch { /* gone */ }
        } else if (proc.connected) {
          proc.send({ type: 'end' });
        } else {
          try { process.kill(proc.pid, 'SIGTERM'); } catch { /* gone */ }
        }
      }
      const r = await waitExit(proc, CFG.stopLimitMs);
      const stopMs = now() - t0;
      reap(proc); // anything left in its process group
      if (r.timedOut) throw new Error(`${variant.id}: did not stop within ${CFG.stopLimitMs / 1000} s (killed)`);
      return { stopMs, code: r.code, signal: r.signal };
    },
    kill() {
      killGroup(proc.pid, 'SIGKILL');
      reap(proc);
    },
  };
}

// ---- peak memory of a process tree ----

function roleNames(variant) {
  if (variant.kind === 'nr') return ['process'];
  const count = Number(/--count=(\d+)/.exec(variant.args.join(' '))?.[1] ?? 1);
  const inProc = variant.args.includes('--in-process');
  const roles = count > 1 ? ['supervisor', 'worker'] : ['worker'];
  if (!inProc) roles.push('child');
  return roles;
}

class RssSampler {
  constructor(variant, rootPid) {
    this.roles = roleNames(variant);
    this.rootPid = rootPid;
    this.peak = {}; // role → {hwmKb, rssKb, pids:Set}
    for (const r of this.roles) this.peak[r] = { hwmKb: 0, rssKb: 0, pids: new Set() };
    this.timer = setInterval(() => this.sample(), CFG.rssSampleMs);
  }

  sample() {
    for (const { pid, depth } of processTree(this.rootPid)) {
      const role = this.roles[depth];
      if (!role) continue;
      const m = memoryOf(pid);
      if (!m) continue;
      const p = this.peak[role];
      p.pids.add(pid);
      p.hwmKb = Math.max(p.hwmKb, m.hwmKb);
      p.rssKb = Math.max(p.rssKb, m.rssKb);
    }
  }

  finish() {
    clearInterval(this.timer);
    this.sample();
    const out = {};
    for (const [role, p] of Object.entries(this.peak)) {
      out[role] = { peakMb: p.hwmKb / 1024, maxRssMb: p.rssKb / 1024, processes: p.pids.size };
    }
    return out;
  }
}

// ---- 1. drains ----

async function fillQueue(namespace, n, className = 'Noop') {
  const resque = ourResque(namespace);
  try {
    for (let done = 0; done < n; done += CFG.bulkChunk) {
      const size = Math.min(CFG.bulkChunk, n - done);
      await resque.enqueueBulk(QUEUE, Array.from({ length: size }, () => ({ class: className, args: {} })));
    }
  } finally {
    await resque.close();
  }
  const len = await admin.llen(`${namespace}:queue:${QUEUE}`);
  if (len !== n) throw new Error(`queue holds ${len} jobs, expected ${n}`);
}

/** Poll NS:stat:processed every pollMs until it reaches target; times in ms from `t0`. */
async function watchProcessed(namespace, target, t0, proc, onTick) {
  const key = `${namespace}:stat:processed`;
  const mon = redisClient();
  try {
    let first; let firstCount; let t10; let c10; let t90; let c90; let end; let last = 0; let lastChange = now();
    for (;;) {
      const v = Number(await mon.get(key)) || 0;
      const t = now();
      if (v !== last) { last = v; lastChange = t; }
      if (first === undefined && v > 0) { first = t; firstCount = v; }
      if (t10 === undefined && v >= target * 0.1) { t10 = t; c10 = v; }
      if (t90 === undefined && v >= target * 0.9) { t90 = t; c90 = v; }
      if (v >= target) { end = t; break; }
      if (proc.exitInfo) throw new Error(`workers exited early (${JSON.stringify(proc.exitInfo)}) at processed=${v}`);
      if (first === undefined && t - t0 > CFG.startupLimitMs) throw new Error(`no job processed within ${CFG.startupLimitMs / 1000} s`);
      if (first !== undefined && t - lastChange > CFG.stallLimitMs) throw new Error(`stalled at processed=${v} for ${CFG.stallLimitMs / 1000} s`);
      onTick?.();
      await sleep(CFG.pollMs);
    }
    return {
      startupMs: first - t0,
      seconds: (end - first) / 1000,
      jobsPerSec: (target - firstCount) / ((end - first) / 1000),
      jobsPerSecFromStart: target / ((end - t0) / 1000),
      steadyJobsPerSec: t90 > t10 ? (c90 - c10) / ((t90 - t10) / 1000) : undefined,
      firstObserved: firstCount,
    };
  } finally {
    mon.disconnect();
  }
}

async function runDrain(variant, round) {
  const n = variant.strict ? CFG.strictJobs : CFG.jobs;
  const namespace = freshNamespace(variant.id);
  await admin.flushdb();
  await fillQueue(namespace, n);
  const t0 = now();
  const logName = `${variant.id}-r${round}`;
  const workers = startWorkers(variant, namespace, logName);
  const sampler = new RssSampler(variant, workers.proc.pid);
  let result;
  try {
    result = await watchProcessed(namespace, n, t0, workers.proc);
  } catch (e) {
    sampler.finish();
    workers.kill();
    throw e;
  }
  const rss = sampler.finish();
  const stopped = await workers.stop();
  const [failed, left] = await Promise.all([admin.get(`${namespace}:stat:failed`), admin.llen(`${namespace}:queue:${QUEUE}`)]);
  if (Number(failed) > 0) {
    const records = (await admin.lrange(`${namespace}:failed`, 0, 2)).map((raw) => {
      try {
        const f = JSON.parse(raw);
        return `${f.exception}: ${f.error}`;
      } catch {
        return raw.slice(0, 200);
      }
    });
    const warning = `${failed} job(s) failed: ${records.join(' | ')} (round kept; log: bench/results/logs/${logName}.log)`;
    return { round, jobs: n, ...result, stopMs: stopped.stopMs, exitCode: stopped.code, left, rss, failedJobs: Number(failed), warning };
  }
  return { round, jobs: n, ...result, stopMs: stopped.stopMs, exitCode: stopped.code, left, rss, failedJobs: 0 };
}

// ---- 2. enqueue throughput ----

async function enqueueOursOne(n) {
  const namespace = freshNamespace('enq-ours');
  const resque = ourResque(namespace);
  try {
    for (let i = 0; i < CFG.enqueueWarmup; i++) await resque.enqueue('warmup', 'Noop', {});
    const t0 = now();
    for (let i = 0; i < n; i++) await resque.enqueue(QUEUE, 'Noop', {});
    return finishEnqueue(namespace, n, t0);
  } finally {
    await resque.close();
  }
}

async function enqueueNrOne(n) {
  const namespace = freshNamespace('enq-nr');
  const queue = new Queue({ connection: { host: '127.0.0.1', port: server.port, namespace } }, {});
  queue.on('error', (e) => log(`node-resque queue error: ${e.message}`));
  await queue.connect();
  try {
    for (let i = 0; i < CFG.enqueueWarmup; i++) await queue.enqueue('warmup', 'Noop', [{}]);
    const t0 = now();
    for (let i = 0; i < n; i++) await queue.enqueue(QUEUE, 'Noop', [{}]);
    return finishEnqueue(namespace, n, t0);
  } finally {
    await queue.end();
  }
}

async function enqueueOursBulk(n) {
  const namespace = freshNamespace('enq-bulk');
  const resque = ourResque(namespace);
  try {
    await resque.enqueueBulk('warmup', Array.from({ length: CFG.enqueueWarmup }, () => ({ class: 'Noop', args: {} })));
    const t0 = now();
    for (let done = 0; done < n; done += CFG.bulkChunk) {
      const size = Math.min(CFG.bulkChunk, n - done);
      await resque.enqueueBulk(QUEUE, Array.from({ length: size }, () => ({ class: 'Noop', args: {} })));
    }
    return finishEnqueue(namespace, n, t0);
  } finally {
    await resque.close();
  }
}

async function finishEnqueue(namespace, n, t0) {
  const seconds = (now() - t0) / 1000;
  const len = await admin.llen(`${namespace}:queue:${QUEUE}`);
  if (len !== n) throw new Error(`queue holds ${len} jobs after enqueueing ${n}`);
  return { jobs: n, seconds, jobsPerSec: n / seconds };
}

// ---- 3. latency ----

async function runLatency(kind, round) {
  const namespace = freshNamespace(`lat-${kind}`);
  const variant = kind === 'ours'
    ? { id: 'lat-ours', kind: 'ours', args: ['--count=1'] }
    : { id: 'lat-nr', kind: 'nr', workers: 1 };
  await admin.flushdb();
  let enqueue; let close;
  if (kind === 'ours') {
    const resque = ourResque(namespace);
    enqueue = (args) => resque.enqueue(QUEUE, 'Stamp', args);
    close = () => resque.close();
  } else {
    const queue = new Queue({ connection: { host: '127.0.0.1', port: server.port, namespace } }, {});
    queue.on('error', (e) => log(`node-resque queue error: ${e.message}`));
    await queue.connect();
    enqueue = (args) => queue.enqueue(QUEUE, 'Stamp', [args]);
    close = () => queue.end();
  }
  const latKey = `${namespace}:bench:lat`;
  const ns = `${namespace}:`;
  const workers = startWorkers(variant, namespace, `${variant.id}-r${round}`, {
    extraArgs: kind === 'ours' ? ['--blocking'] : [],
    nrTimeoutMs: CFG.nrLatencyTimeoutMs,
  });
  try {
    // Warm-up: workers up, job class loaded, probe connection open (not recorded).
    const t0 = now();
    for (let i = 0; i < CFG.latencyWarmup; i++) {
      await enqueue({ t: performance.timeOrigin + performance.now(), ns, warm: true });
      await sleep(10);
    }
    const deadline = t0 + CFG.startupLimitMs;
    while (Number(await admin.get(`${namespace}:stat:processed`)) < CFG.latencyWarmup) {
      if (workers.proc.exitInfo) throw new Error(`latency ${kind}: workers exited (${JSON.stringify(workers.proc.exitInfo)})`);
      if (now() > deadline) throw new Error(`latency ${kind}: warm-up jobs not done within ${CFG.startupLimitMs / 1000} s`);
      await sleep(20);
    }
    await sleep(200);

    // Steady rate: job i is sent at start + i × interval (absolute schedule, no drift).
    const interval = 1000 / CFG.latencyRate;
    const pending = [];
    const start = now();
    let maxLateMs = 0;
    for (let i = 0; i < CFG.latencyJobs; i++) {
      const due = start + i * interval;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      maxLateMs = Math.max(maxLateMs, now() - due);
      pending.push(enqueue({ t: performance.timeOrigin + performance.now(), ns }));
    }
    await Promise.all(pending);
    const sentSec = (now() - start) / 1000;
    const until = now() + CFG.stallLimitMs;
    while ((await admin.llen(latKey)) < CFG.latencyJobs) {
      if (now() > until) throw new Error(`latency ${kind}: only ${await admin.llen(latKey)} of ${CFG.latencyJobs} jobs recorded`);
      await sleep(20);
    }
    const ms = (await admin.lrange(latKey, 0, -1)).map(Number);
    await workers.stop();
    return {
      round,
      jobs: ms.length,
      rate: CFG.latencyJobs / sentSec,
      maxSendLateMs: maxLateMs,
      p50: percentile(ms, 50),
      p90: percentile(ms, 90),
      p99: percentile(ms, 99),
      max: Math.max(...ms),
      mean: mean(ms),
      over20ms: ms.filter((x) => x > 20).length,
      // Where the outliers sit in the sequence (0-based, in perform order; warm-up jobs not counted).
      slowest: ms.map((x, i) => ({ i, ms: x })).sort((a, b) => b.ms - a.ms).slice(0, 8),
    };
  } catch (e) {
    workers.kill();
    throw e;
  } finally {
    await close().catch(() => undefined);
  }
}

// ---- the run ----

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redisServer: server.version,
    nodeResque: require('node-resque/package.json').version,
    resqueTs: require(path.join(ROOT, 'package.json')).version,
    loadAvgAtStart: loadAtStart,
    loadAvgAtEnd: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

async function main() {
  const startedAt = new Date();
  const t0 = now();
  loadAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  installCleanup();
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` (npm run bench does)');
  fs.mkdirSync(RESULTS, { recursive: true });

  server = await startRedis();
  admin = redisClient();
  log(`bench: redis-server ${server.version} on 127.0.0.1:${server.port} (pid ${server.pid}); ` +
    `rounds=${CFG.rounds} jobs=${CFG.jobs} strict=${CFG.strictJobs}${CFG.quick ? ' (quick)' : ''}`);

  const drains = Object.fromEntries(VARIANTS.map((v) => [v.id, { label: v.label, rounds: [], errors: [] }]));
  const enqueue = { oursOne: [], nrOne: [], oursBulk: [], errors: [] };
  const latency = { ours: [], nr: [], errors: [] };

  try {
    for (let round = 1; round <= CFG.rounds; round++) {
      for (const v of rotate(VARIANTS, round - 1)) {
        if (!wanted(v.id)) continue;
        const t = now();
        try {
          const r = await runDrain(v, round);
          r.round = round;
          drains[v.id].rounds.push(r);
          if (r.warning) {
            drains[v.id].errors.push({ round, message: r.warning, warning: true });
            log(`round ${round}  ${v.label.padEnd(34)} WARNING: ${r.warning}`);
          }
          log(`round ${round}  ${v.label.padEnd(34)} ${fmt(r.jobsPerSec).padStart(7)} jobs/s  (startup ${fmt(r.startupMs)} ms, ${fmt((now() - t) / 1000, 1)} s total)`);
        } catch (e) {
          drains[v.id].errors.push({ round, message: e.message });
          log(`round ${round}  ${v.label.padEnd(34)} FAILED: ${e.message}`);
        }
        await sleep(250);
      }

      await admin.flushdb();
      const enqueueSteps = [
        ['oursOne', () => enqueueOursOne(CFG.enqueueOne)],
        ['nrOne', () => enqueueNrOne(CFG.enqueueOne)],
        ['oursBulk', () => enqueueOursBulk(CFG.enqueueBulk)],
      ];
      for (const [key, fn] of wanted('enqueue') ? rotate(enqueueSteps, round - 1) : []) {
        try {
          const r = await fn();
          enqueue[key].push({ round, ...r });
          log(`round ${round}  enqueue ${key.padEnd(26)} ${fmt(r.jobsPerSec).padStart(7)} jobs/s`);
        } catch (e) {
          enqueue.errors.push({ round, step: key, message: e.message });
          log(`round ${round}  enqueue ${key} FAILED: ${e.message}`);
        }
      }

      for (const kind of wanted('latency') ? rotate(['ours', 'nr'], round - 1) : []) {
        try {
          const r = await runLatency(kind, round);
          latency[kind].push(r);
          log(`round ${round}  latency ${kind.padEnd(26)} p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms`);
        } catch (e) {
          latency.errors.push({ round, kind, message: e.message });
          log(`round ${round}  latency ${kind} FAILED: ${e.message}`);
        }
        await sleep(250);
      }
    }
  } finally {
    admin.disconnect();
  }

  const mach = machine();
  await server.stop();

  const durationSec = (now() - t0) / 1000;
  const result = buildReport({ startedAt, durationSec, machine: mach, drains, enqueue, latency });
  process.stdout.write(`${result.text}\n`);

  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const json = JSON.stringify(result.json, null, 2);
  fs.writeFileSync(path.join(RESULTS, `bench-${stamp}.json`), `${json}\n`);
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), `${json}\n`);
  log(`bench: wrote bench/results/bench-${stamp}.json and bench/results/latest.json`);
  const failures = Object.values(drains).some((d) => d.errors.some((e) => !e.warning)) || enqueue.errors.length || latency.errors.length;
  return failures ? 1 : 0;
}

// ---- report ----

function buildReport({ startedAt, durationSec, machine: m, drains, enqueue, latency }) {
  const out = [];
  const rnd = (x, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? Number(x.toFixed(d)) : null);
  const sum = (xs) => {
    const s = summary(xs);
    return { median: rnd(s.median), min: rnd(s.min), max: rnd(s.max), n: s.n };
  };

  out.push(`resque-ts benchmark — ${startedAt.toISOString()}${CFG.quick ? '  [QUICK MODE: smoke test only]' : ''}`);
  out.push(`machine: ${m.cpuModel} × ${m.cpuCount} CPUs, ${fmt(m.totalMemGiB, 1)} GiB RAM, ${m.os}`);
  out.push(`         node ${m.node}, redis-server ${m.redisServer} (private, --save '' --appendonly no), node-resque ${m.nodeResque}, resque-ts ${m.resqueTs}`);
  out.push(`load average (1/5/15 min) at start ${m.loadAvgAtStart.join(' ')}, at end ${m.loadAvgAtEnd.join(' ')}` +
    (m.loadAvgAtStart[0] > 0.5 ? '  (other work was running: expect noise)' : ''));
  out.push(`settings: rounds=${CFG.rounds}, drain N=${CFG.jobs} (strict N=${CFG.strictJobs}), enqueue one-at-a-time ${CFG.enqueueOne}, ` +
    `bulk ${CFG.enqueueBulk} in chunks of ${CFG.bulkChunk}, latency ${CFG.latencyJobs} jobs at ${CFG.latencyRate}/s`);
  out.push('');

  // Drain throughput
  const drainSum = {};
  for (const v of VARIANTS) {
    const d = drains[v.id];
    drainSum[v.id] = {
      label: v.label,
      jobs: v.strict ? CFG.strictJobs : CFG.jobs,
      jobsPerSec: sum(d.rounds.map((r) => r.jobsPerSec)),
      steadyJobsPerSec: sum(d.rounds.map((r) => r.steadyJobsPerSec)),
      jobsPerSecFromStart: sum(d.rounds.map((r) => r.jobsPerSecFromStart)),
      startupMs: sum(d.rounds.map((r) => r.startupMs)),
      stopMs: sum(d.rounds.map((r) => r.stopMs)),
      errors: d.errors,
    };
  }
  out.push(table(
    `Drain throughput, jobs/s: jobs done between the first observed processed>0 and processed>=N, per second (stat:processed polled every ${CFG.pollMs} ms;\n` +
      '"steady" = between 10% and 90% done; "incl. startup" = N / time from spawning the workers; rounds interleaved, order rotated each round)',
    ['variant', 'jobs', 'median', 'min', 'max', 'steady 10-90%', 'incl. startup', 'startup ms', 'rounds'],
    VARIANTS.map((v) => {
      const s = drainSum[v.id];
      return [v.label, s.jobs, fmt(s.jobsPerSec.median), fmt(s.jobsPerSec.min), fmt(s.jobsPerSec.max), fmt(s.steadyJobsPerSec.median),
        fmt(s.jobsPerSecFromStart.median), fmt(s.startupMs.median), `${s.jobsPerSec.n}/${CFG.rounds}${s.errors.length ? ' !' : ''}`];
    }),
  ));
  out.push('');

  // Enqueue throughput
  const enqSum = {
    oursOne: { label: 'ours resque.enqueue, awaited one at a time', jobs: CFG.enqueueOne, jobsPerSec: sum(enqueue.oursOne.map((r) => r.jobsPerSec)) },
    nrOne: { label: 'node-resque queue.enqueue, awaited one at a time', jobs: CFG.enqueueOne, jobsPerSec: sum(enqueue.nrOne.map((r) => r.jobsPerSec)) },
    oursBulk: { label: `ours enqueueBulk, chunks of ${CFG.bulkChunk}`, jobs: CFG.enqueueBulk, jobsPerSec: sum(enqueue.oursBulk.map((r) => r.jobsPerSec)) },
  };
  out.push(table('Enqueue throughput, jobs/s (client in the measuring process, after 200 warm-up enqueues)',
    ['client', 'jobs', 'median', 'min', 'max'],
    Object.values(enqSum).map((s) => [s.label, s.jobs, fmt(s.jobsPerSec.median), fmt(s.jobsPerSec.min), fmt(s.jobsPerSec.max)])));
  out.push('');

  // Latency
  const latSum = {};
  for (const kind of ['ours', 'nr']) {
    const rs = latency[kind];
    latSum[kind] = {
      label: kind === 'ours' ? 'ours --blocking --count=1 (child)' : `node-resque Worker ×1, timeout ${CFG.nrLatencyTimeoutMs} ms`,
      p50: sum(rs.map((r) => r.p50)), p90: sum(rs.map((r) => r.p90)), p99: sum(rs.map((r) => r.p99)), max: sum(rs.map((r) => r.max)),
      over20ms: sum(rs.map((r) => r.over20ms)),
    };
  }
  out.push(table(`Latency enqueue → perform, ms (${CFG.latencyJobs} jobs at ${CFG.latencyRate}/s per round; each system's own enqueue client)`,
    ['worker', 'p50 median', 'p50 min', 'p50 max', 'p99 median', 'p99 min', 'p99 max', 'max (median)', 'jobs >20 ms (median)'],
    ['ours', 'nr'].map((k) => {
      const s = latSum[k];
      return [s.label, fmt(s.p50.median, 2), fmt(s.p50.min, 2), fmt(s.p50.max, 2), fmt(s.p99.median, 2), fmt(s.p99.min, 2), fmt(s.p99.max, 2), fmt(s.max.median, 1), fmt(s.over20ms.median)];
    })));
  out.push('');

  // Peak RSS
  const rssRows = [];
  const rssSum = {};
  for (const v of VARIANTS) {
    if (v.strict) continue;
    const rounds = drains[v.id].rounds;
    if (!rounds.length) continue;
    for (const role of roleNames(v)) {
      const s = sum(rounds.map((r) => r.rss[role]?.peakMb));
      const procs = summary(rounds.map((r) => r.rss[role]?.processes)).max;
      rssSum[`${v.id}/${role}`] = { variant: v.label, role, peakMb: s, processesSeen: procs };
      rssRows.push([`${v.label}: ${role}`, procs, fmt(s.median, 1), fmt(s.min, 1), fmt(s.max, 1)]);
    }
  }
  out.push(table(`Peak RSS, MB (VmHWM sampled every ${CFG.rssSampleMs} ms during the drains; max over the processes of a role)`,
    ['process', 'procs seen', 'median', 'min', 'max'], rssRows));
  out.push('');

  // Ratios
  const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : undefined);
  const pairs = [
    ['drain: ours default ×1 / node-resque ×1', drainSum['ours-default-x1'].jobsPerSec.median, drainSum['nr-x1'].jobsPerSec.median, 'jobs/s', 'higher'],
    ['drain: ours default ×4 / node-resque ×4', drainSum['ours-default-x4'].jobsPerSec.median, drainSum['nr-x4'].jobsPerSec.median, 'jobs/s', 'higher'],
    ['drain: ours in-process ×1 / node-resque ×1', drainSum['ours-inproc-x1'].jobsPerSec.median, drainSum['nr-x1'].jobsPerSec.median, 'jobs/s', 'higher'],
    ['drain: ours in-process ×4 / node-resque ×4', drainSum['ours-inproc-x4'].jobsPerSec.median, drainSum['nr-x4'].jobsPerSec.median, 'jobs/s', 'higher'],
    ['enqueue: ours one-at-a-time / nr one-at-a-time', enqSum.oursOne.jobsPerSec.median, enqSum.nrOne.jobsPerSec.median, 'jobs/s', 'higher'],
    ['enqueue: ours bulk / nr one-at-a-time', enqSum.oursBulk.jobsPerSec.median, enqSum.nrOne.jobsPerSec.median, 'jobs/s', 'higher'],
    ['latency p50: ours / node-resque', latSum.ours.p50.median, latSum.nr.p50.median, 'ms', 'lower'],
    ['latency p99: ours / node-resque', latSum.ours.p99.median, latSum.nr.p99.median, 'ms', 'lower'],
    ['peak RSS: ours ×4 supervisor+workers+children / nr ×4 process', sumRss(rssSum, 'ours-default-x4', ['supervisor', 'worker', 'child'], { worker: 4, child: 4 }), rssSum['nr-x4/process']?.peakMb.median, 'MB', 'lower'],
    ['peak RSS: ours in-process ×4 supervisor+workers / nr ×4 process', sumRss(rssSum, 'ours-inproc-x4', ['supervisor', 'worker'], { worker: 4 }), rssSum['nr-x4/process']?.peakMb.median, 'MB', 'lower'],
  ];
  const ratios = pairs.map(([name, ours, nr, unit, better]) => ({ name, ours: rnd(ours), nodeResque: rnd(nr), unit, better, ratio: rnd(ratio(ours, nr)) }));
  // The same ratios within each round (rounds interleave ours and node-resque, so a round is one
  // machine state).
  const byRound = (list) => new Map(list.map((r) => [r.round, r.jobsPerSec]));
  const roundPairs = [
    ['drain default ×1 / nr ×1', drains['ours-default-x1'].rounds, drains['nr-x1'].rounds],
    ['drain default ×4 / nr ×4', drains['ours-default-x4'].rounds, drains['nr-x4'].rounds],
    ['drain in-process ×1 / nr ×1', drains['ours-inproc-x1'].rounds, drains['nr-x1'].rounds],
    ['drain in-process ×4 / nr ×4', drains['ours-inproc-x4'].rounds, drains['nr-x4'].rounds],
    ['enqueue one-at-a-time', enqueue.oursOne, enqueue.nrOne],
  ];
  const roundNumbers = Array.from({ length: CFG.rounds }, (_, i) => i + 1);
  const perRound = roundPairs.map(([name, ours, nr]) => {
    const o = byRound(ours);
    const n = byRound(nr);
    return { name, ratios: roundNumbers.map((k) => rnd(ratio(o.get(k), n.get(k)))) };
  });
  out.push(table('Ratios ours / node-resque (medians)', ['pair', 'ours', 'node-resque', 'unit', 'ratio', 'better'],
    ratios.map((r) => [r.name, fmt(r.ours, r.unit === 'jobs/s' ? 0 : 2), fmt(r.nodeResque, r.unit === 'jobs/s' ? 0 : 2), r.unit, fmt(r.ratio, 2), `${r.better} is better`])));
  out.push('');
  out.push('RSS ratios add 4 × the largest worker/child peak (count=4: one worker process each, one live child each).');
  out.push('');
  out.push(table('Ratios ours / node-resque per round (jobs/s, same round)', ['pair', ...roundNumbers.map((k) => `round ${k}`)],
    perRound.map((r) => [r.name, ...r.ratios.map((x) => fmt(x, 2))])));

  const errors = [
    ...Object.entries(drains).flatMap(([id, d]) => d.errors.map((e) => `drain ${id} round ${e.round}: ${e.message}`)),
    ...enqueue.errors.map((e) => `enqueue ${e.step} round ${e.round}: ${e.message}`),
    ...latency.errors.map((e) => `latency ${e.kind} round ${e.round}: ${e.message}`),
  ];
  if (errors.length) out.push('', 'ERRORS / WARNINGS:', ...errors.map((e) => `  ${e}`));
  out.push(`total duration: ${fmt(durationSec, 1)} s`);

  const text = out.join('\n');
  return {
    text,
    json: {
      startedAt: startedAt.toISOString(),
      durationSec: rnd(durationSec, 1),
      quick: CFG.quick,
      machine: m,
      settings: { ...CFG, queue: QUEUE, timing: 'drain: from the first observed processed>0 to processed>=N; jobs/s = (N - processed at first observation) / seconds' },
      summary: { drain: drainSum, enqueue: enqSum, latency: latSum, rss: rssSum, ratios, ratiosPerRound: perRound },
      raw: { drains, enqueue, latency },
      errors,
      text,
    },
  };
}

function sumRss(rssSum, id, roles, multiplier) {
  let total = 0;
  for (const role of roles) {
    const v = rssSum[`${id}/${role}`]?.peakMb.median;
    if (typeof v !== 'number') return undefined;
    total += v * (multiplier[role] ?? 1);
  }
  return total;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench failed: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
