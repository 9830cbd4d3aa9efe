'use strict';
// In-memory fakes for the two seams of the job loop (src/worker/worker.ts), so the loop can be
// driven without Redis or processes (sidekiq's processor_test style):
//   - FakeOps: the WorkerOps interface (src/worker/ops.ts) over a small queue model that honours
//     the contract of the Lua scripts (src/redis/scripts/job-steps.ts, settle.ts, give-back.ts):
//       reserve   the first queue (priority order) with jobs parked in our in-flight list, else the
//                 first with jobs waiting; parked jobs first, then more moved from the queue head,
//                 up to `max`; a tracked or unreadable job runs alone (ends a batch unless first);
//       settle    pop_done: while the in-flight head is done[0], drop d jobs and count them
//                 processed; then finish `last` (only while it is the in-flight head); then, when
//                 queues are given, reserve the next batch;
//       giveBack  while the in-flight head is jobs[0], move n jobs back to the queue head, in order;
//       finish    processed +1; failure: a record, failed +1; requeue: back to the queue head.
//     The head checks make a call repeated after a lost reply change nothing, as in Lua.
//     Faults: down()/up() (every call rejects like a lost connection, before doing anything),
//     failNext(op, n, {lostReply}) (the next n calls reject; with lostReply the write lands first
//     and only the reply is lost), hold(op) (the call lands, its reply waits until release():
//     "in flight"), freeze() (no call answers any more: ends a test whose loop would not stop).
//   - FakeExecutor: the Executor interface; each run() is a deferred job the test ends with
//     done()/fail()/skip()/crash(); kill() ends the running one as a killed child does ('crashed',
//     DirtyExitError), unless built with { killable: false } (like --in-process: kill is a no-op).
// No dist/ import here: the model is the contract, written down independently of the code under test.

/** A php-resque 2.x payload for `className` (untracked unless FakeOps.track(id)). */
function payload(id, className = 'Noop', args = {}) {
  return JSON.stringify({ class: className, args: [args], id, prefix: '', queue_time: 1700000000.5 });
}

function connectionLost() {
  const e = new Error('connect ECONNREFUSED 127.0.0.1:6379');
  e.code = 'ECONNREFUSED';
  return e;
}

