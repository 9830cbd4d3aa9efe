'use strict';
// Every JavaScript and TypeScript block of the README runs as pasted, in a fresh app folder
// where `resque-ts` resolves to this package (as after `npm install resque-ts`):
//   - each block's first line is a comment naming its file (`// enqueue.js`, `// jobs/X.ts`);
//     the extension decides how Node treats it (a `.js` file is CommonJS: the app has a
//     package.json without "type", as `npm init` writes);
//   - blocks under `jobs/` are job classes; `app.js` is the --app module; the others are scripts;
//   - a worker (`resque start --queue=default`, with the app module when there is one) runs over
//     the app's jobs folder against a private redis-server, named by REDIS_URL as the README says;
//   - every script runs with `node FILE` and must exit 0 with nothing on stderr;
//   - every job class the README defines is enqueued and must have been found and loaded
//     (its own failures are allowed; a missing class, a missing perform or a syntax error is not);
//   - every TypeScript block type-checks under `strict` against the package's types.
// The demo's sample output (after `<!-- demo-output -->`) is what `resque demo` prints, ids and
// ports aside, line for line in order.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { useRedis } = require('./helpers/redis');
const { ROOT, HOST, tempDir, childPids, spawnResque } = require('./helpers/worker');
const { waitFor } = require('./helpers/wait');

const run = promisify(execFile);
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const redis = useRedis();

/** Fenced blocks: { lang, body, line, before } where `before` is the line preceding the fence. */
function fencedBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open || !open[1]) continue;
    const start = i;
    const body = [];
    for (i += 1; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    blocks.push({ lang: open[1], body: body.join('\n'), line: start + 1, before: lines[start - 1] ?? '' });
  }
  return blocks;
}

const CODE_LANGS = new Set(['js', 'javascript', 'ts', 'typescript', 'mjs', 'cjs']);
const FILE_LINE = /^\/\/ ((?:[\w.-]+\/)*[\w.-]+\.(?:js|cjs|mjs|ts|cts|mts))(?:\s|$)/;

function codeBlocks() {
  return fencedBlocks(README).filter((b) => CODE_LANGS.has(b.lang)).map((b) => {
    const m = FILE_LINE.exec(b.body.split('\n')[0]);
    return { ...b, file: m ? m[1] : undefined };
  });
}

