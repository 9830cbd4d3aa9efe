'use strict';
// The package as a consumer gets it: `npm pack` of a copy of this repository (so `prepack`
// builds dist/ there, not under the running suite), installed into an empty app.
//   - the install runs no script of ours, so npm prints no install-scripts warning;
//   - the tarball holds dist/ (built by prepack), bin/ and the demo's jobs/;
//   - a strict TypeScript consumer importing the job, app, hook and failure-backend types compiles;
//   - `npx resque demo` from the install runs the demo's jobs to the end, exits 0, leaves nothing;
//   - the same demo with one of its jobs missing exits 1 and says which job ended wrongly.
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { ROOT, tempDir } = require('./helpers/worker');
const { spawnDemo, demoLeftovers } = require('./helpers/demo');

const run = promisify(execFile);
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
delete NPM_ENV.NODE_TEST_CONTEXT;
delete NPM_ENV.NODE_OPTIONS;

let tarball;
let app;
let installLog;

before(async () => {
  const work = tempDir('resque-pack-');
  // A copy of what npm would pack, plus the build tools: prepack (tsc) writes the copy's dist/.
  const copy = path.join(work, 'repo');
  fs.mkdirSync(copy);
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'src', 'bin', 'jobs', 'docs']) {
    fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: copy, env: NPM_ENV, timeout: 120000 });
  const info = JSON.parse(packed.stdout)[0];
  tarball = path.join(work, info.filename);
  // An empty app, as `npm init -y` leaves it; TypeScript consumers add typescript and @types/node.
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true }, null, 2));
  const tsVersion = PKG.devDependencies.typescript;
  const typesNode = PKG.devDependencies['@types/node'];
  const res = await run('npm', ['install', '--prefer-offline', tarball, `typescript@${tsVersion}`, `@types/node@${typesNode}`], { cwd: app, env: NPM_ENV, timeout: 180000 });
  installLog = `${res.stdout}${res.stderr}`;
});

test('the tarball has dist/ (built by prepack), bin/ and the demo jobs; the package runs no install script', async () => {
  const scripts = PKG.scripts;
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(scripts[hook], undefined, `package.json has a ${hook} script`);
  assert.match(scripts.prepack, /tsc/);
  const installed = path.join(app, 'node_modules', PKG.name);
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/esm/index.mjs', 'dist/cli/main.js', 'bin/resque', 'jobs/App/Jobs/SendEmail.js', 'jobs/Sleep.js']) {
    assert.ok(fs.existsSync(path.join(installed, file)), `${file} in the installed package`);
  }
  assert.ok(!fs.existsSync(path.join(installed, 'src')), 'sources are not shipped');
  assert.ok(!fs.existsSync(path.join(installed, 'test')), 'tests are not shipped');
});

test('installing the tarball prints no install-scripts warning', () => {
  assert.doesNotMatch(installLog, /install-scripts|install scripts|prepare/i, installLog);
});

test('a strict TypeScript consumer of the tarball compiles against the exported types', async () => {
  fs.mkdirSync(path.join(app, 'jobs'), { recursive: true });
  fs.writeFileSync(path.join(app, 'jobs', 'Greet.ts'), `
import { Job, DontPerform, type JobContext } from 'resque-ts';

interface GreetArgs { name: string; times?: number }

export default class Greet extends Job<GreetArgs> {
  static timeout = 5;
  async perform(): Promise<string> {
    if (this.args.name === '') throw new DontPerform('no name');
    const ctx: JobContext = this.job;
    const q: string = this.queue;
    return \`hello \${this.args.name} x\${this.args.times ?? 1} (\${ctx.id ?? '-'} on \${q})\`;
  }
}
`);
  fs.writeFileSync(path.join(app, 'app.ts'), `
import type { AppModule, AppHooks, FailureBackend, Failure, JobInfo, WorkerInfo, JobClass, JobInstance, NormalizedError, HookName } from 'resque-ts';
import { Resque, JobStatus, type StatusPacket } from 'resque-ts';
import Greet from './jobs/Greet';

const seen: Failure[] = [];
const failureBackend: FailureBackend = {
  async save(failure: Failure): Promise<void> {
    const e: NormalizedError = failure.error;
    seen.push(failure);
    console.error(failure.queue, failure.workerId, e.name, e.message, failure.failedAt.toISOString());
  },
};
const hooks: AppHooks = {
  beforeFirstFork(worker: WorkerInfo) { console.log(worker.id, worker.queues.length, worker.pid); },
  beforePerform(job: JobInfo) { console.log(job.className, job.queue, job.id, job.arg0); },
  onFailure(error: unknown, job: JobInfo) { console.error(job.className, error); },
};
const cls: JobClass = Greet;
const instance: JobInstance = new Greet();
const names: HookName[] = ['afterPerform'];
const mod: AppModule = { jobs: { Greet: cls }, hooks, failureBackend };
export default mod;

export async function enqueueOne(): Promise<StatusPacket | null> {
  const id = await Resque.enqueue('default', 'Greet', { name: 'ts' }, true);
  if (id === false) return null;
  const code: number | null = await Resque.status(id).get();
  console.log(code === JobStatus.WAITING, instance, names);
  return Resque.status(id).fetch();
}
`);
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'node16', moduleResolution: 'node16', types: ['node'], noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true },
    files: ['app.ts', 'jobs/Greet.ts'],
  }));
  const tsc = path.join(app, 'node_modules', 'typescript', 'bin', 'tsc');
  const res = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).catch((e) => e);
  assert.equal(res.code ?? 0, 0, `tsc:\n${res.stdout}${res.stderr}`);
});

test('`npx resque demo` from the installed tarball runs its jobs to the end and leaves nothing', { timeout: 90000 }, async () => {
  const demo = spawnDemo({ cwd: app, bin: path.join(app, 'node_modules', '.bin', 'resque') });
  const exit = await demo.exited;
  assert.equal(exit.code, 0, demo.output);
  assert.match(demo.output, /App\\Jobs\\SendEmail\s+[0-9a-f]{32}\s+complete\s+result=\{"sent":true,"to":"user@example.com"\}/);
  assert.match(demo.output, /Sleep\s+[0-9a-f]{32}\s+complete\s+result=\{"slept":0\.3\}/);
  assert.doesNotMatch(demo.output, /SendEmail.*JobClassNotFoundError/);
  assert.deepEqual(await demoLeftovers(demo, 3000), [], 'no process of the demo is left');
});

test('the demo exits 1 and names the job when one does not end as expected', { timeout: 90000 }, async () => {
  // An install whose Sleep job is gone, as when the jobs were not shipped.
  const broken = path.join(path.dirname(app), 'broken');
  fs.cpSync(path.join(app, 'node_modules', PKG.name), path.join(broken, 'node_modules', PKG.name), { recursive: true, dereference: false });
  fs.rmSync(path.join(broken, 'node_modules', PKG.name, 'jobs', 'Sleep.js'));
  for (const dep of fs.readdirSync(path.join(app, 'node_modules'))) {
    if (!fs.existsSync(path.join(broken, 'node_modules', dep))) fs.symlinkSync(path.join(app, 'node_modules', dep), path.join(broken, 'node_modules', dep), 'dir');
  }
  const demo = spawnDemo({ cwd: broken, bin: path.join(broken, 'node_modules', PKG.name, 'bin', 'resque') });
  const exit = await demo.exited;
  assert.equal(exit.code, 1, demo.output);
  assert.match(demo.output, /Unexpected: Sleep ended FAILED/);
  assert.deepEqual(await demoLeftovers(demo, 3000), [], 'no process of the demo is left');
});
