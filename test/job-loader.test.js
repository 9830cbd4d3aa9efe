'use strict';
// src/job/loader.ts and ts-register.ts: class-name resolution, refusals, symlinks, app modules.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { JobLoader, loadApp, nameToSegments, canonicalName } = require('../dist/job/loader');
const { loadTypeScript, TypeScriptMissingError } = require('../dist/job/ts-register');
const { JobClassNotFoundError, JobMethodMissingError, OptionError } = require('../dist/errors');

const JOBS = path.join(__dirname, 'fixtures', 'jobs');
const APP = path.join(__dirname, 'fixtures', 'app.js');

function tmpDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resque-loader-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('every spelling of a namespaced class finds the same file', async () => {
  const loader = new JobLoader({ jobsDir: JOBS });
  const expected = require(path.join(JOBS, 'App', 'Jobs', 'SendEmail.js'));
  for (const name of ['\\App\\Jobs\\SendEmail', 'App\\Jobs\\SendEmail', 'App::Jobs::SendEmail', '::App::Jobs::SendEmail', 'App/Jobs/SendEmail']) {
    assert.equal(await loader.resolve(name), expected, name);
  }
});

test('the app registry: exact key, canonical spellings, resqueNames aliases', async () => {
  const app = await loadApp(APP);
  const cls = app.jobs['Registered\\Job'];
  assert.equal(typeof cls, 'function');
  const loader = new JobLoader({ jobsDir: JOBS, jobs: app.jobs });
  for (const name of ['Registered\\Job', '\\Registered\\Job', 'Registered::Job', 'Registered/Job', 'Alias\\Job', 'Other::Alias', 'Other/Alias']) {
    assert.equal(await loader.resolve(name), cls, name);
  }
  assert.equal(typeof app.hooks.beforePerform, 'function');
});

test('registry lookups never reach Object.prototype', async () => {
  const loader = new JobLoader({ jobsDir: JOBS, jobs: {} });
  for (const name of ['constructor', 'toString', '__proto__']) {
    await assert.rejects(loader.resolve(name), JobClassNotFoundError, name);
  }
});

test('unknown class: php-resque message, then the folder and the file names tried', async () => {
  const loader = new JobLoader({ jobsDir: JOBS });
  await assert.rejects(loader.resolve('NoSuchJob'), { name: 'JobClassNotFoundError', message: `Could not find job class NoSuchJob. Looked in ${JOBS} for NoSuchJob.{js,cjs,mjs,ts,cts,mts}.` });
  // A Ruby name is not mistaken for a drive letter.
  await assert.rejects(loader.resolve('A::Missing'), { message: `Could not find job class A::Missing. Looked in ${JOBS} for A/Missing.{js,cjs,mjs,ts,cts,mts}.` });
});

test('unknown class in a jobs folder that does not exist, or is a file: the message says so', async (t) => {
  const dir = tmpDir(t);
  const missing = path.join(dir, 'nope');
  await assert.rejects(new JobLoader({ jobsDir: missing }).resolve('X'), { message: `Could not find job class X. Looked in ${missing} (which does not exist) for X.{js,cjs,mjs,ts,cts,mts}.` });
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, '');
  await assert.rejects(new JobLoader({ jobsDir: file }).resolve('X'), { message: `Could not find job class X. Looked in ${file} (which is not a directory) for X.{js,cjs,mjs,ts,cts,mts}.` });
});

test('debug: the unknown-class message lists the registry names and every candidate path', async () => {
  const app = await loadApp(APP);
  const files = (base) => ['js', 'cjs', 'mjs', 'ts', 'cts', 'mts'].map((e) => `${path.join(JOBS, ...base)}.${e}`).join(', ');
  const loader = new JobLoader({ jobsDir: JOBS, jobs: app.jobs, debug: true });
  await assert.rejects(loader.resolve('App::Jobs::Nope'), {
    message: `Could not find job class App::Jobs::Nope. Looked in ${JOBS} for App/Jobs/Nope.{js,cjs,mjs,ts,cts,mts}.`
      + ` Tried the app module's jobs (3 registered names) for "App::Jobs::Nope" and "App/Jobs/Nope", then the files ${files(['App', 'Jobs', 'Nope'])}.`,
  });
  await assert.rejects(new JobLoader({ jobsDir: JOBS, debug: true }).resolve('Nope'), {
    message: `Could not find job class Nope. Looked in ${JOBS} for Nope.{js,cjs,mjs,ts,cts,mts}. Tried the app module's jobs (none registered) for "Nope", then the files ${files(['Nope'])}.`,
  });
});