/** The Resque class name of a job file: jobs/App/Jobs/SendEmail.js → App\Jobs\SendEmail. */
function className(file) {
  return file.replace(/^jobs\//, '').replace(/\.[cm]?[jt]s$/, '').split('/').join('\\');
}

test('every JS/TS block of the README names its file, once', () => {
  const blocks = codeBlocks();
  assert.ok(blocks.length >= 5, `found ${blocks.length} code blocks`);
  for (const b of blocks) assert.ok(b.file, `README.md:${b.line}: a ${b.lang} block must start with a comment naming its file, e.g. // enqueue.js`);
  const files = blocks.map((b) => b.file);
  assert.deepEqual(files, [...new Set(files)], 'two blocks name the same file');
});

test('every JS/TS block of the README runs as pasted against a private Redis', { timeout: 120000 }, async (t) => {
  const blocks = codeBlocks().filter((b) => b.file);
  const app = tempDir('resque-readme-');
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'readme-app', version: '1.0.0', private: true }, null, 2));
  fs.mkdirSync(path.join(app, 'node_modules', '@types'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(app, 'node_modules', 'resque-ts'), 'dir');
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(app, 'node_modules', '@types', 'node'), 'dir');
  for (const b of blocks) {
    fs.mkdirSync(path.dirname(path.join(app, b.file)), { recursive: true });
    fs.writeFileSync(path.join(app, b.file), `${b.body}\n`);
  }

  await t.test('TypeScript blocks type-check under strict', async () => {
    const ts = blocks.filter((b) => /\.[cm]?ts$/.test(b.file)).map((b) => b.file);
    assert.ok(ts.length >= 1, 'the README shows a TypeScript job');
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'node16', moduleResolution: 'node16', types: ['node'], skipLibCheck: false },
      files: ts,
    }));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const res = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).catch((e) => e);
    assert.equal(res.code ?? 0, 0, `tsc over the README's TypeScript blocks:\n${res.stdout}${res.stderr}`);
  });

  const srv = await redis();
  const ns = 'readme';
  const env = { REDIS_URL: srv.url, PREFIX: ns };
  const hasApp = blocks.some((b) => b.file === 'app.js');
  // Run from the app folder with the README's command line (default ./jobs), as a user would.
  const w = spawnResque(['start', '--queue=default', '--interval=0.1', ...(hasApp ? ['--app=app.js'] : [])], { cwd: app, env });
  t.after(() => w.stop({ graceMs: 3000 }));
  const r = srv.client();
  t.after(() => r.disconnect());
  // The registered worker is the job process the started process forks.
  await waitFor(async () => (await r.smembers(`${ns}:workers`)).some((id) => id.startsWith(`${HOST}:`) && childPids(w.pid).includes(Number(id.split(':')[1]))), { what: 'the README worker registered', timeoutMs: 10000 });

  for (const b of blocks.filter((x) => !x.file.startsWith('jobs/') && x.file !== 'app.js' && /\.[cm]?js$/.test(x.file))) {
    await t.test(`${b.file} (README.md:${b.line})`, async () => {
      const res = await run(process.execPath, [b.file], { cwd: app, env: { ...cleanNodeEnv(), ...env }, timeout: 30000 }).catch((e) => e);
      assert.equal(res.code ?? 0, 0, `node ${b.file} failed:\n${res.stdout}${res.stderr}\n--- worker ---\n${w.output}`);
      assert.equal(res.stderr, '', `node ${b.file} wrote to stderr`);
    });
  }

  await t.test('every job class of the README is found and run by the worker', async () => {
    const jobs = blocks.filter((b) => b.file.startsWith('jobs/')).map((b) => className(b.file));
    assert.ok(jobs.includes('App\\Jobs\\SendEmail'), jobs.join(', '));
    const { Resque } = require('..');
    const resque = new Resque({ redis: srv.url, namespace: ns });
    t.after(() => resque.close());
    const ids = [];
    for (const cls of jobs) ids.push([cls, await resque.enqueue('default', cls, { to: 'readme@example.com', subject: 'README', recipients: ['a@b.c'] }, true)]);
    for (const [cls, id] of ids) {
      const code = await waitFor(async () => {
        const s = await resque.status(id).get();
        return s === 3 || s === 4 ? s : null;
      }, { timeoutMs: 15000, what: `${cls} finished` }).catch((e) => { e.message += `\n${w.output}`; throw e; });
      if (code === 3) {
        const failures = (await r.lrange(`${ns}:failed`, 0, -1)).map((f) => JSON.parse(f));
        const mine = failures.find((f) => typeof f.payload === 'object' && f.payload.id === id);
        assert.ok(mine, `${cls} failed without a record`);
        assert.doesNotMatch(mine.exception, /JobClassNotFoundError|JobMethodMissingError|SyntaxError|TypeScriptMissingError/, `${cls}: ${mine.exception}: ${mine.error}`);
      }
    }
  });
});

test('the README\'s demo output is what `resque demo` prints', { timeout: 60000 }, async () => {
  const block = fencedBlocks(README).find((b) => b.before.trim() === '<!-- demo-output -->');
  assert.ok(block, 'README has a text block after <!-- demo-output -->');
  const demo = spawnResque(['demo'], { env: {} });
  const exit = await demo.waitExit({ timeoutMs: 50000 });
  assert.equal(exit.code, 0, demo.output);
  const norm = (s) => s.replace(/[0-9a-f]{32}/g, 'ID').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').replace(/resque-demo-\d+/g, 'resque-demo-PID');
  const printed = norm(demo.stdout).split('\n');
  let at = 0;
  for (const line of norm(block.body).split('\n')) {
    const found = printed.indexOf(line, at);
    assert.ok(found >= 0, `README line not printed by the demo (in this order): ${JSON.stringify(line)}\n--- demo stdout ---\n${demo.stdout}`);
    at = found + 1;
  }
});

function cleanNodeEnv() {
  const env = { ...process.env };
  for (const k of ['NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'REDIS_URL', 'REDIS_BACKEND', 'PREFIX']) delete env[k];
  return env;
}
