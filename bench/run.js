#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: resque-ts against node-resque 9.7.1 and BullMQ 5 on one private redis-server.
 *   1. Drain N no-op jobs (queue filled first, workers started after; time from the first
 *      observed processed job to stat:processed >= N, polled every 5 ms):
 *      ours default (child processes) ×1/×4, ours --in-process ×1/×4 (and ×4 / ×1 with --no-history,
 *      for the cost of the history writes), ours --jobs-per-child=1 ×2
 *      (BENCH_STRICT_JOBS jobs), node-resque Worker ×1/×4 (in one separate process), BullMQ
 *      Worker at concurrency 16 (in-process processor) and sandboxed at concurrency 4 (processor
 *      file, BullMQ's child processes), each in a separate process; BullMQ is timed from
 *      `new Worker()` to its last `completed` event (it keeps no processed counter).
 *      Rounds interleave the variants, the order rotating each round.
 *   2. Footprint: drains of BENCH_FOOTPRINT_JOBS (100,000) jobs with ours --count=1, --count=4,
 *      --in-process --count=4, node-resque ×4 and BullMQ c16; the VmRSS of every process of the
 *      tree right when the last job is done (total and by role), and the drain rates at that size.
 *   3. Enqueue throughput: one at a time (ours resque.enqueue, node-resque queue.enqueue, BullMQ
 *      queue.add), from 64 concurrent async callers (the same calls), and in bulk (ours
 *      enqueueBulk, BullMQ addBulk, chunks of 1000).
 *   4. Enqueue → perform latency at a steady rate: ours --blocking --count=1 vs node-resque ×1
 *      (timeout = 5 ms polling).
 *   5. Start to first job finished: `resque start --count=1 --once` (default and --in-process)
 *      with one job waiting, from spawn to stat:processed = 1 (polled every 1 ms), and to exit.
 *   6. Peak RSS (VmHWM) of every process of the drains, by role.
 * Targets are printed as ✓/✗. Writes bench/results/bench-<ISO date>.json and bench/results/latest.json.
 * BullMQ keys live under their own prefix (CFG.bullPrefix), deleted after each BullMQ step.
 * Our workers run from a private copy of bin/ + dist/ taken at the start (bench/lib/snapshot.js).
 *
 * Environment: BENCH_ROUNDS (3), BENCH_JOBS (20000), BENCH_STRICT_JOBS (300), BENCH_FOOTPRINT_JOBS
 * (100000), BENCH_QUICK=1 (1 round, 5000 jobs, 10,000 for the footprint, smaller side benchmarks:
 * a smoke test), BENCH_REDIS_SERVER (redis-server binary), BENCH_ONLY=name,… (a subset, for
 * debugging: drain variant ids, `footprint`, `enqueue`, `latency`, `startup`).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const Redis = require('ioredis');
const { Queue } = require('node-resque');
const { startRedis } = require('./lib/redis-server');
const { spawnTracked, reap, waitExit, installCleanup, processTree, memoryOf, isNodeProcess, killGroup, treeMemory } = require('./lib/procs');
const { openBullQueue, fillBull, cleanPrefix } = require('./lib/bullmq-client');
const { snapshotBuild } = require('./lib/snapshot');
const { summary, percentile, mean, fmt, table } = require('./lib/stats');
const { runDelayedBench, delayedRows } = require('./delayed');
const { runDashboardBench, dashboardRows } = require('./dashboard');

const ROOT = path.resolve(__dirname, '..');
/** The private copy of bin/ + dist/ the run uses (bench/lib/snapshot.js), set in main(). */
let BUILD;
const binPath = () => path.join(BUILD, 'bin', 'resque');
const JOBS_DIR = path.join(__dirname, 'jobs');
const NR_WORKER = path.join(__dirname, 'lib', 'node-resque-worker.js');
const BULL_WORKER = path.join(__dirname, 'lib', 'bullmq-worker.js');
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
  footprintJobs: intEnv('BENCH_FOOTPRINT_JOBS', QUICK ? 10000 : 100000),
  enqueueOne: QUICK ? 2000 : 5000,
  enqueueConcurrent: QUICK ? 5000 : 20000,
  enqueueCallers: 64,
  enqueueBulk: QUICK ? 5000 : 20000,
  bulkChunk: 1000,
  startupRuns: 3, // per variant and round (median over all rounds)
  startupPollMs: 1,
  bullPrefix: 'bullbench', // BullMQ's own key prefix
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
  // Delayed jobs (bench/delayed.js)
  // The dashboard (bench/dashboard.js)
  dashQueueJobs: intEnv('BENCH_DASH_JOBS', QUICK ? 100000 : 1000000),
  dashFailed: intEnv('BENCH_DASH_FAILED', QUICK ? 10000 : 100000),
  delayedOne: QUICK ? 500 : 2000,
  delayedBulk: QUICK ? 10000 : 100000,
  delayedMoverJobs: QUICK ? 10000 : 100000,
  nrDelayedMoverJobs: QUICK ? 2000 : 20000,
  delayedLatenessSamples: QUICK ? 3 : 10,
  delayedLatenessRounds: 1,
  failedRetryRecords: QUICK ? 10000 : 100000,
});

const QUEUE = 'bench';
/**
 * Drain variants. kind: ours | nr | bull; args: extra `resque start` flags; workers: node-resque
 * Worker count; concurrency, sandboxed: the BullMQ Worker's.
 */
const VARIANTS = [
  { id: 'ours-default-x1', label: 'ours default ×1 (child)', kind: 'ours', args: ['--count=1'] },
  { id: 'ours-default-x4', label: 'ours default ×4 (child)', kind: 'ours', args: ['--count=4'] },
  { id: 'ours-inproc-x1', label: 'ours --in-process ×1', kind: 'ours', args: ['--count=1', '--in-process'] },
  { id: 'ours-inproc-x4', label: 'ours --in-process ×4', kind: 'ours', args: ['--count=4', '--in-process'] },
  // the cost of the history writes (issue 14): the same drains without them
  { id: 'ours-default-x4-nohist', label: 'ours default ×4 --no-history', kind: 'ours', args: ['--count=4', '--no-history'] },
  { id: 'ours-inproc-x1-nohist', label: 'ours --in-process ×1 --no-history', kind: 'ours', args: ['--count=1', '--in-process', '--no-history'] },
  { id: 'ours-strict-x2', label: 'ours --jobs-per-child=1 ×2', kind: 'ours', args: ['--count=2', '--jobs-per-child=1'], strict: true },
  { id: 'nr-x1', label: 'node-resque Worker ×1', kind: 'nr', workers: 1 },
  { id: 'nr-x4', label: 'node-resque Worker ×4 (1 process)', kind: 'nr', workers: 4 },
  { id: 'bullmq-c16', label: 'BullMQ Worker c16 (in-process) †', kind: 'bull', concurrency: 16, sandboxed: false },
  { id: 'bullmq-sandbox-c4', label: 'BullMQ sandboxed c4 (job processes) †', kind: 'bull', concurrency: 4, sandboxed: true },
];
const variantById = (id) => VARIANTS.find((v) => v.id === id);
/** The footprint drains (CFG.footprintJobs each). */
const FOOTPRINT_IDS = ['ours-default-x1', 'ours-default-x4', 'ours-inproc-x4', 'nr-x4', 'bullmq-c16'];
/** Start to first job: `resque start --count=1 --once` with one job waiting. */
const STARTUP_VARIANTS = [
  { id: 'startup-default', label: 'ours --count=1 --once (default: job process)', kind: 'ours', args: ['--count=1', '--once'] },
  { id: 'startup-inproc', label: 'ours --count=1 --once --in-process', kind: 'ours', args: ['--count=1', '--once', '--in-process'] },
];
const TIMING = {
  ours: 'first observed processed>0 → processed>=N',
  nr: 'first observed processed>0 → processed>=N',
  bull: 'new Worker() → last completed event',
};

