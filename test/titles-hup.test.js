'use strict';
// Issue 11 point 13 (the rest): process titles read in full however the CLI is started, and HUP.
//   * Linux writes a title over the process's command line: `QUEUE=default node bin/resque start`
//     left 21 bytes, and the host read `resque-1.0.0: Supervi`. Such a start now starts itself
//     again with room for its titles (src/cli/relaunch.ts); the first process passes signals on.
//   * HUP (a closed terminal or ssh session) on the host or the supervisor is a graceful stop, as
//     QUIT: the running job completes, the workers unregister, the PIDFILE is removed, exit 0.
//     Before, Node's default ended the process at once and left the PIDFILE behind.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { startWorker, waitRegistered, ps, childPids, killGroup, tempDir, ROOT, JOBS } = require('./helpers/worker');
const { pushJob, waitStatus } = require('./helpers/chaos');
const { waitFor } = require('./helpers/wait');

const redis = useRedis();

/** `node bin/resque start ARGS…` from the repository (a relative bin path, argv0 "node"), settings in the environment. */
function shortStart(args, env, t) {
  const clean = { ...process.env };
  for (const k of ['QUEUE', 'COUNT', 'PIDFILE', 'PREFIX', 'REDIS_BACKEND', 'REDIS_URL', 'RESQUE_RELAUNCHED', 'RESQUE_SUPERVISED', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT']) delete clean[k];
  const proc = spawn(process.execPath, ['bin/resque', 'start', ...args], { argv0: 'node', cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => { killGroup(proc.pid); await exited; });
  return { proc, exited, get output() { return output; } };
}

const JOBS_ARG = `--jobs=${path.relative(ROOT, JOBS)}`; // test/fixtures/jobs

for (const [label, args, env, expect] of [
  // 48 bytes of command line; the host's title takes 51.
  ['default engine, COUNT=2', [JOBS_ARG], { COUNT: '2', QUEUE: 'default,low' }, 'resque-1.0.0: Supervising 2 workers for default,low'],
  // The started process is the worker: its titles (`Processing Q since T [Class]`) want 128 bytes.
  ['--in-process, COUNT=1', ['--in-process', JOBS_ARG], { QUEUE: 'default' }, 'resque-1.0.0: Waiting for default'],
]) {
  test(`titles in full under "node bin/resque start" (${label}); QUIT to the first process stops it all`, async (t) => {
    const srv = await redis();
    const ns = uniqueNamespace('title');
    const pidfile = path.join(tempDir(), 'resque.pid');
    const w = shortStart(args, { REDIS_BACKEND: srv.address, PREFIX: ns, PIDFILE: pidfile, ...env }, t);
    await waitFor(() => fs.existsSync(pidfile) && Number(fs.readFileSync(pidfile, 'utf8')) > 0, { what: `the PIDFILE\n${w.output}`, timeoutMs: 10000 });
    const main = Number(fs.readFileSync(pidfile, 'utf8'));
    assert.notEqual(main, w.proc.pid, 'relaunched: the PIDFILE names the process with room for its titles');
    await waitFor(() => ps(main, 'args') === expect, { what: `title "${expect}" (ps: "${ps(main, 'args')}")`, timeoutMs: 10000 });
    const r = srv.client();
    t.after(() => r.disconnect());
    const count = Number(env.COUNT ?? 1);
    await waitFor(async () => (await r.scard(`${ns}:workers`)) === count, { what: `${count} worker(s)`, timeoutMs: 10000 });
    if (count === 2) {
      for (const kid of childPids(main)) {
        await waitFor(() => ps(kid, 'args') === 'resque-1.0.0: Waiting for default,low', { what: `job process ${kid} titled in full (ps: "${ps(kid, 'args')}")`, timeoutMs: 5000 });
      }
    }
    const job = await pushJob(r, ns, 'Noop', {});
    await waitStatus(r, ns, job.id, 4, { timeoutMs: 10000 });
    w.proc.kill('SIGQUIT'); // to the first process: it passes it on
    assert.deepEqual(await w.exited, { code: 0, signal: null }, w.output);
    assert.equal(await r.scard(`${ns}:workers`), 0, 'every worker unregistered');
    assert.equal(fs.existsSync(pidfile), false, 'PIDFILE removed');
    assert.match(w.output, /QUIT received/, w.output);
  });
}

for (const [label, args] of [['default engine host', ['--count=2']], ['strict supervisor', ['--count=2', '--jobs-per-child=1']]]) {
  test(`HUP to the ${label}: the running job completes, workers unregister, PIDFILE removed, exit 0`, async (t) => {
    const srv = await redis();
    const r = srv.client();
    t.after(() => r.disconnect());
    const ns = uniqueNamespace('hup');
    const dir = tempDir();
    const pidfile = path.join(dir, 'resque.pid');
    const w = startWorker({ srv, ns, args, env: { PIDFILE: pidfile } });
    t.after(() => w.stop());
    await waitFor(async () => (await r.scard(`${ns}:workers`)) === 2, { what: 'two workers', timeoutMs: 10000 });
    assert.equal(Number(fs.readFileSync(pidfile, 'utf8')), w.pid);
    const file = path.join(dir, 'runs.txt');
    const job = await pushJob(r, ns, 'SleepsThenRecords', { ms: 1500, file });
    await waitStatus(r, ns, job.id, 2, { worker: w });
    w.signal('SIGHUP');
    assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, w.output);
    assert.equal((await waitStatus(r, ns, job.id, 4, { worker: w })).status, 4, 'the running job completed');
    assert.equal(fs.readFileSync(file, 'utf8'), `${job.id}\n`, 'it ran once');
    assert.equal(await r.scard(`${ns}:workers`), 0, 'every worker unregistered');
    assert.equal(fs.existsSync(pidfile), false, 'PIDFILE removed');
  });
}
