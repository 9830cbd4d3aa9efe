'use strict';
// src/settlement.ts: every way a job can end, turned into the bookkeeping to write, by one pure
// function (the loop, the job-process host and recovery all call it).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { settlementFor, prunedError } = require('../dist/settlement');

const err = (name = 'Error') => ({ name, message: 'boom', backtrace: ['at x (y.js:1:1)'] });
const keep = { requeueOrphans: false };
const requeue = { requeueOrphans: true };

test('completed and skipped jobs settle as done (with the result) and skipped, whatever the policy', () => {
  for (const policy of [keep, requeue]) {
    assert.deepEqual(settlementFor({ kind: 'done', result: { a: 1 } }, policy), { kind: 'done', result: { a: 1 } });
    assert.deepEqual(settlementFor({ kind: 'skipped' }, policy), { kind: 'skipped' });
  }
});

test('a thrown error and an invalid payload fail with their error, stack kept', () => {
  for (const kind of ['failed', 'invalid']) {
    for (const policy of [keep, requeue]) {
      assert.deepEqual(settlementFor({ kind, error: err() }, policy), { kind: 'failed', error: err() });
    }
  }
});

test('a process that died (exit, time limit, memory cap) fails with an empty backtrace, never requeued', () => {
  for (const kind of ['crashed', 'timed-out', 'memory-killed']) {
    for (const policy of [keep, requeue]) {
      assert.deepEqual(settlementFor({ kind, error: err('DirtyExitError') }, policy), { kind: 'failed', error: { ...err('DirtyExitError'), backtrace: [] } });
    }
  }
});

test('a job killed by the shutdown timeout fails, or goes back with --requeue-orphans', () => {
  assert.deepEqual(settlementFor({ kind: 'shutdown-killed', error: err('DirtyExitError') }, keep), { kind: 'failed', error: { ...err('DirtyExitError'), backtrace: [] } });
  assert.deepEqual(settlementFor({ kind: 'shutdown-killed', error: err('DirtyExitError') }, requeue), { kind: 'requeue' });
});

test('a dead worker\'s running job fails as PruneDeadWorkerDirtyExit naming the recoverer; a parked one always goes back', () => {
  const running = { kind: 'pruned', reason: 'Worker h:1:q died (pid 1 is gone) while processing a job', byWorker: 'h:2:q', running: true };
  assert.deepEqual(settlementFor(running, keep), { kind: 'failed', error: { name: 'PruneDeadWorkerDirtyExit', message: running.reason, backtrace: ['recovered by h:2:q'] } });
  assert.deepEqual(settlementFor(running, requeue), { kind: 'requeue' });
  assert.deepEqual(settlementFor({ ...running, running: false }, keep), { kind: 'requeue' });
  assert.deepEqual(prunedError('r', 'w'), { name: 'PruneDeadWorkerDirtyExit', message: 'r', backtrace: ['recovered by w'] });
});

test('a process that died with attempts left is retried (its policy, told at class load); a shutdown kill never is', () => {
  const retry = { delay: 3, attempt: 2 };
  for (const kind of ['crashed', 'timed-out', 'memory-killed']) {
    assert.deepEqual(settlementFor({ kind, error: err('DirtyExitError'), retry }, keep), { kind: 'retry', delay: 3, attempt: 2, error: { ...err('DirtyExitError'), backtrace: [] } });
  }
  assert.deepEqual(settlementFor({ kind: 'shutdown-killed', error: err('DirtyExitError'), retry }, keep), { kind: 'failed', error: { ...err('DirtyExitError'), backtrace: [] } });
  assert.deepEqual(settlementFor({ kind: 'shutdown-killed', error: err('DirtyExitError'), retry }, requeue), { kind: 'requeue' });
});
