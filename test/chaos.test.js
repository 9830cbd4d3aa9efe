'use strict';
// Bounded chaos (scenario in test/helpers/chaos.js runChaos): 300 tracked jobs, `resque start
// --count=2 --interval=0.2` (every other run with --blocking), ~20 s of SIGKILLs of job children
// and worker processes every 300–700 ms plus one Redis SIGKILL + restart (AOF, same port/dir);
// then the supervisor's replacement workers recover and drain. Accounting, per job: exactly one of
//   completed (status 4) | failed (a record in NS:failed, DirtyExit or PruneDeadWorkerDirtyExit,
//   with an error text) | still queued — and completed + failed + queued = 300, zero missing.
// A job killed mid-run may have written its completion line and still be recorded as failed:
// "completed" is status 4 only; such jobs are reported as failedWithLine. No job may run twice
// (nothing is requeued without --requeue-orphans).
// Every other pair of seeds runs untracked: 2000 jobs of 0–2 ms without status, so workers take
// them in batches and kills land mid-batch; "completed" is then a completion line and no failure
// record, and exactly-once still holds (CHAOS_UNTRACKED=0|1 forces the kind).
// CHAOS_RUNS=5 node --test test/chaos.test.js repeats it; CHAOS_SEED fixes the first seed,
// CHAOS_MS the chaos window (default 20000), CHAOS_BLOCKING=0|1 forces the mode,
// CHAOS_SPARE_LAST=1 spares the last live worker.
// Every run also freezes a second `resque start` (SIGSTOP of its process group for 4.5 s, past
// --prune-after=3) while the first works, then SIGCONT: it is pruned and fenced, and exactly-once
// and the counters must still hold. Every other run (the first included; CHAOS_ACL=0|1 forces it)
// connects the workers as a Redis user restricted to `~NS:*`.
// Then CHAOS_RETRY_RUNS (default 1; test:chaos runs 2) more runs with retried jobs: each job
// fails its first attempt and comes back through the delayed queue (see the last test).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { startWorker } = require('./helpers/worker');
const { runChaos } = require('./helpers/chaos');

const RUNS = Math.max(1, Number(process.env.CHAOS_RUNS ?? 1));
const FIRST_SEED = Number(process.env.CHAOS_SEED ?? (Date.now() % 2 ** 31));
const CHAOS_MS = Number(process.env.CHAOS_MS ?? 20000);
const TRACKED_JOBS = 300;
const UNTRACKED_JOBS = 2000;
// Workers are killed blindly (both may be dead at once). CHAOS_SPARE_LAST=1 never kills the last
// live worker (needed while the supervisor exited when all its workers died together — the
// "both workers SIGKILLed at once" test in reliability-kill.test.js).
const SPARE = process.env.CHAOS_SPARE_LAST === '1';

const RETRY_RUNS = Math.max(0, Number(process.env.CHAOS_RETRY_RUNS ?? 1));

for (let i = 0; i < RUNS; i++) {
  const seed = FIRST_SEED + i;
  const blocking = process.env.CHAOS_BLOCKING !== undefined ? process.env.CHAOS_BLOCKING === '1' : seed % 2 === 1;
  const tracked = process.env.CHAOS_UNTRACKED !== undefined ? process.env.CHAOS_UNTRACKED !== '1' : Math.floor(seed / 2) % 2 === 0;
  const JOBS = tracked ? TRACKED_JOBS : UNTRACKED_JOBS;
  // Every other run (the first included) connects as a Redis user restricted to the namespace.
  const acl = process.env.CHAOS_ACL !== undefined ? process.env.CHAOS_ACL === '1' : i % 2 === 0;
  test(`chaos run ${i + 1}/${RUNS} (seed ${seed}, ${blocking ? '--blocking' : 'polling'}, ${tracked ? 'tracked' : 'untracked, batched'}${acl ? ', ACL user ~NS:*' : ''}, a frozen worker): nothing lost`, { timeout: 85000 }, async (t) => {
    const rep = await runChaos({
      seed, blocking, jobs: JOBS, chaosMs: CHAOS_MS, spareLastWorker: SPARE, tracked, maxMs: tracked ? 30 : 2, acl, freeze: true, startWorker, log: (m) => t.diagnostic(m),
    });
    const { output, ...summary } = rep;
    t.diagnostic(`CHAOS_SEED=${seed} CHAOS_BLOCKING=${blocking ? 1 : 0} CHAOS_UNTRACKED=${tracked ? 0 : 1}`);
    t.diagnostic(JSON.stringify(summary));
    const ctx = `\nreport: ${JSON.stringify(summary, null, 1)}\n--- supervisor output (tail) ---\n${output.slice(-3000)}`;

    // the chaos really happened
    assert.equal(rep.kills.redisRestarts, 1, 'Redis was restarted once');
    assert.equal(rep.kills.frozen, 1, 'a worker was frozen past the prune age');
    assert.equal(rep.frozenPruned, true, `the frozen worker was pruned and fenced, and stopped when it came back${ctx}`);
    assert.deepEqual(rep.frozenExit, { code: 0, signal: null }, `the frozen start exits 0 on QUIT${ctx}`);
    assert.ok(rep.kills.runningChild + rep.kills.worker > 0, `something was killed mid-work${ctx}`);
    assert.equal(rep.pushed, JOBS);

    // every job accounted for exactly once
    assert.deepEqual(rep.missing, [], `jobs neither completed, failed nor queued${ctx}`);
    assert.equal(rep.completed + rep.failed + rep.queuedLeft, JOBS, `completed + failed + queued = ${JOBS}${ctx}`);
    assert.equal(rep.queuedLeft, 0, `the queue was drained${ctx}`);
    assert.deepEqual(rep.bothCompletedAndFailed, [], `no job both completed and failed${ctx}`);
    assert.deepEqual(rep.failedTwice, [], `no job failed twice${ctx}`);
    assert.deepEqual(rep.duplicateRuns, [], `no job ran twice${ctx}`);
    assert.deepEqual(rep.completedWithoutLine, [], `status 4 only after the job ran${ctx}`);
    assert.equal(rep.foreignFailures, 0, `every failure record is one of our jobs${ctx}`);
    assert.deepEqual(rep.unexplainedFailures, [], `every failure says why (DirtyExit / PruneDeadWorkerDirtyExit)${ctx}`);
    assert.equal(rep.failureRecords, rep.failed, `one record per failed job${ctx}`);

    // counters agree with the records
    assert.equal(rep.stats.failed, rep.failureRecords, `stat:failed = records${ctx}`);
    assert.equal(rep.stats.processed, rep.completed + rep.failed, `stat:processed = completed + failed${ctx}`);

    // nothing left behind
    assert.deepEqual(rep.exit, { code: 0, signal: null }, `supervisor exits 0 on QUIT${ctx}`);
    assert.deepEqual(rep.leftoverWorkers, [], `every worker unregistered${ctx}`);
    assert.deepEqual(rep.leftoverInflight, [], `no in-flight list${ctx}`);
    assert.deepEqual(rep.leftoverPids, [], `no process left${ctx}`);
    assert.doesNotMatch(output, /Unhandled|UnhandledPromiseRejection/);
  });
}

