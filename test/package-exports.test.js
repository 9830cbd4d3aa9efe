'use strict';
// The package as consumers load it: the exports map (require and import conditions), the ESM
// wrapper exposing the same names (and the same objects) as the CommonJS build, and the types.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { pathToFileURL } = require('node:url');

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const REQUIRED = ['Resque', 'JobStatus', 'DontPerform', 'DirtyExitError'];

// A consumer project: node_modules/<name> → this package (as `npm link` would make it).
let consumer;
before(() => {
  consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'resque-ts-consumer-'));
  fs.mkdirSync(path.join(consumer, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(consumer, 'node_modules', PKG.name), 'dir');
});
after(() => {
  if (consumer) fs.rmSync(consumer, { recursive: true, force: true });
});

async function node(args, cwd = consumer) {
  return run(process.execPath, args, { cwd, timeout: 20000 });
}

test('require of the package directory exposes the public names', () => {
  const lib = require(ROOT);
  for (const name of REQUIRED) assert.equal(typeof lib[name], 'function', name);
  assert.equal(lib.JobStatus.COMPLETE, 4);
  assert.ok(new lib.DirtyExitError(1, null) instanceof Error);
  assert.ok(new lib.DontPerform('x') instanceof lib.ResqueError);
});

test('package.json exports "." has require, import and types targets that exist', () => {
  const dot = PKG.exports['.'];
  assert.ok(dot && dot.require && dot.import && dot.types, JSON.stringify(PKG.exports));
  for (const target of [dot.require, dot.import, dot.types, PKG.main, PKG.types]) {
    assert.ok(fs.existsSync(path.join(ROOT, target)), `${target} exists (run the build first)`);
  }
  assert.equal(require.resolve(ROOT), path.join(ROOT, PKG.main));
});

test('a consumer\'s require(name) resolves through the exports map', async () => {
  const code = `const m = require(${JSON.stringify(PKG.name)});
    process.stdout.write(JSON.stringify({ file: require.resolve(${JSON.stringify(PKG.name)}),
      names: ${JSON.stringify(REQUIRED)}.filter((n) => typeof m[n] === 'function') }));`;
  const { stdout } = await node(['-e', code]);
  const out = JSON.parse(stdout);
  assert.equal(fs.realpathSync(out.file), fs.realpathSync(path.join(ROOT, PKG.exports['.'].require)));
  assert.deepEqual(out.names, REQUIRED);
});

test('ESM: import of dist/esm/index.mjs exposes the same names and the very same objects', async () => {
  const cjs = require(ROOT);
  const esm = await import(pathToFileURL(path.join(ROOT, 'dist', 'esm', 'index.mjs')).href);
  for (const name of REQUIRED) assert.equal(typeof esm[name], 'function', name);
  // Nothing public is missing from the ESM wrapper, and no class is duplicated (instanceof works across both).
  const missing = Object.keys(cjs).filter((k) => !(k in esm));
  assert.deepEqual(missing, [], 'CommonJS exports missing from the ESM entry');
  for (const k of Object.keys(cjs)) assert.equal(esm[k], cjs[k], `esm.${k} === cjs.${k}`);
});

test('ESM: a consumer\'s `import { Resque } from name` works (child process)', async () => {
  const code = `import { Resque, JobStatus, DontPerform, DirtyExitError } from ${JSON.stringify(PKG.name)};
    import { createRequire } from 'node:module';
    const req = createRequire(import.meta.url);
    const cjs = req(${JSON.stringify(PKG.name)});
    console.log(JSON.stringify({
      types: [typeof Resque, typeof JobStatus, typeof DontPerform, typeof DirtyExitError],
      same: Resque === cjs.Resque,
      resolved: import.meta.resolve(${JSON.stringify(PKG.name)}),
    }));`;
  const { stdout } = await node(['--input-type=module', '-e', code]);
  const out = JSON.parse(stdout);
  assert.deepEqual(out.types, ['function', 'function', 'function', 'function']);
  assert.equal(out.same, true);
  assert.ok(out.resolved.endsWith('/dist/esm/index.mjs'), out.resolved);
});

test('ESM: importing the package root by absolute path works via its main file', async () => {
  // Directory imports are not allowed in ESM, so the root is reached through the exports target.
  const target = pathToFileURL(path.join(ROOT, PKG.exports['.'].import)).href;
  const { stdout } = await node(['--input-type=module', '-e', `import { Resque } from ${JSON.stringify(target)}; console.log(typeof Resque);`], ROOT);
  assert.equal(stdout.trim(), 'function');
});

test('requiring the package has no side effects (no connection, process exits at once)', async () => {
  const started = Date.now();
  const { stdout } = await node(['-e', `const m = require(${JSON.stringify(PKG.name)}); new m.Resque({ redis: '127.0.0.1:1' }); console.log('done')`]);
  assert.equal(stdout.trim(), 'done');
  assert.ok(Date.now() - started < 10000);
});

test('.d.ts files exist for the types entry and declare the public names', () => {
  const entry = path.join(ROOT, PKG.exports['.'].types);
  const dts = fs.readFileSync(entry, 'utf8');
  // Names are either listed in the entry or come from a module it re-exports with `export *`.
  const starred = [...dts.matchAll(/export \* from ['"](.+?)['"]/g)].map((m) =>
    fs.readFileSync(path.join(path.dirname(entry), `${m[1]}.d.ts`), 'utf8'),
  );
  for (const name of REQUIRED) {
    const re = new RegExp(`\\b${name}\\b`);
    assert.ok(re.test(dts) || starred.some((s) => new RegExp(`export declare class ${name}\\b`).test(s)), `${name} declared via ${PKG.exports['.'].types}`);
  }
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'resque.d.ts')));
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'errors.d.ts')));
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'store', 'status.d.ts')));
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'esm', 'index.d.mts')));
});

test('a TypeScript consumer type-checks against the package types (tsc, node16 resolution)', async () => {
  const dir = path.join(consumer, 'ts');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'use.ts'),
    `import { Resque, JobStatus, DontPerform, DirtyExitError, type DecodedJob } from ${JSON.stringify(PKG.name)};
export async function use(): Promise<void> {
  const r = new Resque({ redis: 'redis://127.0.0.1:1', namespace: 'x' });
  const id: string | false = await r.enqueue('q', 'Job', { a: 1 }, true, 'p');
  if (id) { const s: number | null = await r.status(id).get(); void s; }
  const jobs: DecodedJob[] = await r.peek('q', 0, 1);
  const n: number = JobStatus.COMPLETE + jobs.length;
  void n; void new DontPerform('x'); void new DirtyExitError(1, null);
  // @ts-expect-error args must be an object, an array or null
  await r.enqueue('q', 'Job', 'not args');
  await r.close();
}
`,
  );
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'node16',
        moduleResolution: 'node16',
        target: 'ES2022',
        skipLibCheck: true,
        types: [],
        typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      },
      files: ['use.ts'],
    }),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { cwd: dir, timeout: 60000 });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}\n${e.stderr}`);
  }
});
