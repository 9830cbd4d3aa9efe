'use strict';
// `resque demo` as a user starts it, and a check that it left nothing behind.
//   spawnDemo({ cwd, bin, env }) starts `node BIN demo` in a process group of its own (so a
//   test can send a signal to the group, as a terminal's Ctrl-C does), with a marker variable
//   in its environment that every process it starts inherits (redis-server, supervisor,
//   workers, job processes).
//   markedProcesses(mark, waitMs) lists the processes still carrying the marker, after waiting
//   up to waitMs for them to go (read from /proc/PID/environ).
const fs = require('node:fs');
const crypto = require('node:crypto');
const net = require('node:net');
const { spawn } = require('node:child_process');
const Redis = require('ioredis');
const { after } = require('node:test');
const { BIN, ROOT } = require('./worker');

const MARK_VAR = 'RESQUE_TEST_DEMO_MARK';
const marks = new Set();

function spawnDemo({ cwd = ROOT, bin = BIN, env = {}, args = [] } = {}) {
  const mark = crypto.randomBytes(8).toString('hex');
  marks.add(mark);
  const childEnv = { ...process.env, ...env, [MARK_VAR]: mark };
  for (const k of ['REDIS_URL', 'REDIS_BACKEND', 'QUEUE', 'COUNT', 'PREFIX', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS']) {
    if (!(k in env)) delete childEnv[k];
  }
  const proc = spawn(process.execPath, [bin, 'demo', ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const handle = { proc, pid: proc.pid, mark, output: '', stdout: '', stderr: '' };
  handles.add(handle);
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { handle.stdout += d; handle.output += d; });
  proc.stderr.on('data', (d) => { handle.stderr += d; handle.output += d; });
  handle.exited = new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 80000);
    proc.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
  });
  /** Resolves once `re` appears in the output. */
  handle.waitForOutput = (re, timeoutMs = 30000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no ${re} in demo output:\n${handle.output}`)); }, timeoutMs);
    const check = () => { const m = re.exec(handle.output); if (m) { cleanup(); resolve(m); } };
    const cleanup = () => { clearTimeout(timer); proc.stdout.off('data', check); proc.stderr.off('data', check); };
    proc.stdout.on('data', check);
    proc.stderr.on('data', check);
    check();
  });
  return handle;
}

/** The port of the private redis-server a demo said it started, or undefined. */
function demoRedisPort(handle) {
  const m = /Started a private redis-server on 127\.0\.0\.1:(\d+)/.exec(handle.output);
  return m ? Number(m[1]) : undefined;
}

/** Whether something still listens on 127.0.0.1:port. */
function listening(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => { sock.destroy(); resolve(true); });
    sock.on('error', () => resolve(false));
  });
}

/**
 * `pid args` of every process of a demo still alive: those whose environment holds the marker,
 * plus its redis-server while its port still answers (redis-server rewrites its title over its
 * environment, so the marker cannot be read there once it runs).
 */
async function demoLeftovers(handle, waitMs = 0) {
  const deadline = Date.now() + waitMs;
  const port = demoRedisPort(handle);
  for (;;) {
    const left = scanMarked(handle.mark);
    if (port !== undefined && (await listening(port)) && !left.some((l) => /redis-server/.test(l))) left.push(`redis-server on 127.0.0.1:${port}`);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `pid args` of every process whose environment holds the marker. */
function scanMarked(mark) {
  const needle = Buffer.from(`${MARK_VAR}=${mark}\0`);
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`);
      if (!environ.includes(needle)) continue;
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z /.test(stat)) continue; // a zombie waiting for its parent is gone already
      found.push(`${entry} ${fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()}`);
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  return found;
}

async function markedProcesses(mark, waitMs = 0) {
  const deadline = Date.now() + waitMs;
  let left = scanMarked(mark);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = scanMarked(mark);
  }
  return left;
}

// Whatever a test left (a SIGKILLed demo's redis-server, a failed test's processes): stop it,
// so no run leaves a process behind.
const handles = new Set();
after(async () => {
  for (const mark of marks) {
    for (const line of scanMarked(mark)) {
      try { process.kill(Number(line.split(' ')[0]), 'SIGKILL'); } catch { /* gone */ }
    }
  }
  for (const h of handles) {
    const port = demoRedisPort(h);
    if (port === undefined || !(await listening(port))) continue;
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    await c.connect().then(() => c.call('SHUTDOWN', 'NOSAVE')).catch(() => undefined);
    c.disconnect();
  }
});

module.exports = { spawnDemo, markedProcesses, demoLeftovers, MARK_VAR };