// Retried jobs under the same chaos (issue 13): every job fails its first attempt and is retried
// 1 s later through the delayed queue (the supervisor runs --scheduler), so kills land between a
// failure and its re-scheduling, on retried attempts and around the mover. Per job: completed
// (status 4, after a failed first attempt and a later one) | failed (one record) — no attempt
// ever runs twice, and stat:processed counts every attempt (= completed + failed + retried).
for (let i = 0; i < RETRY_RUNS; i++) {
  const seed = FIRST_SEED + 1000 + i;
  const blocking = i % 2 === 1;
  test(`chaos with retried jobs ${i + 1}/${RETRY_RUNS} (seed ${seed}, ${blocking ? '--blocking' : 'polling'}, a frozen worker): nothing lost, no attempt run twice`, { timeout: 85000 }, async (t) => {
    const rep = await runChaos({
      seed, blocking, jobs: TRACKED_JOBS, chaosMs: CHAOS_MS, spareLastWorker: SPARE, retrying: true, maxMs: 30, freeze: true, startWorker, log: (m) => t.diagnostic(m),
    });
    const { output, ...summary } = rep;
    t.diagnostic(`CHAOS_SEED=${seed} (retrying)`);
    t.diagnostic(JSON.stringify(summary));
    const ctx = `\nreport: ${JSON.stringify(summary, null, 1)}\n--- supervisor output (tail) ---\n${output.slice(-3000)}`;

    assert.equal(rep.kills.redisRestarts, 1, 'Redis was restarted once');
    assert.ok(rep.kills.runningChild + rep.kills.worker > 0, `something was killed mid-work${ctx}`);
    assert.ok(rep.stats.retried >= rep.completed, `every completed job was retried first${ctx}`);

    assert.deepEqual(rep.missing, [], `jobs neither completed, failed nor queued${ctx}`);
    assert.equal(rep.completed + rep.failed, TRACKED_JOBS, `completed + failed = ${TRACKED_JOBS}${ctx}`);
    assert.equal(rep.leftoverDelayed, 0, `nothing left in the delayed queue${ctx}`);
    assert.deepEqual(rep.bothCompletedAndFailed, [], `no job both completed and failed${ctx}`);
    assert.deepEqual(rep.failedTwice, [], `no job failed twice${ctx}`);
    assert.deepEqual(rep.duplicateRuns, [], `no attempt ran twice${ctx}`);
    assert.deepEqual(rep.completedWithoutRetry, [], `a completed job completed a later attempt${ctx}`);
    assert.equal(rep.foreignFailures, 0, `every failure record is one of our jobs${ctx}`);
    assert.deepEqual(rep.unexplainedFailures, [], `every failure says why (DirtyExit / PruneDeadWorkerDirtyExit)${ctx}`);
    assert.equal(rep.failureRecords, rep.failed, `one record per failed job${ctx}`);
    assert.equal(rep.stats.failed, rep.failureRecords, `stat:failed = records${ctx}`);
    assert.equal(rep.stats.processed, rep.completed + rep.failed + rep.stats.retried, `stat:processed = completed + failed + retried${ctx}`);

    assert.deepEqual(rep.exit, { code: 0, signal: null }, `supervisor exits 0 on QUIT${ctx}`);
    assert.deepEqual(rep.leftoverWorkers, [], `every worker unregistered${ctx}`);
    assert.deepEqual(rep.leftoverInflight, [], `no in-flight list${ctx}`);
    assert.deepEqual(rep.leftoverPids, [], `no process left${ctx}`);
    assert.doesNotMatch(output, /Unhandled|UnhandledPromiseRejection/);
  });
}