/** BENCH_ONLY=name,name,…: run only these drain variants and/or groups (debugging aid). */
const GROUPS = ['footprint', 'enqueue', 'latency', 'startup', 'delayed', 'dashboard'];
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((x) => x.trim()).filter(Boolean)) : undefined;
for (const name of ONLY ?? []) {
  if (!GROUPS.includes(name) && !variantById(name)) {
    throw new Error(`BENCH_ONLY: unknown name ${JSON.stringify(name)}; known: ${[...VARIANTS.map((v) => v.id), ...GROUPS].join(', ')}`);
  }
}
const wanted = (id) => !ONLY || ONLY.has(id);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const log = (msg) => process.stderr.write(`${msg}\n`);
/** Epoch ms with sub-ms precision, comparable across processes (the BullMQ worker reports these). */
const epoch = () => performance.timeOrigin + performance.now();

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
  const { Resque } = require(path.join(BUILD, 'dist', 'index.js'));
  return new Resque({ redis: `127.0.0.1:${server.port}`, namespace });
}

// ---- starting and stopping workers ----

/** Start the workers of a variant; returns a handle with stop(). */
function startWorkers(variant, namespace, logName, { extraArgs = [], nrTimeoutMs = CFG.nrDrainTimeoutMs, jobs = 0 } = {}) {
  const fd = openLog(logName);
  let proc;
  try {
    if (variant.kind === 'ours') {
      const args = [binPath(), 'start', `--queue=${QUEUE}`, `--jobs=${JOBS_DIR}`, `--prefix=${namespace}`,
        `--redis=127.0.0.1:${server.port}`, ...variant.args, ...extraArgs];
      proc = spawnTracked(process.execPath, args, { cwd: ROOT, env: childEnv(), stdio: ['ignore', fd, fd] });
    } else if (variant.kind === 'bull') {
      const env = {
        ...childEnv(),
        BENCH_BULLMQ_CONFIG: JSON.stringify({ port: server.port, prefix: namespace, queue: QUEUE, concurrency: variant.concurrency, sandboxed: variant.sandboxed, jobs }),
      };
      proc = spawnTracked(process.execPath, [BULL_WORKER], { cwd: ROOT, env, stdio: ['ignore', fd, fd, 'ipc'] });
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
  if (variant.kind === 'bull') return variant.sandboxed ? ['process', 'sandbox child'] : ['process'];
  const count = Number(/--count=(\d+)/.exec(variant.args.join(' '))?.[1] ?? 1);
  const inProc = variant.args.includes('--in-process');
  const strict = variant.args.includes('--jobs-per-child=1');
  // Default engine: the started process hosts the job processes, which are the workers.
  if (!inProc && !strict) return ['supervisor', 'child'];
  const roles = count > 1 ? ['supervisor', 'worker'] : ['worker'];
  if (!inProc) roles.push('child');
  return roles;
}

class RssSampler {
  constructor(variant, rootPid) {
    this.roles = roleNames(variant);
    this.rootPid = rootPid;
    this.peak = {}; // role → {hwmKb, rssKb, pids:Set}
    this.peakTotalKb = 0; // the largest sum of VmRSS over the tree in one sample
    for (const r of this.roles) this.peak[r] = { hwmKb: 0, rssKb: 0, pids: new Set() };
    this.timer = setInterval(() => this.sample(), CFG.rssSampleMs);
  }

  sample() {
    let totalKb = 0;
    for (const { pid, depth } of processTree(this.rootPid)) {
      const role = this.roles[depth];
      if (!role || !isNodeProcess(pid)) continue; // not pidusage's `sh -c getconf …` helpers
      const m = memoryOf(pid);
      if (!m) continue;
      totalKb += m.rssKb;
      const p = this.peak[role];
      p.pids.add(pid);
      p.hwmKb = Math.max(p.hwmKb, m.hwmKb);
      p.rssKb = Math.max(p.rssKb, m.rssKb);
    }
    this.peakTotalKb = Math.max(this.peakTotalKb, totalKb);
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

/**
 * One drain of `jobs` jobs (default: BENCH_JOBS, or BENCH_STRICT_JOBS for strict variants).
 * Also returns `after`: the VmRSS of the whole process tree right when the last job is done.
 */
async function runDrain(variant, round, { jobs, tag = '' } = {}) {
  const n = jobs ?? (variant.strict ? CFG.strictJobs : CFG.jobs);
  const logName = `${tag}${variant.id}-r${round}`;
  if (variant.kind === 'bull') return runBullDrain(variant, round, n, logName);
  const namespace = freshNamespace(variant.id);
  await admin.flushdb();
  await fillQueue(namespace, n);
  const t0 = now();
  const workers = startWorkers(variant, namespace, logName);
  const sampler = new RssSampler(variant, workers.proc.pid);
  let result;
  let after;
  try {
    result = await watchProcessed(namespace, n, t0, workers.proc);
    after = treeMemory(workers.proc.pid, roleNames(variant));
  } catch (e) {
    sampler.finish();
    workers.kill();
    throw e;
  }
  const rss = sampler.finish();
  const stopped = await workers.stop();
  const [failed, left] = await Promise.all([admin.get(`${namespace}:stat:failed`), admin.llen(`${namespace}:queue:${QUEUE}`)]);
  const out = {
    round, jobs: n, timing: TIMING[variant.kind], ...result, stopMs: stopped.stopMs, exitCode: stopped.code, left, rss,
    peakTotalRssMb: sampler.peakTotalKb / 1024, after, failedJobs: Number(failed) || 0,
  };
  if (Number(failed) > 0) {
    const records = (await admin.lrange(`${namespace}:failed`, 0, 2)).map((raw) => {
      try {
        const f = JSON.parse(raw);
        return `${f.exception}: ${f.error}`;
      } catch {
        return raw.slice(0, 200);
      }
    });
    out.warning = `${failed} job(s) failed: ${records.join(' | ')} (round kept; log: bench/results/logs/${logName}.log)`;
  }
  return out;
}

/**
 * A BullMQ drain: the queue (own prefix) filled with addBulk, then the worker process started;
 * timed in the worker from `new Worker()` to the last `completed` event. Keys deleted afterwards.
 */
async function runBullDrain(variant, round, n, logName) {
  const prefix = CFG.bullPrefix;
  await admin.flushdb();
  const queue = await openBullQueue(server.port, prefix, QUEUE);
  try {
    await fillBull(queue, n, CFG.bulkChunk);
    const waiting = await queue.getWaitingCount();
    if (waiting !== n) throw new Error(`BullMQ queue holds ${waiting} jobs, expected ${n}`);
  } finally {
    await queue.close();
  }
  const tSpawn = epoch();
  const t0 = now();
  const workers = startWorkers(variant, prefix, logName, { jobs: n });
  const sampler = new RssSampler(variant, workers.proc.pid);
  let m;
  let after;
  try {
    m = await watchBull(workers.proc, t0);
    after = treeMemory(workers.proc.pid, roleNames(variant));
  } catch (e) {
    sampler.finish();
    workers.kill();
    await cleanPrefix(admin, prefix);
    throw e;
  }
  const rss = sampler.finish();
  const stopped = await workers.stop();
  const keysDeleted = await cleanPrefix(admin, prefix);
  const seconds = (m.last - m.created) / 1000;
  const out = {
    round,
    jobs: n,
    timing: TIMING.bull,
    startupMs: m.first - tSpawn,
    workerCreatedMs: m.created - tSpawn,
    seconds,
    jobsPerSec: n / seconds,
    jobsPerSecFromFirst: (n - 1) / ((m.last - m.first) / 1000),
    jobsPerSecFromStart: n / ((m.last - tSpawn) / 1000),
    steadyJobsPerSec: m.t90 > m.t10 ? (m.c90 - m.c10) / ((m.t90 - m.t10) / 1000) : undefined,
    stopMs: stopped.stopMs,
    exitCode: stopped.code,
    keysDeleted,
    rss,
    peakTotalRssMb: sampler.peakTotalKb / 1024,
    after,
    failedJobs: m.failed,
  };
  if (m.failed > 0) out.warning = `${m.failed} BullMQ job(s) failed: ${m.failedMessage} (round kept; log: bench/results/logs/${logName}.log)`;
  return out;
}

/** Wait for the BullMQ worker process's {type:'done'}; fails on exit, no start or a stall. */
function watchBull(proc, t0) {
  return new Promise((resolve, reject) => {
    let last = 0;
    let lastChange = now();
    let timer;
    const settle = (fn, value) => {
      clearInterval(timer);
      proc.off('message', onMessage);
      fn(value);
    };
    const onMessage = (msg) => {
      if (msg?.type === 'progress' && msg.done !== last) {
        last = msg.done;
        lastChange = now();
      } else if (msg?.type === 'done') {
        settle(resolve, msg);
      }
    };
    proc.on('message', onMessage);
    timer = setInterval(() => {
      const t = now();
      if (proc.exitInfo) settle(reject, new Error(`BullMQ worker exited early (${JSON.stringify(proc.exitInfo)}) at completed=${last}`));
      else if (last === 0 && t - t0 > CFG.startupLimitMs) settle(reject, new Error(`no BullMQ job completed within ${CFG.startupLimitMs / 1000} s`));
      else if (last > 0 && t - lastChange > CFG.stallLimitMs) settle(reject, new Error(`BullMQ stalled at completed=${last} for ${CFG.stallLimitMs / 1000} s`));
    }, 100);
  });
}

// ---- 2. enqueue throughput ----

/**
 * An enqueue client of one system: add(queue) one no-op job, addBulk(queue, size) (undefined for
 * node-resque, which has none), count(queue) jobs waiting, close().
 */
async function enqueueClient(system) {
  if (system === 'ours') {
    const namespace = freshNamespace('enq-ours');
    const resque = ourResque(namespace);
    await resque.redis();
    return {
      add: (q) => resque.enqueue(q, 'Noop', {}),
      addBulk: (q, size) => resque.enqueueBulk(q, Array.from({ length: size }, () => ({ class: 'Noop', args: {} }))),
      count: (q) => admin.llen(`${namespace}:queue:${q}`),
      close: () => resque.close(),
    };
  }
  if (system === 'nr') {
    const namespace = freshNamespace('enq-nr');
    const queue = new Queue({ connection: { host: '127.0.0.1', port: server.port, namespace } }, {});
    queue.on('error', (e) => log(`node-resque queue error: ${e.message}`));
    await queue.connect();
    return {
      add: (q) => queue.enqueue(q, 'Noop', [{}]),
      addBulk: undefined,
      count: (q) => admin.llen(`${namespace}:queue:${q}`),
      close: () => queue.end(),
    };
  }
  // BullMQ: a Queue object per queue name, both opened before timing.
  const queues = { warmup: await openBullQueue(server.port, CFG.bullPrefix, 'warmup'), [QUEUE]: await openBullQueue(server.port, CFG.bullPrefix, QUEUE) };
  return {
    add: (q) => queues[q].add('Noop', {}),
    addBulk: (q, size) => queues[q].addBulk(Array.from({ length: size }, () => ({ name: 'Noop', data: {} }))),
    count: (q) => queues[q].getWaitingCount(),
    close: async () => {
      await Promise.all(Object.values(queues).map((x) => x.close()));
      await cleanPrefix(admin, CFG.bullPrefix);
    },
  };
}

/** Call fn() n times from `callers` concurrent async loops (1 = awaited one at a time). */
async function inCallers(n, callers, fn) {
  let started = 0;
  const loop = async () => {
    while (started < n) {
      started += 1;
      await fn();
    }
  };
  await Promise.all(Array.from({ length: Math.min(callers, n) }, loop));
}

/** Enqueue n jobs with mode one | concurrent | bulk. */
async function enqueueMode(client, queue, mode, n) {
  if (mode === 'bulk') {
    for (let done = 0; done < n; done += CFG.bulkChunk) await client.addBulk(queue, Math.min(CFG.bulkChunk, n - done));
    return;
  }
  await inCallers(n, mode === 'concurrent' ? CFG.enqueueCallers : 1, () => client.add(queue));
}

/** Time n enqueues of one system in one mode, after CFG.enqueueWarmup of the same onto `warmup`. */
async function timeEnqueue(system, mode, n) {
  await admin.flushdb();
  const client = await enqueueClient(system);
  try {
    await enqueueMode(client, 'warmup', mode, CFG.enqueueWarmup);
    const t0 = now();
    await enqueueMode(client, QUEUE, mode, n);
    const seconds = (now() - t0) / 1000;
    const len = await client.count(QUEUE);
    if (len !== n) throw new Error(`queue holds ${len} jobs after enqueueing ${n}`);
    return { jobs: n, seconds, jobsPerSec: n / seconds };
  } finally {
    await client.close();
  }
}

/** The enqueue rows: key → [system, mode, jobs, label]. */
const ENQUEUE_ROWS = {
  oursOne: ['ours', 'one', CFG.enqueueOne, 'ours resque.enqueue, awaited one at a time'],
  nrOne: ['nr', 'one', CFG.enqueueOne, 'node-resque queue.enqueue, awaited one at a time'],
  bullOne: ['bull', 'one', CFG.enqueueOne, 'BullMQ queue.add, awaited one at a time'],
  oursConc: ['ours', 'concurrent', CFG.enqueueConcurrent, `ours resque.enqueue, ${CFG.enqueueCallers} concurrent callers`],
  nrConc: ['nr', 'concurrent', CFG.enqueueConcurrent, `node-resque queue.enqueue, ${CFG.enqueueCallers} concurrent callers`],
  bullConc: ['bull', 'concurrent', CFG.enqueueConcurrent, `BullMQ queue.add, ${CFG.enqueueCallers} concurrent callers`],
  oursBulk: ['ours', 'bulk', CFG.enqueueBulk, `ours enqueueBulk, chunks of ${CFG.bulkChunk}`],
  bullBulk: ['bull', 'bulk', CFG.enqueueBulk, `BullMQ addBulk, chunks of ${CFG.bulkChunk}`],
};

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

// ---- 4. start to first job finished ----

/** Spawn `resque start --count=1 --once …` with one Noop waiting: ms to stat:processed=1 and to exit. */
async function runStartup(variant, round, run) {
  const namespace = freshNamespace(variant.id);
  await admin.flushdb();
  await fillQueue(namespace, 1);
  const key = `${namespace}:stat:processed`;
  const mon = redisClient();
  await mon.ping();
  const fd = openLog(`${variant.id}-r${round}-${run}`);
  const args = [binPath(), 'start', `--queue=${QUEUE}`, `--jobs=${JOBS_DIR}`, `--prefix=${namespace}`, `--redis=127.0.0.1:${server.port}`, ...variant.args];
  let proc;
  const t0 = now();
  try {
    proc = spawnTracked(process.execPath, args, { cwd: ROOT, env: childEnv(), stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  try {
    let firstJobMs;
    while (firstJobMs === undefined) {
      if (Number(await mon.get(key)) >= 1) firstJobMs = now() - t0;
      else if (proc.exitInfo) throw new Error(`exited before its job was done (${JSON.stringify(proc.exitInfo)})`);
      else if (now() - t0 > CFG.startupLimitMs) throw new Error(`job not done within ${CFG.startupLimitMs / 1000} s`);
      else await sleep(CFG.startupPollMs);
    }
    const r = await waitExit(proc, CFG.stopLimitMs);
    const exitMs = now() - t0;
    if (r.timedOut) throw new Error(`--once did not exit within ${CFG.stopLimitMs / 1000} s`);
    if (r.code !== 0) throw new Error(`exit code ${r.code} signal ${r.signal}`);
    return { round, run, firstJobMs, exitMs };
  } finally {
    mon.disconnect();
    reap(proc);
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
    bullmq: require('bullmq/package.json').version,
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
  BUILD = await snapshotBuild(ROOT, log);
  fs.mkdirSync(RESULTS, { recursive: true });

  server = await startRedis();
  admin = redisClient();
  log(`bench: redis-server ${server.version} on 127.0.0.1:${server.port} (pid ${server.pid}); ` +
    `rounds=${CFG.rounds} jobs=${CFG.jobs} strict=${CFG.strictJobs}${CFG.quick ? ' (quick)' : ''}`);

  const drains = Object.fromEntries(VARIANTS.map((v) => [v.id, { label: v.label, rounds: [], errors: [] }]));
  const footprint = Object.fromEntries(FOOTPRINT_IDS.map((id) => [id, { label: variantById(id).label, rounds: [], errors: [] }]));
  const enqueue = { ...Object.fromEntries(Object.keys(ENQUEUE_ROWS).map((k) => [k, []])), errors: [] };
  const latency = { ours: [], nr: [], errors: [] };
  const startup = Object.fromEntries(STARTUP_VARIANTS.map((v) => [v.id, { label: v.label, runs: [], errors: [] }]));
  let dashboard = { pages: {}, errors: [] };
  let delayed = { enqueueOne: [], enqueueBulk: [], mover: { ours: [], nr: [] }, lateness: { ours: [], nr: [] }, failedRetry: [], errors: [] };

  /** One drain, logged and stored in `into` (a drains / footprint entry). */
  const drainStep = async (v, round, into, opts, tag) => {
    const t = now();
    const label = `${tag}${v.label}`.padEnd(44);
    try {
      const r = await runDrain(v, round, opts);
      into.rounds.push(r);
      if (r.warning) {
        into.errors.push({ round, message: r.warning, warning: true });
        log(`round ${round}  ${label} WARNING: ${r.warning}`);
      }
      log(`round ${round}  ${label} ${fmt(r.jobsPerSec).padStart(7)} jobs/s  (startup ${fmt(r.startupMs)} ms, ` +
        `RSS after ${fmt(r.after.totalMb, 1)} MB, ${fmt((now() - t) / 1000, 1)} s total)`);
    } catch (e) {
      into.errors.push({ round, message: e.message });
      log(`round ${round}  ${label} FAILED: ${e.message}`);
    }
    await sleep(250);
  };

  try {
    for (let round = 1; round <= CFG.rounds; round++) {
      for (const v of rotate(VARIANTS, round - 1)) {
        if (wanted(v.id)) await drainStep(v, round, drains[v.id], {}, '');
      }

      for (const id of wanted('footprint') ? rotate(FOOTPRINT_IDS, round - 1) : []) {
        await drainStep(variantById(id), round, footprint[id], { jobs: CFG.footprintJobs, tag: 'fp-' }, `footprint ${CFG.footprintJobs / 1000}k: `);
      }

      for (const key of wanted('enqueue') ? rotate(Object.keys(ENQUEUE_ROWS), round - 1) : []) {
        const [system, mode, n] = ENQUEUE_ROWS[key];
        try {
          const r = await timeEnqueue(system, mode, n);
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

      for (let run = 1; wanted('startup') && run <= CFG.startupRuns; run++) {
        for (const v of rotate(STARTUP_VARIANTS, run + round)) {
          try {
            const r = await runStartup(v, round, run);
            startup[v.id].runs.push(r);
            log(`round ${round}  ${v.label.padEnd(44)} first job ${fmt(r.firstJobMs, 1)} ms, exit ${fmt(r.exitMs, 1)} ms`);
          } catch (e) {
            startup[v.id].errors.push({ round, run, message: e.message });
            log(`round ${round}  ${v.label} FAILED: ${e.message}`);
          }
          await sleep(100);
        }
      }
    }
    if (wanted('delayed')) {
      delayed = await runDelayedBench({
        port: server.port, bin: binPath(), env: childEnv(), log, rounds: CFG.rounds,
        ns: (what) => freshNamespace(what), resque: (namespace) => ourResque(namespace),
        oneAtATime: CFG.delayedOne, bulk: CFG.delayedBulk, moverJobs: CFG.delayedMoverJobs, nrMoverJobs: CFG.nrDelayedMoverJobs,
        latenessSamples: CFG.delayedLatenessSamples, latenessRounds: CFG.delayedLatenessRounds,
        build: BUILD, failedRecords: CFG.failedRetryRecords,
      });
    }
    if (wanted('dashboard')) {
      dashboard = await runDashboardBench({ port: server.port, log, rounds: CFG.rounds, ns: (what) => freshNamespace(what), build: BUILD, queueJobs: CFG.dashQueueJobs, failedRecords: CFG.dashFailed });
    }
  } finally {
    admin.disconnect();
  }

  const mach = machine();
  await server.stop();

  const durationSec = (now() - t0) / 1000;
  const result = buildReport({ startedAt, durationSec, machine: mach, drains, footprint, enqueue, latency, startup, delayed, dashboard });
  process.stdout.write(`${result.text}\n`);

  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const json = JSON.stringify(result.json, null, 2);
  fs.writeFileSync(path.join(RESULTS, `bench-${stamp}.json`), `${json}\n`);
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), `${json}\n`);
  log(`bench: wrote bench/results/bench-${stamp}.json and bench/results/latest.json`);
  const failures = [...Object.values(drains), ...Object.values(footprint)].some((d) => d.errors.some((e) => !e.warning)) ||
    enqueue.errors.length || latency.errors.length || Object.values(startup).some((d) => d.errors.length) || delayed.errors.length;
  return failures ? 1 : 0;
}

// ---- report ----

/** ✓ / ✗ for a value against {min} or {max}; '–' without a value. */
function mark(value, target) {
  if (!target) return '';
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  const ok = target.min !== undefined ? value >= target.min : value <= target.max;
  return ok ? '✓' : '✗';
}

function targetText(target, unit) {
  if (!target) return '';
  const u = unit === '×' ? '×' : ` ${unit}`;
  return target.min !== undefined ? `≥ ${target.min}${u}` : `≤ ${target.max}${u}`;
}

/** Column of a role in the per-process breakdown. */
const BREAKDOWN_COLUMN = { supervisor: 'supervisor', worker: 'worker', process: 'worker', child: 'job process', 'sandbox child': 'job process' };

function buildReport({ startedAt, durationSec, machine: m, drains, footprint, enqueue, latency, startup, delayed, dashboard }) {
  const out = [];
  const rnd = (x, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? Number(x.toFixed(d)) : null);
  const sum = (xs) => {
    const s = summary(xs);
    return { median: rnd(s.median), min: rnd(s.min), max: rnd(s.max), n: s.n };
  };
  const maxOf = (xs) => (xs && xs.length ? Math.max(...xs) : undefined);
  const fpN = `${fmt(CFG.footprintJobs / 1000)}k`;

  out.push(`resque-ts benchmark — ${startedAt.toISOString()}${CFG.quick ? '  [QUICK MODE: smoke test only; reduced sizes, targets indicative]' : ''}`);
  out.push(`machine: ${m.cpuModel} × ${m.cpuCount} CPUs, ${fmt(m.totalMemGiB, 1)} GiB RAM, ${m.os}`);
  out.push(`         node ${m.node}, redis-server ${m.redisServer} (private, --save '' --appendonly no), node-resque ${m.nodeResque}, bullmq ${m.bullmq}, resque-ts ${m.resqueTs}`);
  out.push(`load average (1/5/15 min) at start ${m.loadAvgAtStart.join(' ')}, at end ${m.loadAvgAtEnd.join(' ')}` +
    (m.loadAvgAtStart[0] > 0.5 ? '  (other work was running: expect noise)' : ''));
  out.push(`settings: rounds=${CFG.rounds}, drain N=${CFG.jobs} (strict N=${CFG.strictJobs}), footprint N=${CFG.footprintJobs}, enqueue one-at-a-time ${CFG.enqueueOne}, ` +
    `${CFG.enqueueCallers} callers ${CFG.enqueueConcurrent}, bulk ${CFG.enqueueBulk} in chunks of ${CFG.bulkChunk}, latency ${CFG.latencyJobs} jobs at ${CFG.latencyRate}/s, ` +
    `start-to-first-job ${CFG.startupRuns} runs per round`);
  out.push(`BullMQ: key prefix "${CFG.bullPrefix}" (deleted after each step), jobs added with removeOnComplete: true, other Worker options default`);
  out.push('');

  // Drain throughput
  const drainSummary = (v, d, jobs) => ({
    label: v.label,
    jobs,
    timing: TIMING[v.kind],
    jobsPerSec: sum(d.rounds.map((r) => r.jobsPerSec)),
    steadyJobsPerSec: sum(d.rounds.map((r) => r.steadyJobsPerSec)),
    jobsPerSecFromStart: sum(d.rounds.map((r) => r.jobsPerSecFromStart)),
    jobsPerSecFromFirst: v.kind === 'bull' ? sum(d.rounds.map((r) => r.jobsPerSecFromFirst)) : undefined,
    startupMs: sum(d.rounds.map((r) => r.startupMs)),
    stopMs: sum(d.rounds.map((r) => r.stopMs)),
    errors: d.errors,
  });
  const drainSum = {};
  for (const v of VARIANTS) drainSum[v.id] = drainSummary(v, drains[v.id], v.strict ? CFG.strictJobs : CFG.jobs);
  out.push(table(
    `Drain throughput, jobs/s: ours and node-resque: jobs done between the first observed processed>0 and processed>=N, per second (stat:processed polled every ${CFG.pollMs} ms);\n` +
      '† BullMQ (no processed counter): N / time from `new Worker()` to the last `completed` event, measured in the worker process (includes its connect and, sandboxed, its job processes\' start);\n' +
      '"steady" = between 10% and 90% done; "incl. startup" = N / time from spawning the workers; rounds interleaved, order rotated each round',
    ['variant', 'timing', 'jobs', 'median', 'min', 'max', 'steady 10-90%', 'incl. startup', 'startup ms', 'rounds'],
    VARIANTS.map((v) => {
      const s = drainSum[v.id];
      return [v.label, v.kind === 'bull' ? 'new Worker→last' : '1st job→N', s.jobs, fmt(s.jobsPerSec.median), fmt(s.jobsPerSec.min), fmt(s.jobsPerSec.max),
        fmt(s.steadyJobsPerSec.median), fmt(s.jobsPerSecFromStart.median), fmt(s.startupMs.median), `${s.jobsPerSec.n}/${CFG.rounds}${s.errors.length ? ' !' : ''}`];
    }),
  ));
  out.push('');

  // Footprint
  const fpSum = {};
  for (const id of FOOTPRINT_IDS) {
    const v = variantById(id);
    const rounds = footprint[id].rounds;
    const roles = {};
    for (const role of roleNames(v)) {
      roles[role] = {
        processes: summary(rounds.map((r) => r.after.roles[role]?.rssMb.length)).max,
        eachMaxMb: sum(rounds.map((r) => maxOf(r.after.roles[role]?.rssMb))),
        sumMb: sum(rounds.map((r) => r.after.roles[role]?.sumMb)),
      };
    }
    fpSum[id] = {
      ...drainSummary(v, footprint[id], CFG.footprintJobs),
      totalAfterMb: sum(rounds.map((r) => r.after.totalMb)),
      totalAnonAfterMb: sum(rounds.map((r) => r.after.totalAnonMb)),
      peakTotalMb: sum(rounds.map((r) => r.peakTotalRssMb)),
      processes: summary(rounds.map((r) => r.after.processes)).max,
      roles,
    };
  }
  const fpRssTarget = { 'ours-default-x4': { max: 300 } };
  out.push(table(
    `Footprint: total VmRSS of the whole process tree (supervisor + workers + job processes) right when the last of ${fmt(CFG.footprintJobs)} no-op jobs is done, MB;\n` +
      `"peak" = the largest tree total seen while draining (sampled every ${CFG.rssSampleMs} ms); "anon" = the tree's RssAnon at the same moment\n` +
      '(private memory: RSS without file pages such as the node binary, which the processes share); drain jobs/s timed as in the drain table (†: new Worker → last)',
    ['variant', 'procs', 'RSS median', 'min', 'max', 'peak', 'target', 'anon median', 'jobs/s median', 'min', 'max', 'rounds'],
    FOOTPRINT_IDS.map((id) => {
      const s = fpSum[id];
      const t = fpRssTarget[id];
      return [s.label, s.processes ?? '–', fmt(s.totalAfterMb.median, 1), fmt(s.totalAfterMb.min, 1), fmt(s.totalAfterMb.max, 1), fmt(s.peakTotalMb.median, 1),
        t ? `${targetText(t, 'MB')} ${mark(s.totalAfterMb.median, t)}` : '', fmt(s.totalAnonAfterMb.median, 1), fmt(s.jobsPerSec.median), fmt(s.jobsPerSec.min), fmt(s.jobsPerSec.max),
        `${s.jobsPerSec.n}/${CFG.rounds}${s.errors.length ? ' !' : ''}`];
    }),
  ));
  out.push('');
  out.push(table(
    `Footprint per process after ${fmt(CFG.footprintJobs)} jobs, MB VmRSS: count × the largest of its role (median over rounds); node-resque and BullMQ c16 are one process`,
    ['variant', 'supervisor', 'worker', 'job process', 'total'],
    FOOTPRINT_IDS.map((id) => {
      const s = fpSum[id];
      const cells = { supervisor: '–', worker: '–', 'job process': '–' };
      for (const [role, r] of Object.entries(s.roles)) {
        if (r.processes) cells[BREAKDOWN_COLUMN[role]] = `${r.processes} × ${fmt(r.eachMaxMb.median, 1)}`;
      }
      return [s.label, cells.supervisor, cells.worker, cells['job process'], fmt(s.totalAfterMb.median, 1)];
    }),
  ));
  // A job process retires after --jobs-per-child jobs: at a round number of jobs it may be gone.
  for (const id of FOOTPRINT_IDS) {
    const v = variantById(id);
    const want = v.kind === 'ours' && !v.args.includes('--in-process') ? Number(/--count=(\d+)/.exec(v.args.join(' '))?.[1] ?? 1) : 0;
    for (const r of footprint[id].rounds) {
      const have = r.after.roles.child?.rssMb.length ?? 0;
      if (have < want) {
        out.push(`note: ${v.label}, round ${r.round}: ${have} of ${want} job process(es) alive when the last job was done ` +
          '(one retires after --jobs-per-child jobs, 100,000 by default; "peak" includes it)');
      }
    }
  }
  out.push('');

  // Enqueue throughput
  const enqSum = {};
  for (const [key, [system, mode, jobs, label]] of Object.entries(ENQUEUE_ROWS)) {
    enqSum[key] = { label, system, mode, jobs, jobsPerSec: sum(enqueue[key].map((r) => r.jobsPerSec)) };
  }
  out.push(table(`Enqueue throughput, jobs/s (client in the measuring process, after ${CFG.enqueueWarmup} warm-up enqueues of the same kind)`,
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

  // Start to first job
  const startupTarget = { max: 250 };
  const stSum = {};
  for (const v of STARTUP_VARIANTS) {
    const d = startup[v.id];
    stSum[v.id] = { label: v.label, firstJobMs: sum(d.runs.map((r) => r.firstJobMs)), exitMs: sum(d.runs.map((r) => r.exitMs)), errors: d.errors };
  }
  out.push(table(`Start to first job finished, ms: spawn of \`resque start\` (node bin/resque) with one no-op job waiting → stat:processed = 1 (polled every ${CFG.startupPollMs} ms); "exit" = → process exit`,
    ['variant', 'runs', 'median', 'min', 'max', 'target', 'exit median'],
    STARTUP_VARIANTS.map((v) => {
      const s = stSum[v.id];
      return [s.label, `${s.firstJobMs.n}${s.errors.length ? ' !' : ''}`, fmt(s.firstJobMs.median, 1), fmt(s.firstJobMs.min, 1), fmt(s.firstJobMs.max, 1),
        `${targetText(startupTarget, 'ms')} ${mark(s.firstJobMs.median, startupTarget)}`, fmt(s.exitMs.median, 1)];
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
  out.push(table(`Peak RSS, MB (VmHWM sampled every ${CFG.rssSampleMs} ms during the ${fmt(CFG.jobs)}-job drains; max over the processes of a role)`,
    ['process', 'procs seen', 'median', 'min', 'max'], rssRows));
  out.push('');

  // Ratios
  const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : undefined);
  const ratioRows = (pairs, otherKey) => pairs.map(([name, ours, other, unit, better, target]) => ({
    name, ours: rnd(ours), [otherKey]: rnd(other), unit, better, ratio: rnd(ratio(ours, other)), target: target ?? null,
    met: target ? mark(ratio(ours, other), target) : undefined,
  }));
  const ratioTable = (title, otherName, otherKey, rows) => table(title, ['pair', 'ours', otherName, 'unit', 'ratio', 'better', 'target'],
    rows.map((r) => [r.name, fmt(r.ours, r.unit === 'jobs/s' ? 0 : 2), fmt(r[otherKey], r.unit === 'jobs/s' ? 0 : 2), r.unit, fmt(r.ratio, 2), `${r.better} is better`,
      r.target ? `${targetText(r.target, '×')} ${r.met}` : '']));
  const d = (id) => drainSum[id].jobsPerSec.median;
  const fp = (id) => fpSum[id].jobsPerSec.median;
  const fpRss = (id) => fpSum[id].totalAfterMb.median;
  const e = (key) => enqSum[key].jobsPerSec.median;

  const nrRatios = ratioRows([
    ['drain: ours default ×1 / node-resque ×1', d('ours-default-x1'), d('nr-x1'), 'jobs/s', 'higher'],
    ['drain: ours default ×4 / node-resque ×4', d('ours-default-x4'), d('nr-x4'), 'jobs/s', 'higher'],
    ['drain: ours in-process ×1 / node-resque ×1', d('ours-inproc-x1'), d('nr-x1'), 'jobs/s', 'higher'],
    ['drain: ours in-process ×4 / node-resque ×4', d('ours-inproc-x4'), d('nr-x4'), 'jobs/s', 'higher'],
    [`drain ${fpN}: ours --count=4 / node-resque ×4`, fp('ours-default-x4'), fp('nr-x4'), 'jobs/s', 'higher', { min: 4 }],
    [`drain ${fpN}: ours in-process ×4 / node-resque ×4`, fp('ours-inproc-x4'), fp('nr-x4'), 'jobs/s', 'higher'],
    ['enqueue: ours one-at-a-time / nr one-at-a-time', e('oursOne'), e('nrOne'), 'jobs/s', 'higher'],
    [`enqueue: ours ${CFG.enqueueCallers} callers / nr ${CFG.enqueueCallers} callers`, e('oursConc'), e('nrConc'), 'jobs/s', 'higher'],
    ['enqueue: ours bulk / nr one-at-a-time', e('oursBulk'), e('nrOne'), 'jobs/s', 'higher'],
    ['latency p50: ours / node-resque', latSum.ours.p50.median, latSum.nr.p50.median, 'ms', 'lower'],
    ['latency p99: ours / node-resque', latSum.ours.p99.median, latSum.nr.p99.median, 'ms', 'lower'],
    ['peak RSS: ours ×4 supervisor+job processes / nr ×4 process', sumRss(rssSum, 'ours-default-x4', ['supervisor', 'child'], { child: 4 }), rssSum['nr-x4/process']?.peakMb.median, 'MB', 'lower'],
    ['peak RSS: ours in-process ×4 supervisor+workers / nr ×4 process', sumRss(rssSum, 'ours-inproc-x4', ['supervisor', 'worker'], { worker: 4 }), rssSum['nr-x4/process']?.peakMb.median, 'MB', 'lower'],
    [`RSS after ${fpN}: ours --count=4 tree / node-resque ×4`, fpRss('ours-default-x4'), fpRss('nr-x4'), 'MB', 'lower'],
  ], 'nodeResque');
  const bullRatios = ratioRows([
    ['drain: ours default ×4 / BullMQ sandboxed c4 †', d('ours-default-x4'), d('bullmq-sandbox-c4'), 'jobs/s', 'higher', { min: 4 }],
    ['drain: ours default ×1 / BullMQ sandboxed c4 †', d('ours-default-x1'), d('bullmq-sandbox-c4'), 'jobs/s', 'higher'],
    ['drain: ours default ×4 / BullMQ c16 †', d('ours-default-x4'), d('bullmq-c16'), 'jobs/s', 'higher'],
    ['drain: ours in-process ×4 / BullMQ c16 †', d('ours-inproc-x4'), d('bullmq-c16'), 'jobs/s', 'higher'],
    ['drain: ours in-process ×1 / BullMQ c16 †', d('ours-inproc-x1'), d('bullmq-c16'), 'jobs/s', 'higher'],
    [`drain ${fpN}: ours --count=4 / BullMQ c16 †`, fp('ours-default-x4'), fp('bullmq-c16'), 'jobs/s', 'higher', { min: 1.5 }],
    [`drain ${fpN}: ours in-process ×4 / BullMQ c16 †`, fp('ours-inproc-x4'), fp('bullmq-c16'), 'jobs/s', 'higher'],
    ['enqueue: ours one-at-a-time / BullMQ add one-at-a-time', e('oursOne'), e('bullOne'), 'jobs/s', 'higher'],
    [`enqueue: ours ${CFG.enqueueCallers} callers / BullMQ add ${CFG.enqueueCallers} callers`, e('oursConc'), e('bullConc'), 'jobs/s', 'higher'],
    ['enqueue: ours enqueueBulk / BullMQ addBulk', e('oursBulk'), e('bullBulk'), 'jobs/s', 'higher'],
    [`RSS after ${fpN}: ours --count=4 tree / BullMQ c16`, fpRss('ours-default-x4'), fpRss('bullmq-c16'), 'MB', 'lower'],
    [`RSS after ${fpN}: ours in-process ×4 tree / BullMQ c16`, fpRss('ours-inproc-x4'), fpRss('bullmq-c16'), 'MB', 'lower'],
  ], 'bullmq');

  // The same ratios within each round (rounds interleave the systems, so a round is one machine state).
  const byRound = (list) => new Map(list.map((r) => [r.round, r.jobsPerSec]));
  const roundNumbers = Array.from({ length: CFG.rounds }, (_, i) => i + 1);
  const perRound = (pairs) => pairs.map(([name, ours, other]) => {
    const o = byRound(ours);
    const n = byRound(other);
    return { name, ratios: roundNumbers.map((k) => rnd(ratio(o.get(k), n.get(k)))) };
  });
  const dr = (id) => drains[id].rounds;
  const fr = (id) => footprint[id].rounds;
  const nrPerRound = perRound([
    ['drain default ×1 / nr ×1', dr('ours-default-x1'), dr('nr-x1')],
    ['drain default ×4 / nr ×4', dr('ours-default-x4'), dr('nr-x4')],
    ['drain in-process ×1 / nr ×1', dr('ours-inproc-x1'), dr('nr-x1')],
    ['drain in-process ×4 / nr ×4', dr('ours-inproc-x4'), dr('nr-x4')],
    [`drain ${fpN} --count=4 / nr ×4`, fr('ours-default-x4'), fr('nr-x4')],
    [`drain ${fpN} in-process ×4 / nr ×4`, fr('ours-inproc-x4'), fr('nr-x4')],
    ['enqueue one-at-a-time', enqueue.oursOne, enqueue.nrOne],
    [`enqueue ${CFG.enqueueCallers} callers`, enqueue.oursConc, enqueue.nrConc],
  ]);
  const bullPerRound = perRound([
    ['drain default ×4 / BullMQ sandboxed c4 †', dr('ours-default-x4'), dr('bullmq-sandbox-c4')],
    ['drain default ×1 / BullMQ sandboxed c4 †', dr('ours-default-x1'), dr('bullmq-sandbox-c4')],
    ['drain default ×4 / BullMQ c16 †', dr('ours-default-x4'), dr('bullmq-c16')],
    ['drain in-process ×4 / BullMQ c16 †', dr('ours-inproc-x4'), dr('bullmq-c16')],
    [`drain ${fpN} --count=4 / BullMQ c16 †`, fr('ours-default-x4'), fr('bullmq-c16')],
    [`drain ${fpN} in-process ×4 / BullMQ c16 †`, fr('ours-inproc-x4'), fr('bullmq-c16')],
    ['enqueue one-at-a-time', enqueue.oursOne, enqueue.bullOne],
    [`enqueue ${CFG.enqueueCallers} callers`, enqueue.oursConc, enqueue.bullConc],
    ['enqueue bulk', enqueue.oursBulk, enqueue.bullBulk],
  ]);
  const perRoundTable = (title, rows) => table(title, ['pair', ...roundNumbers.map((k) => `round ${k}`)],
    rows.map((r) => [r.name, ...r.ratios.map((x) => fmt(x, 2))]));

  out.push(ratioTable('Ratios ours / node-resque (medians)', 'node-resque', 'nodeResque', nrRatios));
  out.push('');
  out.push('Peak RSS ratios add 4 × the largest worker or job-process peak (count=4: four of them).');
  out.push('');
  out.push(perRoundTable('Ratios ours / node-resque per round (jobs/s, same round)', nrPerRound));
  out.push('');
  out.push(ratioTable('Ratios ours / BullMQ (medians; † BullMQ drains timed new Worker → last completed)', 'BullMQ', 'bullmq', bullRatios));
  out.push('');
  out.push(perRoundTable('Ratios ours / BullMQ per round (jobs/s, same round)', bullPerRound));
  out.push('');

  if (Object.keys(dashboard.pages).length) {
    out.push(table(`Dashboard page times, ms (median of ${5} fetches, median over rounds) on a queue of ${fmt(dashboard.queueJobs)} jobs and ${fmt(dashboard.failedRecords)} failure records`, ['page', 'path', 'ms', 'target'], dashboardRows(dashboard, fmt)));
    out.push('');
  }
  if (delayed.enqueueOne.length || delayed.mover.ours.length || delayed.lateness.ours.length) {
    out.push(table('Delayed jobs (medians over rounds; lateness over every sample)', ['', 'ours', 'node-resque', 'ours / node-resque'], delayedRows(delayed, fmt)));
    out.push('');
  }

  // Targets
  const targets = [
    { name: `total RSS, ours --count=4 (default engine) after ${fpN} jobs`, value: fpRss('ours-default-x4'), unit: 'MB', target: { max: 300 } },
    { name: 'each additional worker (the largest job process of --count=4)', value: fpSum['ours-default-x4'].roles.child?.eachMaxMb.median, unit: 'MB', target: { max: 65 } },
    { name: 'start → first job finished, --count=1 (default engine)', value: stSum['startup-default'].firstJobMs.median, unit: 'ms', target: startupTarget },
    { name: 'start → first job finished, --count=1 --in-process', value: stSum['startup-inproc'].firstJobMs.median, unit: 'ms', target: startupTarget },
    { name: `drain ${fpN}: ours --count=4 / node-resque ×4`, value: ratio(fp('ours-default-x4'), fp('nr-x4')), unit: '×', target: { min: 4 } },
    { name: `drain ${fpN}: ours --count=4 / BullMQ c16 (in-process) †`, value: ratio(fp('ours-default-x4'), fp('bullmq-c16')), unit: '×', target: { min: 1.5 } },
    { name: `drain ${fmt(CFG.jobs / 1000)}k: ours default ×4 / BullMQ sandboxed c4 †`, value: ratio(d('ours-default-x4'), d('bullmq-sandbox-c4')), unit: '×', target: { min: 4 } },
    { name: `drain ${fmt(CFG.jobs / 1000)}k, history on / off: default ×4`, value: ratio(d('ours-default-x4'), d('ours-default-x4-nohist')), unit: '×', target: { min: 0.95 } },
    { name: `drain ${fmt(CFG.jobs / 1000)}k, history on / off: --in-process ×1`, value: ratio(d('ours-inproc-x1'), d('ours-inproc-x1-nohist')), unit: '×', target: { min: 0.95 } },
  ].map((t) => ({ ...t, value: rnd(t.value), met: mark(t.value, t.target) }));
  out.push(table(`Targets${CFG.quick ? ' (QUICK: reduced sizes, indicative only)' : ''}`, ['target', 'value', 'wanted', ''],
    targets.map((t) => [t.name, fmt(t.value, t.unit === '×' ? 2 : 1) + (t.unit === '×' ? '×' : ` ${t.unit}`), targetText(t.target, t.unit), t.met])));

  const errors = [
    ...Object.entries(drains).flatMap(([id, x]) => x.errors.map((er) => `drain ${id} round ${er.round}: ${er.message}`)),
    ...Object.entries(footprint).flatMap(([id, x]) => x.errors.map((er) => `footprint ${id} round ${er.round}: ${er.message}`)),
    ...enqueue.errors.map((er) => `enqueue ${er.step} round ${er.round}: ${er.message}`),
    ...latency.errors.map((er) => `latency ${er.kind} round ${er.round}: ${er.message}`),
    ...Object.entries(startup).flatMap(([id, x]) => x.errors.map((er) => `startup ${id} round ${er.round} run ${er.run}: ${er.message}`)),
    ...delayed.errors.map((er) => `delayed ${er.step}: ${er.message}`),
    ...dashboard.errors.map((er) => `dashboard ${er.step}: ${er.message}`),
  ];
  if (errors.length) out.push('', 'ERRORS / WARNINGS:', ...errors.map((x) => `  ${x}`));
  out.push(`total duration: ${fmt(durationSec, 1)} s`);

  const text = out.join('\n');
  return {
    text,
    json: {
      startedAt: startedAt.toISOString(),
      durationSec: rnd(durationSec, 1),
      quick: CFG.quick,
      machine: m,
      settings: {
        ...CFG,
        queue: QUEUE,
        timing: {
          drain: 'ours and node-resque: from the first observed processed>0 to processed>=N; jobs/s = (N - processed at first observation) / seconds',
          bullmqDrain: 'BullMQ: N / (last completed event - just before new Worker()), measured in the worker process; jobsPerSecFromFirst = (N - 1) / (last - first completed)',
          footprint: 'VmRSS of every process of the tree, read from /proc right after the last job is done (before stopping)',
          startup: 'spawn of node bin/resque start --count=1 --once → stat:processed >= 1 (firstJobMs) and → exit (exitMs)',
        },
        bullmqJobOptions: { removeOnComplete: true },
      },
      summary: {
        drain: drainSum, footprint: fpSum, enqueue: enqSum, latency: latSum, startup: stSum, rss: rssSum,
        ratios: nrRatios, ratiosPerRound: nrPerRound, ratiosBullmq: bullRatios, ratiosBullmqPerRound: bullPerRound, targets,
      },
      raw: { drains, footprint, enqueue, latency, startup, delayed, dashboard },
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