/** The job id the Lua reads (cjson), or undefined; `false` when cjson could not read it. */
function readId(raw) {
  let v;
  try {
    v = JSON.parse(raw);
  } catch {
    return false;
  }
  if (v === null || typeof v !== 'object') return false;
  return typeof v.id === 'string' ? v.id : undefined;
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** setTimeout as a promise that an AbortSignal cuts short (the polling `wait`). */
function abortableSleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

class FakeOps {
  constructor({ workerId = 'host:1:q' } = {}) {
    this.workerId = workerId;
    /** queue name -> waiting payloads, head first */
    this.queues = new Map();
    /** queue name -> our in-flight list, head first */
    this.inflight = new Map();
    /** job id -> status code (1 waiting, 2 running, 3 failed, 4 complete): tracked jobs only */
    this.statuses = new Map();
    /** job id -> pid recorded */
    this.pids = new Map();
    /** `worker:WID`: { queue, raw } of the batch's first job while held */
    this.workingOn = null;
    this.processed = 0;
    this.failed = 0;
    /** Every job settled, in order: { raw, queue, kind: 'plain' | 'done' | 'skipped' | 'failed', result?, error? } */
    this.settled = [];
    /** Failure records: { raw, queue, error, workerId } */
    this.failures = [];
    /** Jobs requeued by a 'requeue' settlement, in order */
    this.requeued = [];
    /** Jobs given back (pause/stop), per call: arrays of payloads */
    this.givenBack = [];
    /** Every call as it arrived: { op, ... } */
    this.calls = [];
    /** Writes ignored because the in-flight head was not the job named (a retry after a lost reply) */
    this.ignored = [];
    this.isDown = false;
    this.faults = new Map();
    this.holds = new Map();
  }

  // --- the model ------------------------------------------------------------------------------

  list(map, q) {
    let l = map.get(q);
    if (!l) map.set(q, (l = []));
    return l;
  }

  /** Enqueue payloads at the tail of `queue` (RPUSH). */
  push(queue, ...raws) {
    this.list(this.queues, queue).push(...raws);
    return this;
  }

  /** Give job `id` a status key (a tracked job). */
  track(id) {
    this.statuses.set(id, 1);
    return this;
  }

  waiting(queue) {
    return [...(this.queues.get(queue) ?? [])];
  }

  held(queue) {
    return [...(this.inflight.get(queue) ?? [])];
  }

  /** Payloads held in any in-flight list. */
  allHeld() {
    return [...this.inflight.values()].flat();
  }

  /** How many times `raw` was settled (counted): exactly once for every job that ran. */
  settledCount(raw) {
    return this.settled.filter((s) => s.raw === raw).length;
  }

  /** Calls that could take jobs: reserve, or settle with queues to reserve from. */
  claims() {
    return this.calls.filter((c) => c.op === 'reserve' || (c.op === 'settle' && c.queues.length > 0));
  }

  solo(raw) {
    const id = readId(raw);
    return id === false || (id !== undefined && this.statuses.has(id));
  }

  reserveBatch(queues, childPid, max) {
    let q = queues.find((name) => (this.inflight.get(name) ?? []).length > 0);
    let found;
    if (q !== undefined) {
      found = this.held(q).slice(0, max);
    } else {
      q = queues.find((name) => (this.queues.get(name) ?? []).length > 0);
      if (q === undefined) return null;
      const moved = this.list(this.queues, q).shift();
      this.list(this.inflight, q).push(moved);
      found = [moved];
    }
    const waiting = this.list(this.queues, q);
    const held = this.list(this.inflight, q);
    const firstId = readId(found[0]);
    const tracked = firstId === false || (firstId !== undefined && this.statuses.has(firstId));
    if (tracked && firstId) this.statuses.set(firstId, 2);
    let full = tracked;
    for (let j = 1; j < found.length; j++) {
      if (this.solo(found[j])) {
        found.length = j; // the rest stays parked
        full = true;
        break;
      }
    }
    while (!full && found.length < max && waiting.length > 0) {
      const moved = waiting.shift();
      held.push(moved);
      if (this.solo(moved)) {
        waiting.unshift(held.pop()); // back to the head of its queue, untouched
        break;
      }
      found.push(moved);
    }
    if (tracked) found.length = 1;
    this.workingOn = { queue: q, raw: found[0] };
    if (childPid !== undefined) {
      for (const raw of found) {
        const id = readId(raw);
        if (id) this.pids.set(id, childPid);
      }
    }
    return { queue: q, jobs: found.map((raw, i) => ({ queue: q, raw, bytes: Buffer.from(raw, 'utf8'), tracked: i === 0 && tracked })) };
  }

  finishJob(r, s) {
    const held = this.list(this.inflight, r.queue);
    if (held[0] !== r.raw) {
      this.ignored.push({ op: 'finish', raw: r.raw });
      return 0;
    }
    const id = r.job?.id ?? r.looseId?.id;
    if (id) this.pids.delete(id);
    this.workingOn = null;
    if (s.kind === 'requeue') {
      this.list(this.queues, r.queue).unshift(held.shift());
      if (id && this.statuses.has(id)) this.statuses.set(id, 1);
      this.requeued.push(r.raw);
      return 2;
    }
    held.shift();
    this.processed++;
    const entry = { raw: r.raw, queue: r.queue, kind: s.kind };
    if (s.kind === 'done') entry.result = s.result;
    if (s.kind === 'failed') {
      entry.error = s.error;
      this.failures.push({ raw: r.raw, queue: r.queue, error: s.error, workerId: this.workerId });
      if (s.countFailed !== false) this.failed++;
    }
    this.settled.push(entry);
    if (id && this.statuses.has(id)) this.statuses.set(id, s.kind === 'failed' ? 3 : 4);
    return 1;
  }

  popDone(done) {
    const first = done[0];
    if (!first) return 0;
    const held = this.list(this.inflight, first.queue);
    if (held[0] !== first.raw) {
      this.ignored.push({ op: 'pop-done', raw: first.raw });
      return 0;
    }
    const items = held.splice(0, done.length);
    this.processed += items.length;
    for (const raw of items) {
      this.settled.push({ raw, queue: first.queue, kind: 'plain' });
      const id = readId(raw);
      if (id) this.pids.delete(id);
    }
    return items.length;
  }

  // --- faults ---------------------------------------------------------------------------------

  /** Every call rejects (before doing anything) until up(). */
  down() {
    this.isDown = true;
  }

  up() {
    this.isDown = false;
  }

  /** From now on no call ever answers (and holds no timer): a loop that would not stop can no longer keep the process alive. */
  freeze() {
    this.frozen = true;
  }

  /** The next `n` calls of `op` reject; with lostReply the write lands first (a reply lost on the way back). */
  failNext(op, n = 1, { lostReply = false } = {}) {
    this.faults.set(op, { n, lostReply });
  }

  /**
   * The next call of `op` lands (its write is done) but its reply waits for release():
   * a round trip in flight. `arrived` resolves when the call has landed.
   */
  hold(op) {
    const arrived = deferred();
    const gate = deferred();
    const h = { arrived: arrived.promise, release: () => gate.resolve(), landed: arrived.resolve, gate: gate.promise };
    this.holds.set(op, h);
    return h;
  }

  async call(op, details, write) {
    if (this.frozen) return new Promise(() => undefined);
    this.calls.push({ op, ...details });
    await new Promise((r) => setImmediate(r)); // a round trip is I/O: timers get their turn
    if (this.isDown) throw connectionLost();
    const fault = this.faults.get(op);
    if (fault && fault.n > 0) {
      fault.n--;
      if (!fault.lostReply) throw connectionLost();
      write();
      throw connectionLost();
    }
    const value = write();
    const h = this.holds.get(op);
    if (h) {
      this.holds.delete(op);
      h.landed();
      await h.gate;
    }
    return value;
  }

  // --- WorkerOps --------------------------------------------------------------------------------

  reserve(queues, childPid, max) {
    return this.call('reserve', { queues: [...queues], max }, () => (queues.length === 0 ? null : this.reserveBatch(queues, childPid, Math.max(1, max))));
  }

  settle(done, last, queues, childPid, max) {
    const details = { done: done.map((r) => r.raw), last: last ? { raw: last.r.raw, kind: last.s.kind } : undefined, queues: [...queues], max };
    return this.call('settle', details, () => {
      this.popDone(done);
      if (last) this.finishJob(last.r, last.s);
      this.workingOn = null;
      return queues.length > 0 ? this.reserveBatch(queues, childPid, Math.max(1, max)) : null;
    });
  }

  giveBack(jobs) {
    return this.call('giveBack', { jobs: jobs.map((r) => r.raw) }, () => {
      const first = jobs[0];
      if (!first) return;
      const held = this.list(this.inflight, first.queue);
      if (held[0] !== first.raw) {
        this.ignored.push({ op: 'giveBack', raw: first.raw });
        return;
      }
      const items = held.splice(0, jobs.length);
      this.list(this.queues, first.queue).unshift(...items);
      this.givenBack.push(items);
      this.workingOn = null;
      const id = first.job?.id;
      if (id && this.statuses.has(id)) this.statuses.set(id, 1);
      for (const r of jobs) if (r.job?.id) this.pids.delete(r.job.id);
    });
  }

  async wait(queues, seconds, signal) {
    if (this.frozen) return new Promise(() => undefined);
    this.calls.push({ op: 'wait', queues: [...queues], seconds });
    await abortableSleep(Math.max(seconds * 1000, 1), signal);
  }

  finish(r, s) {
    return this.call('finish', { raw: r.raw, kind: s.kind }, () => {
      this.finishJob(r, s);
    });
  }

  /** Nothing is ever fenced here unless fence() was called: then amend only records the call. */
  amend(r, s) {
    return this.call('amend', { raw: r.raw, kind: s.kind }, () => false);
  }

  recordPid(r, pid) {
    return this.call('recordPid', { raw: r.raw, pid }, () => {
      if (r.job?.id) this.pids.set(r.job.id, pid);
    });
  }

  knownQueues() {
    return this.call('knownQueues', {}, () => [...this.queues.keys()].filter((q) => this.queues.get(q).length > 0 || this.held(q).length > 0));
  }

  async close() {}
}

class FakeExecutor {
  constructor({ pid = 4242, killable = true } = {}) {
    this.pid = pid;
    this.killable = killable;
    /** Every job started, in order: { queue, raw, job } */
    this.runs = [];
    /** Signals kill() was called with */
    this.kills = [];
    this.current = undefined;
    this.waiters = [];
    this.pending = [];
    /** When set, (run) => outcome-ending call, applied at once to every job started (e.g. r => r.done()). */
    this.auto = undefined;
  }

  get currentPid() {
    return this.current ? this.pid : undefined;
  }

  get nextPid() {
    return this.pid;
  }

  run(queue, raw, onStart, job) {
    const d = deferred();
    const t0 = Date.now();
    const end = (outcome) => {
      if (this.current !== handle) return;
      this.current = undefined;
      d.resolve({ pid: this.pid, durationMs: Date.now() - t0, ...outcome });
    };
    const handle = {
      queue, raw, job,
      done: (result = null) => end({ kind: 'done', result }),
      skip: (reason = 'skipped by beforePerform') => end({ kind: 'skipped', reason }),
      fail: (name = 'Error', message = 'boom') => end({ kind: 'failed', error: { name, message, backtrace: ['at perform (job.js:1:1)'] } }),
      crash: (signal = 'SIGKILL') => end({
        kind: 'crashed', error: { name: 'DirtyExitError', message: `Job was killed by signal ${signal}`, backtrace: [] }, exitCode: null, signal,
      }),
      /** The executor itself rejects (a bug in it, or a send that failed). */
      reject: (error) => {
        if (this.current !== handle) return;
        this.current = undefined;
        d.reject(error);
      },
    };
    this.current = handle;
    this.runs.push({ queue, raw, job });
    onStart?.(this.pid);
    if (this.auto) {
      queueMicrotask(() => this.auto(handle));
      return d.promise;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(handle);
    else this.pending.push(handle);
    return d.promise;
  }

  /** The next job started (already started, or when it starts). */
  started() {
    const h = this.pending.shift();
    if (h) return Promise.resolve(h);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  kill(signal = 'SIGKILL') {
    this.kills.push(signal);
    if (this.killable && this.current) this.current.crash(signal);
  }

  async close() {}
}

module.exports = { FakeOps, FakeExecutor, payload, connectionLost };
