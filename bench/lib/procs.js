'use strict';
/**
 * Process bookkeeping for the benchmark:
 *   1. spawnTracked() starts a detached process (its own process group) and remembers it, so
 *      killAll() can SIGKILL every group we ever started: on normal exit, on Ctrl-C / TERM, on
 *      an uncaught error, and from a process 'exit' hook as a last resort (synchronous).
 *   2. waitExit() resolves when a process exits (or after a timeout, with `timedOut`).
 *   3. /proc helpers: the descendants of a pid (by ppid scan), VmHWM / VmRSS in kB, whether a
 *      process runs node, and treeMemory(): the VmRSS of the node processes of a whole tree now,
 *      in total and by role (tree depth), and their total RssAnon (private memory, without the
 *      file pages such as node's own code that every process maps and shares).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');

/** pid → ChildProcess for every group leader we started and have not reaped yet. */
const live = new Map();

function spawnTracked(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { ...opts, detached: true });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  live.set(child.pid, child);
  child.exitInfo = undefined;
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      child.exitInfo = { code, signal };
      resolve(child.exitInfo);
    });
  });
  child.once('error', () => undefined);
  return child;
}

/** Signal a whole process group (negative pid); ignores groups that are gone. */
function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Kill the group of `child` and forget it. */
function reap(child) {
  killGroup(child.pid, 'SIGKILL');
  live.delete(child.pid);
}

/** Synchronous: SIGKILL every group we started. */
function killAll() {
  for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
  live.clear();
}

async function waitExit(child, timeoutMs) {
  if (child.exitInfo) return { ...child.exitInfo, timedOut: false };
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs); });
  const r = await Promise.race([child.exited.then((e) => ({ ...e, timedOut: false })), timeout]);
  clearTimeout(timer);
  return r;
}

let cleanupHooks = [];
let installed = false;

/** Run `fn` (synchronous) before exiting on signals / fatal errors; kill everything either way. */
function installCleanup(fn) {
  if (fn) cleanupHooks.push(fn);
  if (installed) return;
  installed = true;
  const runHooks = () => {
    const hooks = cleanupHooks;
    cleanupHooks = [];
    for (const h of hooks) {
      try { h(); } catch { /* keep cleaning */ }
    }
    killAll();
  };
  process.on('exit', runHooks);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig} received, stopping everything we started\n`);
      runHooks();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
  process.on('uncaughtException', (e) => {
    process.stderr.write(`bench: uncaught error: ${e && e.stack ? e.stack : e}\n`);
    runHooks();
    process.exit(1);
  });
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`bench: unhandled rejection: ${e && e.stack ? e.stack : e}\n`);
    runHooks();
    process.exit(1);
  });
}

// ---- /proc ----

function readPpids() {
  const map = new Map(); // ppid → [pid]
  let names;
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return map;
  }
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue;
    }
    // pid (comm) state ppid ...; comm may contain spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    const list = map.get(ppid);
    if (list) list.push(Number(name));
    else map.set(ppid, [Number(name)]);
  }
  return map;
}

/** [{pid, depth}] for root and every descendant (depth 0 = root). */
function processTree(root) {
  const byParent = readPpids();
  const out = [];
  const walk = (pid, depth) => {
    out.push({ pid, depth });
    for (const c of byParent.get(pid) ?? []) walk(c, depth + 1);
  };
  walk(root, 0);
  return out;
}

/** {hwmKb, rssKb, anonKb} (VmHWM, VmRSS, RssAnon) of a live process, or undefined. */
function memoryOf(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const hwm = /VmHWM:\s+(\d+)/.exec(text);
  const rss = /VmRSS:\s+(\d+)/.exec(text);
  const anon = /RssAnon:\s+(\d+)/.exec(text);
  if (!hwm || !rss) return undefined; // a zombie has no memory lines
  return { hwmKb: Number(hwm[1]), rssKb: Number(rss[1]), anonKb: anon ? Number(anon[1]) : Number(rss[1]) };
}

let nodeExe;

/**
 * Whether pid runs the node binary. The trees also hold short-lived helpers that are not part of
 * a footprint (pidusage's `sh -c getconf CLK_TCK`, a few ms each).
 */
function isNodeProcess(pid) {
  nodeExe ??= fs.realpathSync(process.execPath);
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`) === nodeExe;
  } catch {
    return false;
  }
}

/**
 * VmRSS (and RssAnon) of root and every node descendant now:
 * {totalMb, totalAnonMb, processes, others, roles: {role: {rssMb: [..], sumMb}}}, roles[depth]
 * naming the role of each tree depth (deeper processes count as the last role); `others` counts
 * the non-node helpers left out.
 */
function treeMemory(root, roles) {
  const out = { totalMb: 0, totalAnonMb: 0, processes: 0, others: 0, roles: {} };
  for (const r of roles) out.roles[r] = { rssMb: [], sumMb: 0 };
  for (const { pid, depth } of processTree(root)) {
    if (!isNodeProcess(pid)) {
      out.others += 1;
      continue;
    }
    const m = memoryOf(pid);
    if (!m) continue;
    const role = out.roles[roles[Math.min(depth, roles.length - 1)]];
    const mb = m.rssKb / 1024;
    role.rssMb.push(mb);
    role.sumMb += mb;
    out.totalMb += mb;
    out.totalAnonMb += m.anonKb / 1024;
    out.processes += 1;
  }
  return out;
}

module.exports = { spawnTracked, killGroup, killAll, reap, waitExit, installCleanup, processTree, memoryOf, isNodeProcess, treeMemory };
