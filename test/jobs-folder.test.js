'use strict';
// The jobs folder (issue 9), through the real CLI over a private redis:
//   1. a jobs folder that does not exist (or is a file) stops `resque start` with exit 2 and a
//      message naming the resolved path — before any worker is forked (--count=4) — except the
//      default ./jobs while an --app module is given: then a warning, and the app's classes run;
//   2. a folder without job files is a warning naming the path, and the worker runs;
//   3. an unknown class's failure record names the folder and the file names tried, and with
//      --debug every candidate path and the app-registry names tried, in every engine.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { useRedis } = require('./helpers/redis');
const { spawnResque, tempDir, testSetup } = require('./helpers/worker');

const redis = useRedis();
const APP = path.join(__dirname, 'fixtures', 'app.js');
const EXTS = ['js', 'cjs', 'mjs', 'ts', 'cts', 'mts'];

const setup = (t) => testSetup(t, redis, 'jf');

/** `resque start` in `cwd` on queue default (argv after the common flags). */
function start(ctx, cwd, args) {
  return spawnResque(['start', `--redis=${ctx.srv.url}`, `--prefix=${ctx.ns}`, '--queue=default', '--interval=0.1', ...args], { cwd });
}

/** Every pid still in the process group of `pid` (the CLI is started as a group leader). */
function groupPids(pid) {
  try {
    return execFileSync('pgrep', ['-g', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The `[warning] …` lines of an output (the text format may add a timestamp after the level). */
function warnings(output) {
  return output.split('\n').filter((l) => l.startsWith('[warning] ')).map((l) => l.replace(/^\[warning\] (?:\[[^\]]*\] )?/, ''));
}

async function pushJob(ctx, cls) {
  const id = randomBytes(16).toString('hex');
  await ctx.r.sadd(ctx.k('queues'), 'default');
  await ctx.r.rpush(ctx.k('queue:default'), `{"class":${JSON.stringify(cls)},"args":[{"a":1}],"id":"${id}","prefix":"","queue_time":1795252080.2}`);
  return id;
}

/** A working directory that holds `jobs/` with one job file (so no empty-folder warning). */
function cwdWithJobs() {
  const cwd = tempDir('resque-jf-');
  fs.mkdirSync(path.join(cwd, 'jobs'));
  fs.writeFileSync(path.join(cwd, 'jobs', 'Hello.js'), 'module.exports = class Hello { perform() { return 1; } };\n');
  return fs.realpathSync(cwd);
}

// ---- 1. missing folder ----

for (const count of [1, 4]) {
  test(`--count=${count}: --jobs=DIR that does not exist → exit 2 naming the resolved path, nothing left running`, async (t) => {
    const ctx = await setup(t);
    const cwd = fs.realpathSync(tempDir('resque-jf-'));
    const w = start(ctx, cwd, [`--count=${count}`, '--jobs=nope']);
    t.after(() => w.stop());
    const exit = await w.waitExit({ timeoutMs: 8000 });
    assert.deepEqual(exit, { code: 2, signal: null }, w.output);
    const dir = path.join(cwd, 'nope');
    assert.ok(w.stderr.includes(`Jobs folder ${dir} does not exist (--jobs=nope, resolved from the working directory ${cwd}). Set --jobs=DIR or the service's WorkingDirectory.`), w.output);
    assert.deepEqual(groupPids(w.pid), [], 'no supervisor, worker or job process left');
    assert.deepEqual(await ctx.r.smembers(ctx.k('workers')), [], 'no worker registered');
  });
}

test('the default ./jobs missing, no --app: exit 2 naming the path and the working directory', async (t) => {
  const ctx = await setup(t);
  const cwd = fs.realpathSync(tempDir('resque-jf-'));
  const w = start(ctx, cwd, ['--count=4']);
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 8000 }), { code: 2, signal: null }, w.output);
  assert.ok(w.stderr.includes(`Jobs folder ${path.join(cwd, 'jobs')} does not exist (the default --jobs=jobs, resolved from the working directory ${cwd}).`), w.output);
  assert.deepEqual(groupPids(w.pid), []);
});