test('a class without perform is refused with php-resque message', async () => {
  const loader = new JobLoader({ jobsDir: JOBS });
  await assert.rejects(loader.resolve('NoPerform'), (e) => {
    assert.ok(e instanceof JobMethodMissingError);
    assert.equal(e.message, 'Job class NoPerform does not contain a perform method.');
    return true;
  });
});

test('names that could escape the jobs folder are refused before any file access', async () => {
  const loader = new JobLoader({ jobsDir: JOBS });
  const cases = [
    ['../x', /'\.\.' segments/],
    ['/etc/passwd', /absolute paths/],
    ['a\\..\\b', /'\.\.' segments/],
    ['App::..::x', /'\.\.' segments/],
    ['a\0b', /NUL byte/],
    ['C:\\Windows\\x', /drive letter/],
    ['c:x', /drive letter/],
    ['\\\\server\\share', /absolute paths/],
    ['a//b', /empty path segment/],
    ['App\\', /empty path segment/],
    ['a b', /characters outside/],
    ['a%2e', /characters outside/],
    ['./Noop', /'\.' segments/],
  ];
  for (const [name, reason] of cases) {
    await assert.rejects(loader.resolve(name), (e) => {
      assert.ok(e instanceof JobClassNotFoundError, name);
      assert.ok(e.message.startsWith(`Could not find job class ${name}. Refused: `), e.message);
      assert.match(e.message, reason);
      return true;
    });
  }
  assert.deepEqual(nameToSegments('\\App\\Jobs\\X'), ['App', 'Jobs', 'X']);
  assert.equal(canonicalName('::A::B'), 'A/B');
});

test('a symlink leading outside the jobs folder is refused and never loaded', async (t) => {
  const root = tmpDir(t);
  const jobsDir = path.join(root, 'jobs');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(jobsDir);
  fs.mkdirSync(outside);
  const evil = "globalThis.__resqueEvilLoaded = true; module.exports = class Evil { perform() {} };\n";
  fs.writeFileSync(path.join(outside, 'Evil.js'), evil);
  fs.writeFileSync(path.join(jobsDir, 'Inside.js'), 'module.exports = class Inside { perform() { return 1; } };\n');
  fs.symlinkSync(path.join(outside, 'Evil.js'), path.join(jobsDir, 'Evil.js'));
  fs.symlinkSync(outside, path.join(jobsDir, 'Sub'));
  fs.symlinkSync(path.join(jobsDir, 'Inside.js'), path.join(jobsDir, 'Alias.js'));
  const loader = new JobLoader({ jobsDir });
  for (const name of ['Evil', 'Sub\\Evil', 'Sub::Evil']) {
    await assert.rejects(loader.resolve(name), { name: 'JobClassNotFoundError', message: `Could not find job class ${name}. Refused: the file resolves outside the jobs directory.` });
  }
  assert.equal(globalThis.__resqueEvilLoaded, undefined);
  // A symlink that stays inside is fine.
  assert.equal(new (await loader.resolve('Alias'))().perform(), 1);
});

test('ESM jobs: default export and named export', async () => {
  const loader = new JobLoader({ jobsDir: JOBS });
  const Esm = await loader.resolve('EsmJob');
  assert.deepEqual(new Esm().perform(), { esm: true, args: undefined });
  const Named = await loader.resolve('Named');
  assert.equal(new Named().perform(), 'named');
});

test('TypeScript jobs load without a build step', async () => {
  const loader = new JobLoader({ jobsDir: JOBS });
  const Ts = await loader.resolve('TsJob');
  const job = new Ts();
  job.args = { name: 'ts' };
  assert.deepEqual(job.perform(), { greeting: 'hello ts', typed: true });
});

