'use strict';
// Every Lua script declares a spec (the names of its KEYS and ARGV, in order, plus a variable
// tail of each), and its header comment lists the same names as `KEYS[i] name` / `ARGV[i] name`
// lines (`KEYS[i..] name` for the tail). This pins one against the other, builds every script's
// arrays from objects, and checks that the status codes the Lua writes are the TypeScript ones.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { STATUS_WAITING, STATUS_RUNNING, STATUS_FAILED } = require('../dist/status-codes');

const SCRIPTS_SRC = path.resolve(__dirname, '..', 'src', 'redis', 'scripts');
const SCRIPTS = {
  enqueue: 'enqueue', 'update-status': 'updateStatus', recover: 'recoverOne', 'give-back': 'giveBack',
  finish: 'finish', reserve: 'reserve', 'pop-done': 'popDone', settle: 'settle',
  beat: 'beat', fence: 'fence', amend: 'amend',
};

/** [{ kind: 'KEYS'|'ARGV', index, rest, name }] from the header comment of a script's source. */
function header(file) {
  const text = fs.readFileSync(path.join(SCRIPTS_SRC, `${file}.ts`), 'utf8');
  const out = [];
  for (const m of text.matchAll(/^\s*\*\s+(KEYS|ARGV)\[(\d+)(\.\.)?\]\s+(\w+)/gm)) out.push({ kind: m[1], index: Number(m[2]), rest: Boolean(m[3]), name: m[4] });
  return out;
}

for (const [file, exported] of Object.entries(SCRIPTS)) {
  test(`${file}: the header lists the spec's KEYS and ARGV, in order`, () => {
    const script = require(`../dist/redis/scripts/${file}`)[exported];
    assert.ok(script && script.spec, `${file} exports ${exported} with a spec`);
    const lines = header(file);
    for (const kind of ['KEYS', 'ARGV']) {
      const fixed = lines.filter((l) => l.kind === kind && !l.rest);
      const names = kind === 'KEYS' ? script.spec.keys : script.spec.args;
      assert.deepEqual(fixed.map((l) => l.index), names.map((_, i) => i + 1), `${file}: ${kind} numbered 1..n`);
      assert.deepEqual(fixed.map((l) => l.name), [...names], `${file}: ${kind} names`);
      const rest = lines.filter((l) => l.kind === kind && l.rest);
      const restName = kind === 'KEYS' ? script.spec.restKeys : script.spec.restArgs;
      assert.deepEqual(rest.map((l) => l.name), restName ? [restName] : [], `${file}: variable ${kind}`);
      if (restName) assert.equal(rest[0].index, names.length + 1, `${file}: variable ${kind} start right after the fixed ones`);
    }
  });
}

test('a script builds its arrays from objects in the spec\'s order and refuses a missing name', () => {
  const { recoverOne } = require('../dist/redis/scripts/recover');
  const keys = Object.fromEntries(recoverOne.spec.keys.map((n) => [n, `k:${n}`]));
  const args = Object.fromEntries([...recoverOne.spec.args].reverse().map((n) => [n, `a:${n}`]));
  const [k, a] = recoverOne.build({ keys, args });
  assert.deepEqual(k, recoverOne.spec.keys.map((n) => `k:${n}`));
  assert.deepEqual(a, recoverOne.spec.args.map((n) => `a:${n}`));
  const { queue, ...missing } = keys;
  assert.throws(() => recoverOne.build({ keys: missing, args }), /key "queue" missing/);
  assert.throws(() => recoverOne.build({ keys, args, restKeys: ['x'] }), /takes no variable KEYS/);
});

test('the Lua writes the status codes of src/status-codes.ts (interpolated, not literals)', () => {
  const { giveBack } = require('../dist/redis/scripts/give-back');
  const { recoverOne } = require('../dist/redis/scripts/recover');
  const { reserve } = require('../dist/redis/scripts/reserve');
  assert.match(giveBack.lua, new RegExp(`set_status\\(KEYS\\[4\\], '${STATUS_WAITING}'`));
  assert.match(recoverOne.lua, new RegExp(`set_status\\(skey, '${STATUS_WAITING}'`));
  assert.match(recoverOne.lua, new RegExp(`set_status\\(skey, '${STATUS_FAILED}'`));
  assert.match(reserve.lua, new RegExp(`'${STATUS_RUNNING}', ARGV\\[ao \\+ 4\\]`));
  for (const file of [...Object.keys(SCRIPTS), 'job-steps', 'lua-lib']) {
    const text = fs.readFileSync(path.join(SCRIPTS_SRC, `${file}.ts`), 'utf8');
    assert.doesNotMatch(text, /set_status\([^)]*, '[1-4]'/, `${file}: a status code written as a literal`);
  }
});
