'use strict';
// Start `bin/resque start …` as a real process, watch its output, signal it, await its exit —
// and never leave anything behind: every process is started in its own process group, and an
// after() hook (plus a process 'exit' fallback) SIGKILLs every group we started, so a worker's
// job children and a supervisor's workers go with it.
// Also: namespace dumps in the fixture shape, and small process / Redis probes the worker tests share.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after } = require('node:test');
const { waitFor } = require('./wait');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'resque');
const JOBS = path.join(ROOT, 'test', 'fixtures', 'jobs');
const HOST = os.hostname();

/** Variables the CLI reads: never inherited from the machine running the tests. */
const CLEARED_ENV = [
  'QUEUE', 'COUNT', 'INTERVAL', 'BLOCKING', 'PIDFILE', 'APP_INCLUDE', 'PREFIX', 'REDIS_BACKEND',
  'REDIS_BACKEND_DB', 'REDIS_URL', 'VERBOSE', 'LOGGING', 'VVERBOSE', 'GRACEFUL_TERM', 'RESQUE_SUPERVISED',
  'NODE_TEST_CONTEXT', 'NODE_OPTIONS',
];

const started = new Set();

// Batch cursors of the workers this test file starts (and of recoveries it runs in-process) go to
// a folder of its own, removed at exit: a SIGKILLed worker's cursor is not left on the machine.
const CURSOR_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'resque-cursors-'));
process.env.RESQUE_CURSOR_DIR = CURSOR_DIR;
process.on('exit', () => fs.rmSync(CURSOR_DIR, { recursive: true, force: true }));

function killGroup(pid, signal = 'SIGKILL') {
  // Job processes run in process groups of their own: reach them, and what their jobs started, too.
  for (const child of childPids(pid)) {
    try { process.kill(-child, signal); } catch {}
  }
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

process.on('exit', () => {
  for (const w of started) killGroup(w.pid);
});

after(async () => {
  await killAll();
});

/** SIGKILL every process group we started and reap the leaders. */
async function killAll() {
  const all = [...started];
  started.clear();
  await Promise.all(all.map(async (w) => {
    killGroup(w.pid);
    await w.exited;
  }));
}

function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of CLEARED_ENV) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

/**
 * Spawn `node bin/resque ARGV…` (argv as given, no shell). Returns a handle:
 *   pid, output (stdout+stderr as they came), stdout, stderr, alive, exited (promise of
 *   {code, signal}), waitForOutput(re|string, opts), mark() (offset for "new output only"),
 *   signal(sig), waitExit(opts), stop() (QUIT, then KILL after a grace).
 */
function spawnResque(argv, { env = {}, cwd = ROOT } = {}) {
  const proc = spawn(process.execPath, [BIN, ...argv], {
    cwd,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: killGroup() reaches its children too
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { stdout += d; output += d; });
  proc.stderr.on('data', (d) => { stderr += d; output += d; });
  let exit;
  // 'exit' = the process ended; 'close' = its pipes are drained too (job children that
  // inherited the pipes are gone as well). Output is only complete after 'close'.
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    proc.once('error', (e) => {
      output += `\n[spawn error] ${e.message}\n`;
      exit = exit ?? { code: null, signal: null, error: e };
      resolve(exit);
    });
  });
  const closed = new Promise((resolve) => proc.once('close', resolve));
  const handle = {
    proc,
    pid: proc.pid,
    argv,
    exited,
    closed,
    get output() { return output; },
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    get exit() { return exit; },
    get alive() { return exit === undefined && proc.exitCode === null && proc.signalCode === null; },
    /** Offset into `output`, to wait for lines printed after this moment. */
    mark() { return output.length; },
    /** Resolves with the match once `pattern` appears in the output (after `from`). */
    async waitForOutput(pattern, { from = 0, timeoutMs = 10000 } = {}) {
      const re = typeof pattern === 'string' ? new RegExp(escapeRe(pattern)) : pattern;
      try {
        return await waitFor(() => re.exec(output.slice(from)), { timeoutMs, what: `output ${re}` });
      } catch (e) {
        e.message += `\n--- output of resque ${argv.join(' ')} ---\n${output}`;
        throw e;
      }
    },
    signal(sig) {
      if (handle.alive) proc.kill(sig);
    },
    /** Resolves {code, signal}; rejects (with the output) when it takes longer than timeoutMs. */
    async waitExit({ timeoutMs = 15000 } = {}) {
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`resque ${argv.join(' ')} did not exit within ${timeoutMs} ms\n--- output ---\n${output}`)), timeoutMs);
      });
      try {
        const result = await Promise.race([exited, timeout]);
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
        return result;
      } finally {
        clearTimeout(timer);
      }
    },
    /** Graceful stop (QUIT), then SIGKILL the whole group after graceMs; always reaps. */
    async stop({ graceMs = 5000 } = {}) {
      if (handle.alive) {
        proc.kill('SIGQUIT');
        const t = setTimeout(() => killGroup(proc.pid), graceMs);
        await exited;
        clearTimeout(t);
      }
      killGroup(proc.pid); // stragglers of the group, if any
      started.delete(handle);
      return exit;
    },
  };
  started.add(handle);
  return handle;
}

