'use strict';
// The batch cursor's folder full, read-only or missing (issue 11.3). Before, with the folder on a
// full tmpfs, each job process took a job and died on the cursor write (ENOSPC): jobs that never
// ran were recorded as DirtyExitError, about one per second, forever; a read-only or missing folder
// crash-looped the job process. Now `resque start` checks the folder (exit 2 naming it), cursor
// files are written in full when opened (so a folder that fills up later cannot fail a mark), and
// a cursor that cannot be created degrades to one job at a time: no job fails for it.
// The full-tmpfs cases mount a tiny tmpfs (root only; skipped elsewhere) and unmount it after.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { useRedis } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, waitRegistered, testSetup, tempDir, spawnResque } = require('./helpers/worker');
const { pushJob, statusOf } = require('./helpers/chaos');

const redis = useRedis();

/** A tmpfs of `kb` KiB mounted on a fresh folder (unmounted after the test), or null when we may not mount. */
function tinyTmpfs(t, kb) {
  const dir = tempDir('resque-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  t.after(() => { try { execFileSync('umount', ['-l', dir], { stdio: 'ignore' }); } catch {} });
  return dir;
}

/** Fill `dir` until the file system refuses (ENOSPC). */
function fill(dir) {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(1024));
  } catch (e) {
    assert.equal(e.code, 'ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
}

test('a cursor folder that cannot be written: resque start exits 2 naming it (missing under a file, or a full tmpfs)', async (t) => {
  const file = path.join(tempDir('resque-notdir-'), 'a-file');
  fs.writeFileSync(file, '');
  const dirs = [path.join(file, 'cursors')];
  const full = tinyTmpfs(t, 8);
  if (full) { fill(full); dirs.push(full); }
  for (const dir of dirs) {
    const w = spawnResque(['start', '--queue=q', '--redis=redis://127.0.0.1:1'], { env: { RESQUE_CURSOR_DIR: dir } });
    const exit = await w.waitExit({ timeoutMs: 10000 });
    assert.equal(exit.code, 2, w.output);
    assert.match(w.output, new RegExp(`The batch cursor folder ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be written \\((ENOTDIR|ENOSPC)\\): set RESQUE_CURSOR_DIR`));
  }
  // strict mode takes one job at a time: no cursor, no check
  const strict = spawnResque(['start', '--queue=q', '--jobs-per-child=1', '--redis=redis://127.0.0.1:1', '--redis-timeout=0.5'], { env: { RESQUE_CURSOR_DIR: dirs[0] } });
  const exit = await strict.waitExit({ timeoutMs: 10000 });
  assert.notEqual(exit.code, 2, strict.output);
});

test('the tmpfs fills up after start: marks still work; a job process that cannot create its cursor takes one job at a time; no job fails', { timeout: 40000 }, async (t) => {
  const dir = tinyTmpfs(t, 64);
  if (!dir) return t.skip('mount is not permitted here');
  const { srv, ns, r, k } = await testSetup(t, redis, 'cf');
  const w = startWorker({ srv, ns, env: { RESQUE_CURSOR_DIR: dir } });
  t.after(() => w.stop({ graceMs: 2000 }));
  await waitRegistered(r, ns, w.id, { worker: w });
  await waitFor(() => fs.readdirSync(dir).some((f) => f.endsWith('.cursor')), { what: 'the job process opened its cursor' });
  fill(dir);
  for (let i = 0; i < 200; i++) await pushJob(r, ns, 'Noop', {}, { track: false });
  await waitFor(async () => Number(await r.get(k('stat:processed'))) === 200, { timeoutMs: 15000, what: '200 jobs done on a full folder' })
    .catch((e) => { e.message += `\n${w.output}`; throw e; });
  assert.equal(await r.llen(k('failed')), 0, `no job failed\n${w.output}`);

  // A worker embedded in an app (no start-up check): its job process cannot create its cursor.
  const { Worker } = require('..');
  const { PassThrough } = require('node:stream');
  const log = new PassThrough();
  let text = '';
  log.on('data', (d) => { text += d; });
  const saved = process.env.RESQUE_CURSOR_DIR;
  process.env.RESQUE_CURSOR_DIR = dir; // the job process inherits it when forked
  const embedded = new Worker({ queues: ['e'], redis: srv.url, namespace: ns, interval: 0.05, logLevel: 'warning', logStream: log, jobsDir: require('./helpers/worker').JOBS });
  try {
    await embedded.start();
  } finally {
    process.env.RESQUE_CURSOR_DIR = saved;
  }
  t.after(() => embedded.stop());
  for (let i = 0; i < 100; i++) await pushJob(r, ns, 'Noop', {}, { queue: 'e', track: false });
  const { id: tracked } = await pushJob(r, ns, 'Noop', {}, { queue: 'e' });
  await waitFor(async () => (await statusOf(r, ns, tracked))?.status === 4 && Number(await r.get(k('stat:processed'))) === 301, { timeoutMs: 15000, what: 'the embedded worker\'s jobs done' })
    .catch(async (e) => { e.message += ` processed=${await r.get(k('stat:processed'))}\n${text}`; throw e; });
  assert.equal(await r.llen(k('failed')), 0, `no job failed\n${text}`);
  await waitFor(() => /The batch cursor cannot be written \(ENOSPC\): taking one job at a time/.test(text), { timeoutMs: 3000, what: 'the warning' })
    .catch((e) => { e.message += `\n${text}`; throw e; });
});