test('.cts and .mts jobs load; a TS syntax error names file:line', async (t) => {
  const jobsDir = tmpDir(t);
  fs.writeFileSync(path.join(jobsDir, 'C.cts'), 'class C { perform(): number { return 1; } }\nexport = C;\n');
  fs.writeFileSync(path.join(jobsDir, 'M.mts'), 'export class M { perform(): string { return "m"; } }\n');
  fs.writeFileSync(path.join(jobsDir, 'Broken.ts'), 'export default class Broken {\n  perform( { return 1; }\n}\n');
  const loader = new JobLoader({ jobsDir });
  assert.equal(new (await loader.resolve('C'))().perform(), 1);
  assert.equal(new (await loader.resolve('M'))().perform(), 'm');
  await assert.rejects(loader.resolve('Broken'), (e) => e instanceof SyntaxError && /Broken\.ts:2:\d+: /.test(e.message));
});

test('TypeScript missing: a clear message naming the file', () => {
  assert.throws(() => loadTypeScript('jobs/X.ts', ['/nowhere'], () => undefined), (e) => {
    assert.ok(e instanceof TypeScriptMissingError);
    assert.equal(e.message, "jobs/X.ts is TypeScript: install the 'typescript' package (npm i -D typescript) or compile it to .js");
    return true;
  });
});

test('a file that exports no class, and the cache', async (t) => {
  const jobsDir = tmpDir(t);
  fs.writeFileSync(path.join(jobsDir, 'Nothing.js'), 'module.exports = { notAClass: 1 };\n');
  fs.writeFileSync(path.join(jobsDir, 'Once.js'), 'module.exports = class Once { perform() {} };\n');
  const loader = new JobLoader({ jobsDir });
  await assert.rejects(loader.resolve('Nothing'), { message: `Could not find job class Nothing. ${path.basename(jobsDir)}/Nothing.js does not export a class.` });
  const first = await loader.resolve('Once');
  fs.rmSync(path.join(jobsDir, 'Once.js'));
  assert.equal(await loader.resolve('Once'), first);
});

test('loadApp validates hooks and jobs, and reads ESM named exports', async (t) => {
  const dir = tmpDir(t);
  const typo = path.join(dir, 'typo.js');
  fs.writeFileSync(typo, 'module.exports = { hooks: { beforPerform() {} } };\n');
  await assert.rejects(loadApp(typo), (e) => e instanceof OptionError && /hooks\.beforPerform is not a hook/.test(e.message));
  const badJob = path.join(dir, 'badjob.js');
  fs.writeFileSync(badJob, 'module.exports = { jobs: { X: 42 } };\n');
  await assert.rejects(loadApp(badJob), /jobs\["X"\] is not a class/);
  const esm = path.join(dir, 'app.mjs');
  fs.writeFileSync(esm, 'export const jobs = { E: class E { perform() { return 1; } } };\nexport const hooks = { afterFork() {} };\n');
  const app = await loadApp(esm);
  assert.equal(typeof app.jobs.E, 'function');
  assert.equal(typeof app.hooks.afterFork, 'function');
  const bare = path.join(dir, 'bare.js');
  fs.writeFileSync(bare, '// side effects only\n');
  assert.deepEqual(await loadApp(bare), {});
});

test("think-queue's Class@method names: the class, checked for that method; the rest are class names", async () => {
  const { splitJobName } = require('../dist/job/loader');
  assert.deepEqual(splitJobName('app\\job\\Mailer@send'), { className: 'app\\job\\Mailer', method: 'send' });
  assert.deepEqual(splitJobName('Mailer'), { className: 'Mailer', method: 'perform' });
  assert.deepEqual(splitJobName('Mailer@'), { className: 'Mailer@', method: 'perform' }, 'no identifier after @: a class name');
  assert.deepEqual(splitJobName('a@b@c'), { className: 'a@b', method: 'c' });
  const loader = new JobLoader({ jobsDir: JOBS });
  const cls = require(path.join(JOBS, 'Think', 'Mailer.js'));
  assert.equal(await loader.resolve('Think\\Mailer@send'), cls);
  assert.equal(await loader.resolve('Think\\Mailer@digest'), cls);
  assert.equal(await loader.resolve('Think::Mailer'), cls);
  for (const [method, why] of [['nope', 'missing'], ['constructor', 'the constructor'], ['toString', "Object.prototype's"], ['notAMethod', 'a getter'], ['hasOwnProperty', "Object.prototype's"]]) {
    await assert.rejects(loader.resolve(`Think\\Mailer@${method}`), (e) => {
      assert.ok(e instanceof JobMethodMissingError, why);
      assert.equal(e.message, `Job class Think\\Mailer does not contain a ${method} method (the job's name is Think\\Mailer@${method}).`);
      return true;
    });
  }
});
