'use strict';
// Every hook through the real CLI (`resque start --app`), in each engine: which ones run, in
// which order, and with what — app hooks (APP_INCLUDE) and the job class's own methods.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { startWorker, tempDir } = require('./helpers/worker');
const { Resque } = require('..');

const redis = useRedis();
const APP = path.join(__dirname, 'fixtures', 'app.js');

async function runWithHooks(t, engineArgs, jobs) {
  const srv = await redis();
  const ns = uniqueNamespace('hk');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  t.after(() => resque.close());
  const ids = [];
  for (const [cls, args] of jobs) ids.push(await resque.enqueue('default', cls, args, true));
  const log = path.join(tempDir(), 'hooks.log');
  const w = startWorker({ srv, ns, args: ['--once', `--app=${APP}`, ...engineArgs], env: { HOOK_LOG: log } });
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null }, w.output);
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  const statuses = [];
  for (const id of ids) statuses.push((await resque.status(id).fetch()).status);
  return { lines, statuses, w };
}

for (const [name, args] of [['default', []], ['strict', ['--jobs-per-child=1']], ['in-process', ['--in-process']]]) {
  test(`${name} engine: hook order for a job that succeeds, one that throws, one skipped by the class`, async (t) => {
    const { lines, statuses } = await runWithHooks(t, args, [
      ['Hooked', {}],
      ['Hooked', { fail: true }],
      ['Hooked', { skip: true }],
    ]);
    assert.deepEqual(statuses, [4, 3, 4]);
    assert.match(lines[0], /^beforeFirstFork:.+:\d+:default$/, 'beforeFirstFork once, with the worker id');
    assert.equal(lines.filter((l) => l.startsWith('beforeFirstFork')).length, 1);
    const afterFork = name === 'in-process' ? [] : ['afterFork:Hooked'];
    const prologue = ['beforeFork:Hooked', ...afterFork, 'beforePerform:Hooked', 'job.beforePerform'];
    assert.deepEqual(lines.slice(1), [
      // success: everything, tearDown before afterPerform (app first, then the class's)
      ...prologue, 'job.setUp', 'job.perform', 'job.tearDown', 'afterPerform:Hooked', 'job.afterPerform',
      // perform throws: no tearDown, no afterPerform; onFailure with the error (app, then class)
      ...prologue, 'job.setUp', 'job.perform', 'onFailure:Hooked:hooked failure', 'job.onFailure:hooked failure',
      // the class's beforePerform throws DontPerform: skipped, nothing else runs
      ...prologue,
    ]);
  });
}

test('an app beforePerform hook that throws fails the job (onFailure runs); one that throws DontPerform skips it', async (t) => {
  const { lines, statuses } = await runWithHooks(t, [], [
    ['Noop', { failIn: 'beforePerform' }],
    ['Noop', { skipInHook: true }],
  ]);
  assert.deepEqual(statuses, [3, 4]);
  assert.ok(lines.includes('onFailure:Noop:beforePerform failed'), lines.join('\n'));
});