/**
 * `resque start` against a test Redis and namespace:
 *   startWorker({ srv, ns, queue: 'default', args: ['--interval=0.2'], env: {}, jobs })
 * queue: string for --queue (omit/null for none); jobs: folder (default test/fixtures/jobs).
 */
function startWorker({ srv, ns, queue = 'default', args = [], env = {}, jobs = JOBS, interval = '0.1' } = {}) {
  const argv = ['start'];
  if (srv) argv.push(`--redis=${srv.url}`);
  if (ns !== undefined) argv.push(`--prefix=${ns}`);
  if (jobs) argv.push(`--jobs=${jobs}`);
  if (queue !== null && queue !== undefined) argv.push(`--queue=${queue}`);
  if (interval !== null && !args.some((a) => a.startsWith('--interval'))) argv.push(`--interval=${interval}`);
  argv.push(...args);
  const w = spawnResque(argv, { env });
  w.queue = queue;
  // In-process and strict workers run their loop in the started process; by default the worker is
  // the job process the started process hosts (one per worker, replaced under a new pid).
  w.hostsJobProcess = !argv.includes('--in-process') && !argv.includes('--jobs-per-child=1');
  Object.defineProperty(w, 'id', {
    enumerable: true,
    /** The id it is registered under now: host:pid:queues, the pid of the process running its loop. */
    get() { return `${HOST}:${w.hostsJobProcess ? w.jobPid() : w.pid}:${queue}`; },
  });
  /** The current job process's pid (the newest child of the started process; once it is gone, the last one seen), or '?'. */
  let lastJobPid = '?';
  w.jobPid = () => {
    const kids = childPids(w.pid);
    if (kids.length > 0) lastJobPid = Math.max(...kids);
    return lastJobPid;
  };
  return w;
}

/**
 * Wait until `id` is in `NS:workers` and its :started key exists; with `worker`, its id as it is
 * at each look (a job process is forked after the start). Resolves the id.
 */