test('--jobs naming a file: exit 2, "is not a directory"', async (t) => {
  const ctx = await setup(t);
  const cwd = fs.realpathSync(tempDir('resque-jf-'));
  const file = path.join(cwd, 'jobs.js');
  fs.writeFileSync(file, '');
  const w = start(ctx, cwd, [`--jobs=${file}`]);
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 8000 }), { code: 2, signal: null }, w.output);
  assert.ok(w.stderr.includes(`Jobs folder ${file} is not a directory (--jobs=${file}).`), w.output);
});

test('an explicit --jobs=DIR that does not exist is exit 2 even with --app', async (t) => {
  const ctx = await setup(t);
  const cwd = fs.realpathSync(tempDir('resque-jf-'));
  const w = start(ctx, cwd, ['--jobs=jobs', `--app=${APP}`, '--once']);
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 8000 }), { code: 2, signal: null }, w.output);
  assert.ok(w.stderr.includes(`Jobs folder ${path.join(cwd, 'jobs')} does not exist (--jobs=jobs, resolved from the working directory ${cwd}).`), w.output);
});

test('the default ./jobs missing with --app: a warning, and the app\'s classes run', async (t) => {
  const ctx = await setup(t);
  const cwd = fs.realpathSync(tempDir('resque-jf-'));
  await pushJob(ctx, 'Registered\\Job');
  const w = start(ctx, cwd, [`--app=${APP}`, '--once']);
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, w.output);
  assert.deepEqual(warnings(w.stdout), [`Jobs folder ${path.join(cwd, 'jobs')} does not exist (the default --jobs=jobs, resolved from the working directory ${cwd}); only the classes of the app module ${APP} can run.`], w.output);
  assert.deepEqual(await ctx.r.lrange(ctx.k('failed'), 0, -1), []);
  assert.equal(await ctx.r.get(ctx.k('stat:processed')), '1');
});

// ---- 2. empty folder ----

test('a jobs folder without job files: a warning naming it, the app\'s job runs (--count=2)', async (t) => {
  const ctx = await setup(t);
  const cwd = fs.realpathSync(tempDir('resque-jf-'));
  fs.mkdirSync(path.join(cwd, 'jobs', 'App', 'Jobs'), { recursive: true });
  fs.writeFileSync(path.join(cwd, 'jobs', 'App', 'README.md'), 'not a job\n');
  await pushJob(ctx, 'Registered\\Job');
  const w = start(ctx, cwd, [`--app=${APP}`, '--once', '--count=2']);
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, w.output);
  const line = `Jobs folder ${path.join(cwd, 'jobs')} holds no job files (the default --jobs=jobs, resolved from the working directory ${cwd}; looked for .js, .cjs, .mjs, .ts, .cts, .mts at any depth); only classes registered by an --app module can run.`;
  assert.deepEqual(warnings(w.stdout), [line], `warned once, by the supervisor\n${w.output}`);
  assert.deepEqual(await ctx.r.lrange(ctx.k('failed'), 0, -1), []);
  assert.equal(await ctx.r.get(ctx.k('stat:processed')), '1');
});

test('an empty jobs folder without --app: the warning, then a clean start and stop', async (t) => {
  const ctx = await setup(t);
  const cwd = fs.realpathSync(tempDir('resque-jf-'));
  const dir = path.join(cwd, 'empty');
  fs.mkdirSync(dir);
  const w = start(ctx, cwd, [`--jobs=${dir}`, '--once']);
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, w.output);
  assert.deepEqual(warnings(w.stdout), [`Jobs folder ${dir} holds no job files (--jobs=${dir}; looked for .js, .cjs, .mjs, .ts, .cts, .mts at any depth); only classes registered by an --app module can run.`], w.output);
  assert.match(w.stdout, /\*\*\* Starting worker /);
  assert.match(w.stdout, /\*\*\* Worker .* stopped/);
});

