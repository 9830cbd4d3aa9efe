'use strict';
// The layers of src/ point one way: cli → worker → engine → {loop, job, store} → redis → base.
// Every relative import of every source file (static `import … from`, `import type`, `export …
// from`, `require()` and `import()` with a literal) is an edge; an edge may only run down a
// layer, or stay inside one folder. Within the middle layer, the loop knows neither Redis nor
// the store (it drives them through the ops interface it defines), and job code may read the
// store's types only. Run on the sources, so a type-only edge counts as much as a runtime one.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const SRC = path.resolve(__dirname, '..', 'src');

/** [path prefix relative to src/, layer, group] — first match wins; higher layers sit on lower ones. */
const LAYERS = [
  ['index.ts', 7, 'package'],
  ['esm/', 7, 'package'],
  ['cli/', 6, 'cli'],
  ['worker/', 5, 'worker'],
  ['metrics/', 5, 'metrics'], // over the admin API, beside the workers
  ['web/', 5, 'web'], // the dashboard, over the admin API
  ['engine/', 4, 'engine'],
  ['api/', 4, 'api'],
  ['resque.ts', 4, 'client'],
  ['loop/', 3, 'loop'],
  ['job/', 3, 'job'],
  ['store/', 3, 'store'],
  ['redis/', 2, 'redis'],
  ['', 1, 'base'], // payload, json, errors, config, log, time, version, proctitle
];

/** Sideways edges allowed inside a layer: [from group, to group, only types?]. */
const SIDEWAYS = [['job', 'store', true]];

function layerOf(rel) {
  const [, layer, group] = LAYERS.find(([prefix]) => rel.startsWith(prefix) && (prefix === '' || prefix.endsWith('/') || rel === prefix));
  return { layer, group };
}

function sources(dir = SRC) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

function resolveImport(from, spec) {
  const base = path.resolve(path.dirname(from), spec).replace(/\.m?js$/, '');
  for (const cand of [`${base}.ts`, `${base}.mts`, path.join(base, 'index.ts')]) if (fs.existsSync(cand)) return cand;
  return undefined;
}

/** { to, typeOnly, line } for every relative import of `file`. */
function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const out = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'|\b(?:require|import)\(\s*'(\.[^']+)'\s*\)/g;
  for (let m; (m = re.exec(text)); ) {
    const spec = m[3] ?? m[4];
    const line = text.slice(0, m.index).split('\n').length + (text[m.index] === '\n' ? 1 : 0);
    out.push({ spec, typeOnly: Boolean(m[2]) || /\btypeof\s+import\($/.test(text.slice(Math.max(0, m.index - 20), m.index + 7)), line });
  }
  return out.map((e) => ({ ...e, to: resolveImport(file, e.spec) }));
}

test('every relative import of src/ resolves to a source file', () => {
  const unresolved = [];
  for (const file of sources()) {
    for (const e of importsOf(file)) if (!e.to) unresolved.push(`${path.relative(SRC, file)}:${e.line} ${e.spec}`);
  }
  assert.deepEqual(unresolved, []);
});

test('layers point one way: no import runs up a layer or sideways between folders', () => {
  const wrong = [];
  for (const file of sources()) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    const from = layerOf(rel);
    for (const e of importsOf(file)) {
      if (!e.to) continue;
      const toRel = path.relative(SRC, e.to).split(path.sep).join('/');
      const to = layerOf(toRel);
      if (to.layer < from.layer) continue;
      if (to.group === from.group && to.layer === from.layer) continue;
      const side = SIDEWAYS.find(([a, b]) => a === from.group && b === to.group);
      if (side && (!side[2] || e.typeOnly)) continue;
      wrong.push(`${rel}:${e.line} (${from.group}, layer ${from.layer}) → ${toRel} (${to.group}, layer ${to.layer})${e.typeOnly ? ' [type]' : ''}`);
    }
  }
  assert.deepEqual(wrong, [], `imports against the layers:\n${wrong.join('\n')}`);
});

test('no module of the loop imports Redis, a Lua script or the store', () => {
  const loop = sources().filter((f) => path.relative(SRC, f).startsWith(`loop${path.sep}`));
  assert.ok(loop.length > 0, 'src/loop/ exists');
  const wrong = [];
  for (const file of loop) {
    const text = fs.readFileSync(file, 'utf8');
    if (/from\s+'ioredis'|require\('ioredis'\)/.test(text)) wrong.push(`${path.relative(SRC, file)} imports ioredis`);
    for (const e of importsOf(file)) {
      const toRel = e.to ? path.relative(SRC, e.to).split(path.sep).join('/') : e.spec;
      if (toRel.startsWith('redis/') || toRel.startsWith('store/')) wrong.push(`${path.relative(SRC, file)}:${e.line} → ${toRel}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the checker sees a wrong edge (a store module importing the engine)', () => {
  // Guard against a checker that passes because it reads nothing.
  const from = layerOf('store/queues.ts');
  const to = layerOf('engine/assemble.ts');
  assert.ok(to.layer > from.layer);
  const edges = importsOf(path.join(SRC, 'engine', 'assemble.ts'));
  assert.ok(edges.length >= 5, `engine/assemble.ts has ${edges.length} imports`);
});

test('every job state transition goes through the jobs aggregate: only src/store/jobs.ts runs the job scripts', () => {
  const TRANSITIONS = ['reserve', 'finish', 'settle', 'give-back', 'pop-done', 'recover'];
  const users = new Map(TRANSITIONS.map((t) => [t, []]));
  for (const file of sources()) {
    for (const e of importsOf(file)) {
      const toRel = e.to ? path.relative(SRC, e.to).split(path.sep).join('/') : '';
      const m = /^redis\/scripts\/([\w-]+)\.ts$/.exec(toRel);
      if (m && users.has(m[1])) users.get(m[1]).push(path.relative(SRC, file).split(path.sep).join('/'));
    }
  }
  for (const [script, files] of users) {
    const outside = files.filter((f) => f !== 'store/jobs.ts' && !f.startsWith('redis/scripts/'));
    assert.deepEqual(outside, [], `${script}.ts is run outside the jobs aggregate`);
    assert.ok(files.includes('store/jobs.ts'), `store/jobs.ts runs ${script}`);
  }
});