async function waitRegistered(r, ns, id, { timeoutMs = 10000, worker } = {}) {
  try {
    return await waitFor(async () => {
      const now = worker && worker.id !== undefined ? worker.id : id;
      return (await r.sismember(`${ns}:workers`, now)) === 1 && (await r.exists(`${ns}:worker:${now}:started`)) === 1 ? now : null;
    }, { timeoutMs, what: `worker ${worker && worker.id !== undefined ? worker.id : id} registered in ${ns}:workers` });
  } catch (e) {
    if (worker) e.message += `\n--- worker output ---\n${worker.output}`;
    throw e;
  }
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Is a pid alive (signal 0)? */
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** `ps -o <field>= -p PID` (trimmed), or '' when the process is gone. */
function ps(pid, field = 'args') {
  try {
    return execFileSync('ps', ['-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** Direct children of a pid (from /proc; `pgrep -P`). */
function childPids(pid) {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Every key under `ns:` (SCAN), sorted. */
async function scanKeys(r, ns) {
  const out = [];
  let cursor = '0';
  do {
    const [next, batch] = await r.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
    cursor = next;
    out.push(...batch);
  } while (cursor !== '0');
  return [...new Set(out)].sort();
}

/**
 * The namespace in the fixtures' shape (test/fixtures/peers/README.md): sorted by key,
 * {key, type, ttl, value} with `ns:` replaced by `resque:` (so names compare with fixtures).
 */
async function dumpNamespace(r, ns) {
  const keys = await scanKeys(r, ns);
  const rows = [];
  for (const key of keys) {
    const type = await r.type(key);
    const ttl = await r.ttl(key);
    let value;
    if (type === 'string') value = await r.get(key);
    else if (type === 'list') value = await r.lrange(key, 0, -1);
    else if (type === 'set') value = (await r.smembers(key)).sort();
    else if (type === 'hash') value = await r.hgetall(key);
    else if (type === 'zset') {
      const flat = await r.zrange(key, 0, -1, 'WITHSCORES');
      value = [];
      for (let i = 0; i < flat.length; i += 2) value.push([flat[i], Number(flat[i + 1])]);
    }
    if (type === 'none') continue;
    rows.push({ key: `resque:${key.slice(ns.length + 1)}`, type, ttl, value });
  }
  return rows.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
}

/** Raw JSON text of field `name` in a flat-ish JSON object text (first occurrence at depth 1). */
function rawField(json, name) {
  let depth = 0;
  let i = 0;
  const n = json.length;
  const skipString = (j) => {
    j += 1;
    while (j < n && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  const valueEnd = (j) => {
    let d = 0;
    for (; j < n; ) {
      const c = json[j];
      if (c === '"') { j = skipString(j); continue; }
      if (c === '{' || c === '[') d += 1;
      else if (c === '}' || c === ']') { if (d === 0) return j; d -= 1; }
      else if (c === ',' && d === 0) return j;
      j += 1;
    }
    return j;
  };
  while (i < n) {
    const c = json[i];
    if (c === '"') {
      const end = skipString(i);
      if (depth === 1 && json[end] === ':' && JSON.parse(json.slice(i, end)) === name) {
        return json.slice(end + 1, valueEnd(end + 1));
      }
      i = end;
      continue;
    }
    if (c === '{' || c === '[') depth += 1;
    else if (c === '}' || c === ']') depth -= 1;
    i += 1;
  }
  return undefined;
}

/** A unique temp dir (removed by the caller, or by after() when registered through tempDir()). */
const temps = [];
function tempDir(prefix = 'resque-test-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
after(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const DATE_C = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/;

/** The status packet of a job, parsed (null when untracked). */
async function statusOf(r, ns, id) {
  const raw = await r.get(`${ns}:job:${id}:status`);
  return raw ? JSON.parse(raw) : null;
}

/**
 * Wait until job `id` has status `code`; resolves the parsed packet, or its exact bytes with
 * `raw: true`. On timeout the current status and the worker's output are added to the error.
 */
async function waitStatus(r, ns, id, code, { worker, timeoutMs = 15000, raw = false } = {}) {
  try {
    return await waitFor(async () => {
      const bytes = await r.get(`${ns}:job:${id}:status`);
      if (!bytes || JSON.parse(bytes).status !== code) return null;
      return raw ? bytes : JSON.parse(bytes);
    }, { timeoutMs, what: `job ${id} status ${code}` });
  } catch (e) {
    e.message += `\n(status now: ${await r.get(`${ns}:job:${id}:status`).catch(() => '?')})`;
    if (worker) e.message += `\n--- worker output ---\n${worker.output}`;
    throw e;
  }
}

/** Per-test state on a file's private server: the server, a fresh namespace, a client, key(). */
async function testSetup(t, redis, name) {
  const { uniqueNamespace } = require('./redis');
  const srv = await redis();
  const ns = uniqueNamespace(name);
  const r = srv.client();
  t.after(() => r.disconnect());
  return { srv, ns, r, k: (key) => `${ns}:${key}` };
}

/** testSetup plus a registered `resque start` with `args` on queue default (stopped after the test). */
async function startedWorker(t, redis, name, args) {
  const ctx = await testSetup(t, redis, name);
  const w = startWorker({ srv: ctx.srv, ns: ctx.ns, args });
  t.after(() => w.stop({ graceMs: 3000 }));
  await waitRegistered(ctx.r, ctx.ns, w.id, { worker: w });
  return { ...ctx, w };
}

module.exports = {
  testSetup,
  startedWorker,
  statusOf,
  waitStatus,
  ROOT, BIN, JOBS, HOST, DATE_C,
  spawnResque, startWorker, waitRegistered, killAll, killGroup,
  pidAlive, ps, childPids, scanKeys, dumpNamespace, rawField, tempDir,
};
