'use strict';

// Shared by the reliability / fuzz / chaos suites:
//   * persistentRedis(): a private redis-server with AOF (appendfsync always) in a temp dir that
//     can be stopped (SIGKILL) and started again on the SAME port with the same data;
//   * php-resque payloads pushed as raw bytes, status packets, failure records, in-flight lists;
//   * runChaos(): the bounded chaos scenario used by test/chaos.test.js.
// Everything started here is stopped by an after() hook (and SIGKILLed on process exit).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { after } = require('node:test');
const Redis = require('ioredis');
const { startRedis, freePort } = require('./redis');
const { waitFor } = require('./wait');
const { statusOf, waitStatus } = require('./worker');

const persistent = new Set();
after(async () => {
  for (const p of [...persistent]) await p.destroy();
});

/**
 * A redis-server that keeps its data across restarts (AOF, fsync on every write, own dir).
 * stop() SIGKILLs it (an outage, not a clean shutdown); start() brings it back on the same port.
 */
async function persistentRedis({ args: extra = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resque-aof-'));
  const port = await freePort();
  const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, ...extra];
  let srv = await startRedis({ port, args });
  const clients = [];
  const handle = {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    get running() { return srv !== undefined; },
    /** An ioredis client that reconnects across restarts (closed by destroy()). */
    client() {
      const c = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50, maxRetriesPerRequest: null });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    async stop() {
      if (!srv) return;
      const s = srv;
      srv = undefined;
      await s.stop();
    },
    async start() {
      if (srv) return;
      srv = await startRedis({ port, args });
    },
    async destroy() {
      persistent.delete(handle);
      for (const c of clients.splice(0)) c.disconnect();
      await handle.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  persistent.add(handle);
  return handle;
}

const hex32 = () => randomBytes(16).toString('hex');
const nowS = () => Math.floor(Date.now() / 1000);

/** A php-resque 2.x payload (class, args:[args], id, prefix, queue_time). */
function phpPayload(cls, args = {}, id = hex32()) {
  return `{"class":${JSON.stringify(cls)},"args":[${JSON.stringify(args)}],"id":"${id}","prefix":"","queue_time":${Date.now() / 1000}}`;
}

/** SADD queues + RPUSH the exact bytes (string or Buffer); with `trackId`, a WAITING status first. */
async function pushRaw(r, ns, queue, raw, trackId) {
  if (trackId) {
    const t = nowS();
    await r.set(`${ns}:job:${trackId}:status`, `{"status":1,"updated":${t},"started":${t},"result":null}`);
  }
  await r.sadd(`${ns}:queues`, queue);
  await r.rpush(`${ns}:queue:${queue}`, raw);
}

/** Enqueue a tracked php-resque job; resolves {id, raw}. */
async function pushJob(r, ns, cls, args = {}, { queue = 'default', track = true, id = hex32() } = {}) {
  const raw = phpPayload(cls, args, id);
  await pushRaw(r, ns, queue, raw, track ? id : undefined);
  return { id, raw };
}

/** The status packet of a job (parsed), or null. */
/**
 * A --blocking worker on queues q1,q2, parked in BLMOVE on both: push one tracked job to each
 * queue at once (a = Slow {ms: slowMs} on q1, b = Noop on q2), so both connections move one;
 * resolves when `a` is RUNNING, with {a, b} ({id, raw} each).
 */
async function pushWhileParkedOnTwoQueues(r, ns, w, slowMs) {
  await waitFor(async () => (await r.client('LIST')).split('\n').filter((l) => / cmd=blmove /.test(l)).length >= 2,
    { what: 'two BLMOVEs blocked' });
  const a = { id: 'a'.repeat(32) };
  a.raw = JSON.stringify({ class: 'Slow', args: [{ ms: slowMs }], id: a.id, prefix: '' });
  const b = { id: 'b'.repeat(32) };
  b.raw = JSON.stringify({ class: 'Noop', args: [{ b: 1 }], id: b.id, prefix: '' });
  const t0 = Math.floor(Date.now() / 1000);
  await r.multi()
    .set(`${ns}:job:${a.id}:status`, `{"status":1,"updated":${t0},"started":${t0},"result":null}`)
    .set(`${ns}:job:${b.id}:status`, `{"status":1,"updated":${t0},"started":${t0},"result":null}`)
    .sadd(`${ns}:queues`, 'q1', 'q2').rpush(`${ns}:queue:q1`, a.raw).rpush(`${ns}:queue:q2`, b.raw).exec();
  await waitStatus(r, ns, a.id, 2, { worker: w });
  return { a, b };
}

/** Every failure record, parsed. */
async function failures(r, ns) {
  return (await r.lrange(`${ns}:failed`, 0, -1)).map((s) => JSON.parse(s));
}

/** Keys matching a glob under the namespace (SCAN). */
async function scan(r, pattern) {
  const out = new Set();
  let cursor = '0';
  do {
    const [next, batch] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    for (const k of batch) out.add(k);
  } while (cursor !== '0');
  return [...out].sort();
}

/** Every in-flight list of every worker in the namespace. */
function inflightLists(r, ns) {
  return scan(r, `${ns}:worker:*:inflight:*`);
}

const int = async (r, key) => Number((await r.get(key)) ?? 0);

/** Pid is alive: exists and is not a zombie (a SIGKILLed process stays a zombie until reaped). */
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Small seeded PRNG (mulberry32): same seed, same run. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The chaos scenario
// ---------------------------------------------------------------------------------------------

/**
 * One bounded chaos run (test/chaos.test.js asserts on the report):
 *   1. persistent Redis; 300 tracked ChaosJob jobs (each run appends its id to a completion
 *      file). A quarter is queued up front, the rest trickles in over the first 70 % of the chaos
 *      window, so the workers are busy while things die (the jobs take 0–30 ms each: queued all
 *      at once they would be done before the chaos got going);
 *   2. `resque start --count=2 --interval=0.2` (with --blocking when `blocking`);
 *   3. for `chaosMs`, every 300–700 ms: SIGKILL a job child (65 %: preferably one running a job,
 *      found through NS:job:ID:pid, else any child of a worker) or a worker process (a child of
 *      the supervisor; both may die together unless `spareLastWorker`); once, at 30–60 % of the
 *      window, SIGKILL Redis, pause 1 s, start it again;
 *   4. stop; the supervisor's replacement workers recover the dead workers' in-flight jobs (at
 *      their start: PruneDeadWorkerDirtyExit) and drain the queue; wait until the queue is empty,
 *      no in-flight list is left and every registered worker is alive; QUIT the supervisor;
 *   5. return the accounting.
 * "Completed" means status 4: a job killed mid-run may have written its line and still be
 * (rightly) recorded as failed — that is counted in `failedWithLine`, not as a completion.
 */
/**
 * `tracked: false`: the jobs have no status and take 0–maxMs ms, so a worker takes them in
 * batches and the kills land mid-batch; "completed" is then a completion line and no failure.
 */
/**
 * `retrying: true`: the jobs are ChaosRetryJob (tracked): the first attempt of each fails and is
 * retried 1 s later through the delayed queue (the supervisor runs --scheduler), so kills land
 * between failures and their re-scheduling, on retried attempts, and on the mover. A run is then
 * one "<id> <attempt>" line; a completed job must have failed once and then run a later attempt.
 */
async function runChaos({ seed = Date.now() >>> 0, blocking = false, jobs = 300, chaosMs = 20000, spareLastWorker = false, tracked = true, maxMs = 30, freeze = true, acl = false, retrying = false, startWorker, log = () => {} } = {}) {
  if (retrying) tracked = true;
  const rnd = prng(seed);
  const t0 = Date.now();
  const ns = `chaos${process.pid}x${seed}`;
  // acl: the workers connect as a user restricted to the namespace (a config directive, so it
  // survives the Redis restart); the test's own client stays the default user.
  const redis = await persistentRedis(acl ? { args: ['--user', 'chaos', 'on', '>chaospw', `~${ns}:*`, '+@all'] } : {});
  const workerSrv = acl ? { url: `redis://chaos:chaospw@127.0.0.1:${redis.port}` } : redis;
  const r = redis.client();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resque-chaos-'));
  const file = path.join(tmp, 'completed.txt');
  fs.writeFileSync(file, '');
  const ids = [];
  const raws = new Map();
  for (let i = 0; i < jobs; i++) {
    const id = hex32();
    ids.push(id);
    raws.set(id, phpPayload(retrying ? 'ChaosRetryJob' : 'ChaosJob', { file, n: i, maxMs }, id));
  }
  let pushed = 0;
  const push = async (n) => {
    const pipe = r.pipeline();
    const t = nowS();
    pipe.sadd(`${ns}:queues`, 'default');
    for (const id of ids.slice(pushed, pushed + n)) {
      if (tracked) pipe.set(`${ns}:job:${id}:status`, `{"status":1,"updated":${t},"started":${t},"result":null}`);
      pipe.rpush(`${ns}:queue:default`, raws.get(id));
    }
    pushed += Math.min(n, jobs - pushed);
    const res = await pipe.exec();
    for (const [err] of res) if (err) throw err;
  };
  let sup;
  // freeze: a second `resque start` (one worker), SIGSTOPped as a group past the prune age while
  // the first one runs, then SIGCONT: the first prunes and fences it; exactly-once must still hold.
  let frozen;
  const LIVENESS = ['--heartbeat-interval=1', '--prune-after=3'];
  const FREEZE_MS = 4500;
  try {
    // 1 + 2. the first jobs, the supervisor
    await push(Math.floor(jobs / 4));
    const args = ['--count=2', '--interval=0.2', ...LIVENESS];
    if (blocking) args.push('--blocking');
    sup = startWorker({ srv: workerSrv, ns, queue: 'default', args: retrying ? [...args, '--scheduler'] : args });
    if (freeze) frozen = startWorker({ srv: workerSrv, ns, queue: 'default', args: [...args.filter((a) => !a.startsWith('--count')), '--count=1'] });
    const registered = freeze ? 3 : 2;
    await waitFor(async () => (await r.scard(`${ns}:workers`)) >= registered, { timeoutMs: 15000, what: `${registered} workers registered` })
      .catch((e) => { e.message += `\n${sup.output}${frozen ? `\n--- frozen one ---\n${frozen.output}` : ''}`; throw e; });

    // 3. chaos
    const kills = { runningChild: 0, idleChild: 0, worker: 0, spared: 0, redisRestarts: 0, frozen: 0 };
    const chaosStart = Date.now();
    const chaosEnd = chaosStart + chaosMs;
    const freezeAt = chaosStart + rnd.int(Math.floor(chaosMs * 0.05), Math.floor(chaosMs * 0.15));
    let thawAt = Infinity;
    // after the frozen round (it ends by 0.15 × chaosMs + 4.5 s)
    const restartAt = chaosStart + rnd.int(Math.floor(chaosMs * 0.45), Math.floor(chaosMs * 0.65));
    const trickleEnd = chaosStart + chaosMs * 0.7;
    let restarted = false;
    while (Date.now() < chaosEnd) {
      await sleep(rnd.int(300, 700));
      if (frozen && kills.frozen === 0 && Date.now() >= freezeAt) {
        kills.frozen++;
        signalTree(frozen.pid, 'SIGSTOP');
        thawAt = Date.now() + FREEZE_MS;
        log(`[chaos] SIGSTOP the second resque start at +${Date.now() - t0} ms`);
      }
      if (Date.now() >= thawAt) {
        thawAt = Infinity;
        signalTree(frozen.pid, 'SIGCONT');
        log(`[chaos] SIGCONT at +${Date.now() - t0} ms`);
      }
      if (pushed < jobs) {
        const due = Math.ceil(jobs / 4 + (jobs * 3 / 4) * Math.min(1, (Date.now() - chaosStart) / (trickleEnd - chaosStart)));
        if (due > pushed) {
          await push(due - pushed);
          await sleep(rnd.int(0, 250)); // let pollers pick the new jobs up: kills then hit running jobs
        }
      }
      if (!restarted && Date.now() >= restartAt) {
        restarted = true;
        log(`[chaos] SIGKILL redis at +${Date.now() - t0} ms`);
        await redis.stop();
        await sleep(1000);
        await redis.start();
        kills.redisRestarts++;
        log(`[chaos] redis back at +${Date.now() - t0} ms`);
        continue;
      }
      const workers = childPidsOf(sup.pid);
      if (workers.length === 0) continue;
      // The processes that run jobs: in the default engine the supervisor's children are the job
      // processes themselves (each one a registered worker); in strict mode their children.
      const children = new Set([...workers, ...workers.flatMap((w) => childPidsOf(w))]);
      if (rnd.chance(0.65)) {
        const running = (await r.mget(...(await scan(r, `${ns}:job:*:pid`)).concat(`${ns}:none`)))
          .filter(Boolean).map(Number).filter((p) => children.has(p));
        if (running.length > 0) {
          if (killPid(rnd.pick(running))) kills.runningChild++;
          continue;
        }
        if (children.size > 0) {
          if (killPid(rnd.pick([...children]))) kills.idleChild++;
          continue;
        }
      }
      // With spareLastWorker, a worker is only killed while another one is alive (the supervisor
      // used to exit silently when every worker was dead at once: its restart timer was unref'd).
      if (spareLastWorker && workers.filter(alive).length < 2) { kills.spared++; continue; }
      if (killPid(rnd.pick(workers))) kills.worker++;
    }
    if (thawAt !== Infinity) signalTree(frozen.pid, 'SIGCONT');
    if (pushed < jobs) await push(jobs - pushed);
    log(`[chaos] stopped at +${Date.now() - t0} ms: ${JSON.stringify(kills)}`);

    // 4. let the (restarted) workers recover and drain. A SIGKILL sent on the last tick may not
    // have landed yet: give it a moment, and require the end state on two polls in a row.
    await sleep(500);
    const settledAt = Date.now();
    let stableSince = 0;
    await waitFor(async () => {
      const ok = await drained();
      if (!ok) { stableSince = 0; return null; }
      stableSince ||= Date.now();
      return Date.now() - stableSince >= 400;
    }, { timeoutMs: 40000, intervalMs: 200, what: 'queue drained, no in-flight list, dead workers recovered' })
      .catch(async (e) => {
        e.message += `\nqueued=${await r.llen(`${ns}:queue:default`)} inflight=${(await inflightLists(r, ns)).join(',')}` +
          ` workers=${(await r.smembers(`${ns}:workers`)).join(',')}\n--- supervisor output (tail) ---\n${sup.output.slice(-4000)}`;
        throw e;
      });
    async function drained() {
      if ((await r.llen(`${ns}:queue:default`)) > 0) return null;
      if ((await inflightLists(r, ns)).length > 0) return null;
      if (retrying && (await r.zcard(`${ns}:delayed_queue_schedule`)) > 0) return null;
      // exactly the live workers are registered (2, and the second start's 1): every dead one was recovered
      const members = await r.smembers(`${ns}:workers`);
      const live = [...childPidsOf(sup.pid), ...(frozen ? childPidsOf(frozen.pid) : [])].filter(alive);
      if (members.length !== registered || live.length !== registered) return null;
      for (const m of members) if (!live.includes(Number(m.split(':')[1]))) return null;
      return true;
    }
    const drainMs = Date.now() - settledAt;
    const starts = frozen ? [sup, frozen] : [sup];
    const workerPids = starts.flatMap((s) => childPidsOf(s.pid));
    const allPids = [...starts.map((s) => s.pid), ...workerPids, ...workerPids.flatMap((w) => childPidsOf(w))];
    for (const s of starts) s.signal('SIGQUIT');
    const exit = await sup.waitExit({ timeoutMs: 15000 });
    const frozenExit = frozen ? await frozen.waitExit({ timeoutMs: 15000 }) : undefined;
    await waitFor(() => allPids.every((p) => !alive(p)), { timeoutMs: 5000, what: 'every process gone' }).catch(() => {});

    // 5. accounting
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // runs: lines per job; a line seen twice is one attempt run twice (retrying: "<id> <attempt>")
    const runs = new Map();
    const seenLines = new Map();
    const attemptsRun = new Map();
    for (const l of lines) {
      const [lid, attempt] = l.split(' ');
      runs.set(lid, (runs.get(lid) ?? 0) + 1);
      seenLines.set(l, (seenLines.get(l) ?? 0) + 1);
      if (attempt) attemptsRun.set(lid, [...(attemptsRun.get(lid) ?? []), Number(attempt)]);
    }
    const statuses = await r.mget(ids.map((id) => `${ns}:job:${id}:status`));
    const failedRecords = (await r.lrange(`${ns}:failed`, 0, -1)).map((x) => JSON.parse(x));
    const failedById = new Map();
    for (const rec of failedRecords) {
      const id = rec.payload && rec.payload.id;
      failedById.set(id, [...(failedById.get(id) ?? []), rec]);
    }
    const queued = new Set((await r.lrange(`${ns}:queue:default`, 0, -1)).map((x) => JSON.parse(x).id));
    const perJob = ids.map((id, i) => {
      const st = statuses[i] ? JSON.parse(statuses[i]).status : null;
      const failed = failedById.get(id) ?? [];
      const completed = tracked ? st === 4 : failed.length === 0 && runs.has(id);
      return { id, status: st, completed, failed, queued: queued.has(id), runs: runs.get(id) ?? 0 };
    });
    return {
      seed,
      blocking,
      tracked,
      jobs,
      pushed,
      kills,
      drainMs,
      exit,
      frozenExit,
      // the frozen start's worker was pruned (and fenced) by one of the first start's, and the
      // fenced job process said so when it came back
      frozenPruned: freeze ? /Pruned dead worker /.test(sup.output) && /was pruned as dead while frozen/.test(frozen.output) : undefined,
      wallMs: Date.now() - t0,
      completed: perJob.filter((j) => j.completed).length,
      failed: perJob.filter((j) => !j.completed && j.failed.length > 0).length,
      queuedLeft: perJob.filter((j) => !j.completed && j.failed.length === 0 && j.queued).length,
      missing: perJob.filter((j) => !j.completed && j.failed.length === 0 && !j.queued)
        .map((j) => `${j.id} status=${j.status} runs=${j.runs}`),
      bothCompletedAndFailed: perJob.filter((j) => j.completed && j.failed.length > 0).map((j) => j.id),
      failedTwice: perJob.filter((j) => j.failed.length > 1).map((j) => j.id),
      failedWithLine: perJob.filter((j) => !j.completed && j.failed.length > 0 && j.runs > 0).length,
      failedStatus: countBy(perJob.filter((j) => !j.completed && j.failed.length > 0).map((j) => String(j.status))),
      duplicateRuns: retrying
        ? [...seenLines].filter(([, n]) => n > 1).map(([l, n]) => `${l}×${n}`)
        : perJob.filter((j) => j.runs > 1).map((j) => `${j.id}×${j.runs}`),
      // retrying: a completed job failed its first attempt and completed a later one
      completedWithoutRetry: retrying ? perJob.filter((j) => j.completed && !(attemptsRun.get(j.id) ?? []).some((a) => a > 1)).map((j) => j.id) : [],
      // (its first attempt may have left no line: killed before it wrote one, it was retried as a crash)
      crashedBeforeFirstLine: retrying ? perJob.filter((j) => !(attemptsRun.get(j.id) ?? []).includes(1)).length : undefined,
      attemptsHistogram: retrying ? countBy(perJob.map((j) => String(Math.max(0, ...(attemptsRun.get(j.id) ?? []))))) : undefined,
      completedWithoutLine: perJob.filter((j) => j.completed && j.runs === 0).map((j) => j.id),
      failureRecords: failedRecords.length,
      foreignFailures: failedRecords.filter((rec) => !rec.payload || !raws.has(rec.payload.id)).length,
      unexplainedFailures: failedRecords
        .filter((rec) => !/^(DirtyExitError|PruneDeadWorkerDirtyExit)$/.test(rec.exception) || typeof rec.error !== 'string' || rec.error === '')
        .map((rec) => `${rec.exception}: ${rec.error}`),
      failureKinds: countBy(failedRecords.map((rec) => rec.exception)),
      statusCounts: countBy(perJob.map((j) => String(j.status))),
      stats: { processed: await int(r, `${ns}:stat:processed`), failed: await int(r, `${ns}:stat:failed`), retried: await int(r, `${ns}:resque-ts:stat:retried`) },
      leftoverDelayed: await r.zcard(`${ns}:delayed_queue_schedule`),
      leftoverWorkers: await r.smembers(`${ns}:workers`),
      leftoverInflight: await inflightLists(r, ns),
      leftoverPids: allPids.filter(alive),
      output: frozen ? `${sup.output}\n--- the frozen start ---\n${frozen.output}` : sup.output,
    };
  } finally {
    if (frozen) { signalTree(frozen.pid, 'SIGCONT'); await frozen.stop({ graceMs: 1000 }); }
    if (sup) await sup.stop({ graceMs: 1000 });
    await redis.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function countBy(list) {
  const out = {};
  for (const x of list) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/** Direct children of `pid` (from /proc/PID/task/PID/children). */
function childPidsOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** `sig` to the process group of `pid` and to those of its children (job processes have their own). */
function signalTree(pid, sig) {
  for (const child of childPidsOf(pid)) {
    try { process.kill(-child, sig); } catch {}
  }
  try { process.kill(-pid, sig); } catch {}
}

function killPid(pid) {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

module.exports = {
  persistentRedis, pushWhileParkedOnTwoQueues, phpPayload, pushRaw, pushJob, statusOf, waitStatus, failures, scan, inflightLists, int,
  alive, prng, sleep, hex32, nowS, childPidsOf, killPid, runChaos,
};