test('a folder whose only job file is deep inside gives no warning', async (t) => {
  const ctx = await setup(t);
  const cwd = fs.realpathSync(tempDir('resque-jf-'));
  fs.mkdirSync(path.join(cwd, 'jobs', 'a', 'b', 'c'), { recursive: true });
  fs.writeFileSync(path.join(cwd, 'jobs', 'a', 'b', 'c', 'Deep.mts'), 'export default class Deep { perform() {} }\n');
  const w = start(ctx, cwd, ['--once']);
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, w.output);
  assert.doesNotMatch(w.output, /Jobs folder/);
});

// ---- 3. the failure record of an unknown class, in each engine ----

const ENGINES = [['default', []], ['strict', ['--jobs-per-child=1']], ['in-process', ['--in-process']]];

for (const [engine, flags] of ENGINES) {
  test(`${engine}: an unknown class's failure names the folder and the file names tried`, async (t) => {
    const ctx = await setup(t);
    const cwd = cwdWithJobs();
    await pushJob(ctx, 'App\\Jobs\\Missing');
    const w = start(ctx, cwd, [...flags, '--once']);
    t.after(() => w.stop());
    assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, w.output);
    const failed = (await ctx.r.lrange(ctx.k('failed'), 0, -1)).map((x) => JSON.parse(x));
    assert.equal(failed.length, 1, w.output);
    assert.equal(failed[0].exception, 'JobClassNotFoundError');
    assert.equal(failed[0].error, `Could not find job class App\\Jobs\\Missing. Looked in ${path.join(cwd, 'jobs')} for App/Jobs/Missing.{js,cjs,mjs,ts,cts,mts}.`);
  });

  test(`${engine} --debug: the failure lists every candidate path and the registry names tried`, async (t) => {
    const ctx = await setup(t);
    const cwd = cwdWithJobs();
    await pushJob(ctx, '\\App\\Jobs\\Missing');
    const w = start(ctx, cwd, [...flags, '--once', '--debug', `--app=${APP}`]);
    t.after(() => w.stop());
    assert.deepEqual(await w.waitExit({ timeoutMs: 15000 }), { code: 0, signal: null }, w.output);
    const failed = (await ctx.r.lrange(ctx.k('failed'), 0, -1)).map((x) => JSON.parse(x));
    assert.equal(failed.length, 1, w.output);
    const jobs = path.join(cwd, 'jobs');
    const candidates = EXTS.map((e) => path.join(jobs, 'App', 'Jobs', `Missing.${e}`)).join(', ');
    assert.equal(failed[0].error, `Could not find job class \\App\\Jobs\\Missing. Looked in ${jobs} for App/Jobs/Missing.{js,cjs,mjs,ts,cts,mts}.`
      + ` Tried the app module's jobs (3 registered names) for "\\App\\Jobs\\Missing" and "App/Jobs/Missing", then the files ${candidates}.`);
  });
}

// ---- the scan itself ----

test('the empty-folder scan follows symlinks, survives a link loop and stops at its budget', () => {
  const { holdsJobFile } = require('../dist/cli/jobs-folder');
  const dir = tempDir('resque-jf-');
  fs.mkdirSync(path.join(dir, 'a'));
  fs.symlinkSync(dir, path.join(dir, 'a', 'loop')); // a cycle: ends at ELOOP or at the budget
  for (let i = 0; i < 30; i += 1) fs.writeFileSync(path.join(dir, 'a', `notes${i}.txt`), '');
  assert.equal(typeof holdsJobFile(dir), 'boolean', 'the loop ends');
  assert.equal(holdsJobFile(dir, 10), true, 'budget spent: counts as not empty (no false warning)');
  fs.rmSync(path.join(dir, 'a', 'loop'));
  assert.equal(holdsJobFile(dir), false);
  const elsewhere = tempDir('resque-jf-');
  fs.writeFileSync(path.join(elsewhere, 'Job.cts'), '');
  fs.symlinkSync(elsewhere, path.join(dir, 'a', 'linked'));
  assert.equal(holdsJobFile(dir), true, 'a job file behind a symlinked folder counts');
});
