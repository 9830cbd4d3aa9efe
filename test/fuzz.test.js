'use strict';
// Hostile queue items (seeded; the seed is printed — rerun with FUZZ_SEED=<seed>):
// ~2000 bad payloads (broken JSON, wrong field types, deep nesting, a 10 MB string, __proto__ /
// constructor keys, path-escaping class names, NUL bytes, non-UTF-8 bytes) interleaved with ~300
// good jobs, drained by one `resque start --once`. Asserted:
//   * every bad item has exactly one failure record whose payload is the pushed bytes — embedded
//     as is when Redis' cjson reads it as an object (finish.ts' rule), else as a JSON string of
//     those bytes — compared byte for byte (lrangeBuffer); records of UTF-8 payloads are valid JSON;
//   * every good job completed (status 4 / its line in the output file), exactly once;
//   * failure records = stat:failed = bad count; stat:processed = total; nothing left queued or in flight;
//   * the worker exits 0 (after --once) without an unhandled rejection;
//   * Object.prototype is never polluted in the child (ProtoProbe jobs interleaved, one last);
//   * a module outside the jobs folder (<tmp>/evil.js, also reachable through a symlink inside
//     it) is never loaded: its MARKER file never appears.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');
const { startWorker, tempDir, JOBS, HOST } = require('./helpers/worker');
const { prng, hex32, nowS, inflightLists, int } = require('./helpers/chaos');

const redis = useRedis();
const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 2 ** 31));
const BAD_COUNT = Number(process.env.FUZZ_BAD ?? 2000);
const GOOD_COUNT = Number(process.env.FUZZ_GOOD ?? 300);

const sha = (buf) => createHash('sha256').update(buf).digest('hex');
const B = (s) => (Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));

/** Decode a JSON string literal at the byte level (bytes between the quotes kept as bytes). */
function jsonStringBytes(buf) {
  assert.equal(buf[0], 0x22, 'string starts with a quote');
  assert.equal(buf[buf.length - 1], 0x22, 'string ends with a quote');
  const out = [];
  const simple = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };
  for (let i = 1; i < buf.length - 1; i++) {
    const c = buf[i];
    if (c !== 0x5c) { out.push(c); continue; }
    const e = buf[++i];
    if (e in simple) { out.push(simple[e]); continue; }
    assert.equal(e, 0x75, `unknown escape \\${String.fromCharCode(e)}`);
    let code = parseInt(buf.subarray(i + 1, i + 5).toString('latin1'), 16);
    i += 4;
    if (code >= 0xd800 && code < 0xdc00 && buf[i + 1] === 0x5c && buf[i + 2] === 0x75) {
      const low = parseInt(buf.subarray(i + 3, i + 7).toString('latin1'), 16);
      if (low >= 0xdc00 && low < 0xe000) { code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00); i += 6; }
    }
    if (code < 0x80) out.push(code);
    else out.push(...Buffer.from(String.fromCodePoint(code), 'utf8'));
  }
  return Buffer.from(out);
}

/** The payload part of a failure record (bytes between `"payload":` and `,"exception":"`). */
function payloadSlice(rec) {
  const head = Buffer.from(',"payload":');
  const start = rec.indexOf(head);
  const end = rec.lastIndexOf(Buffer.from(',"exception":"'));
  assert.ok(start > 0 && end > start, `record has payload and exception: ${rec.subarray(0, 200)}`);
  return rec.subarray(start + head.length, end);
}

const deep = (n, inner = '') => '['.repeat(n) + inner + ']'.repeat(n);
const isUtf8 = (buf) => { try { new TextDecoder('utf-8', { fatal: true }).decode(buf); return true; } catch { return false; } };

/** A strict JSON object: UTF-8, parsed by JSON.parse, a plain (non-array) object. */
function strictObject(buf) {
  if (!isUtf8(buf)) return false;
  try {
    const v = JSON.parse(buf.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Nesting depth of a parsed JSON value (containers only: {} = 1, {"a":[1]} = 2). */
function depthOf(v) {
  let max = 0;
  const stack = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    if (d > max) max = d;
    for (const c of Array.isArray(x) ? x : Object.values(x)) stack.push([c, d + 1]);
  }
  return max;
}

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function hasLoneSurrogate(v) {
  const stack = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === 'string') { if (LONE.test(x)) return true; continue; }
    if (x === null || typeof x !== 'object') continue;
    for (const [k, c] of Object.entries(x)) { if (LONE.test(k)) return true; stack.push(c); }
  }
  return false;
}

/** PHP json_decode's default depth; the record adds one level around its payload. */
const PHP_DEPTH = 512;

/**
 * How a failure record should hold these payload bytes:
 *   'embedded' — a strict JSON object that every peer can read back inside the record: UTF-8,
 *                no unpaired surrogate escapes (PHP refuses them), record nesting ≤ 512 (PHP's
 *                json_decode default), i.e. payload nesting ≤ 511;
 *   'string'   — anything else: a JSON string of the exact bytes, so the record stays valid JSON;
 *   'either'   — not UTF-8: no JSON form can be valid, the bytes only have to survive.
 */
async function expectedForm(_r, buf) {
  if (!isUtf8(buf)) return 'either';
  if (!strictObject(buf)) return 'string';
  const v = JSON.parse(buf.toString('utf8'));
  return depthOf(v) + 1 <= PHP_DEPTH && !hasLoneSurrogate(v) ? 'embedded' : 'string';
}

/** Build the bad and good items. Each item: {bytes: Buffer, kind, good?, check?}. */
function generate(rnd, dir) {
  const file = path.join(dir, 'good.txt');
  const evil = path.join(dir, 'evil');
  const bad = [];
  const good = [];
  const addBad = (kind, raw) => bad.push({ kind, bytes: B(raw) });
  const t = Date.now() / 1000;
  const php = (cls, args, extra = {}) => JSON.stringify({ class: cls, args: [args], id: hex32(), prefix: '', queue_time: t, ...extra });

  // -- fixed cases --------------------------------------------------------------------------
  for (const s of ['{not json', '', ' ', 'null', 'true', 'false', '0', '-1.5e3', '"just a string"', '[]', '{}',
    '[{"class":"Noop","args":[]}]', '{"class":"Noop"', '{"class":"Noop",}', "{'class':'Noop'}", '{"class":Noop}',
    '{"class":"Noop","args":[]}}', '{"class":"Noop","args":[]} x', '\u0000', '{"class":"Noop","args":[undefined]}',
    '\ufeff{"class":"Noop","args":[]}']) {
    // (NaN, Infinity, hex numbers, raw control characters…: see the cjson-lenient test below)
    addBad('broken', s);
  }
  const wrongClass = [123, 1.5, -0, [], ['Noop'], {}, { name: 'Noop' }, null, true, false, ''];
  const wrongArgs = ['Noop', '', 42, 0, { a: 1 }, {}, true, false];
  const wrongId = [123, 0, 1.5, {}, [], true, '', 'x'.repeat(300), 'a\u0001b', 'tab\there'];
  const wrongPrefix = [{}, { a: 1 }, [], ['p'], 12, true];
  for (const v of wrongClass) { addBad('class-type', JSON.stringify({ class: v, args: [{}] })); addBad('class-type', JSON.stringify({ args: [{}], class: v, id: hex32() })); }
  addBad('class-missing', JSON.stringify({ args: [{}], id: hex32() }));
  for (const v of wrongArgs) addBad('args-type', JSON.stringify({ class: 'Noop', args: v, id: hex32(), prefix: '' }));
  for (const v of wrongId) addBad('id-type', JSON.stringify({ class: 'Noop', args: [{}], id: v, prefix: '' }));
  for (const v of wrongPrefix) addBad('prefix-type', JSON.stringify({ class: 'Noop', args: [{}], id: hex32(), prefix: v }));
  // deep nesting: not an object; an object too deep for cjson; a class that is a deep array
  addBad('deep', deep(5000));
  addBad('deep', `{"class":${deep(5000)},"args":[]}`);
  addBad('deep', `{"class":"Noop","args":"x","extra":${deep(5000, '1')}}`);
  addBad('deep', `{"class":"NoSuchDeep","args":[${deep(900, '"d"')}],"id":"${hex32()}"}`);
  // one 10 MB string argument (class unknown: it travels to the child and back)
  addBad('10mb', php('NoSuchBigJob', { blob: 'x'.repeat(10 * 1024 * 1024) }));
  // __proto__ / constructor / prototype
  for (const s of ['{"__proto__":{"class":"Noop"}}', '{"__proto__":{"class":"Noop","args":[]},"args":[]}',
    '{"constructor":{"prototype":{"class":"Noop"}}}', '{"prototype":{"class":"Noop"}}',
    '{"class":"__proto__","args":[]}', '{"class":"constructor","args":[]}', '{"class":"prototype","args":[]}',
    '{"class":"hasOwnProperty","args":[]}', '{"class":"toString","args":[]}', '{"class":"Object","args":[]}',
    '{"class":"__defineGetter__","args":[]}', '{"class":"valueOf","args":[{"__proto__":{"polluted":1}}]}',
    '{"class":{"__proto__":"Noop"},"args":[]}', '{"class":"Noop","args":{"__proto__":[]}}']) {
    addBad('proto', s);
  }
  // class names that try to leave the jobs folder
  const escapes = ['../evil', '..\\evil', '..\\..\\evil', '../../evil', './../evil', 'Sub/../../evil', 'Noop/../../evil',
    '..', '.', './Noop', 'Noop/.', '\\..\\evil', '::..::evil', '..::evil', `${evil}`, `${evil}.js`, '/etc/passwd',
    '/etc/passwd\u0000', 'C:\\evil', 'c:/evil', '\\\\server\\share\\evil', '//server/share/evil', 'file:///etc/passwd',
    `file://${evil}.js`, '%2e%2e/evil', '..%2fevil', '%2e%2e%2fevil', 'Noop\u0000', 'Noop\u0000../evil', '../evil\u0000',
    'Linked', 'Sub/Linked', 'Noop.js', 'Noop/', '/Noop', 'Noop//x', 'noop', 'NOOP', ' Noop', 'Noop ', 'Noop\n',
    'node:fs', 'fs', 'child_process', 'evil', '~/evil', '$HOME/evil', '../jobs/../evil', `..${path.sep}evil`,
    'x'.repeat(5000), 'ＮＯＯＰ', 'Noop\u202e', '\\\\?\\C:\\evil', 'App\\..\\..\\evil', 'App::..::..::evil'];
  for (const name of escapes) {
    addBad('escape', JSON.stringify({ class: name, args: [{}], id: hex32(), prefix: '' }));
    addBad('escape', JSON.stringify({ class: name, args: [] }));
  }
  // NUL bytes: raw (invalid JSON) and escaped (refused class name)
  addBad('nul', '{"class":"No\u0000op","args":[]}');
  addBad('nul', '{"class":"Noop\\u0000","args":[]}');
  // non-UTF-8 bytes
  const nonUtf8 = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];
  for (const seq of nonUtf8) {
    addBad('utf8', Buffer.concat([B('{"class":"Noop","args":[{"x":"'), Buffer.from(seq), B('"}]}')]));
    addBad('utf8', Buffer.concat([B('{"class":"No'), Buffer.from(seq), B('op","args":[]}')]));
    addBad('utf8', Buffer.from(seq));
  }
  // lone surrogate escapes: valid JSON for V8, refused by cjson; class is not a job either way
  addBad('surrogate', '{"class":"Noop\\ud800","args":[]}');
  addBad('surrogate', '{"class":"Noop","args":"\\udc00"}');

  // -- random cases up to BAD_COUNT -----------------------------------------------------------
  const anyValue = () => rnd.pick([
    () => rnd.int(-1e6, 1e6), () => rnd.next(), () => 'str' + rnd.int(0, 1e6), () => null, () => true, () => [],
    () => ({}), () => [rnd.int(0, 9), 'a'], () => ({ k: rnd.int(0, 9) }), () => '\u4f60\u597d/\\"', () => 9007199254740993n,
  ])();
  const encodeAny = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `__BIG${x}__` : x)).replace(/"__BIG(\d+)__"/g, '$1');
  const randomClass = () => rnd.pick(['NoSuch', 'Missing', 'App\\Jobs\\Nope', 'App::Nope', 'Nope/Deeper']) + rnd.int(0, 1e6);
  const generators = [
    // a good-looking payload, truncated (a strict prefix of a JSON object is never valid JSON)
    () => { const s = php(rnd.pick(['Noop', 'WritesFile']), { file, n: rnd.int(0, 1e6) }); addBad('truncated', s.slice(0, rnd.int(0, s.length - 1))); },
    // one field of the wrong type
    () => {
      const field = rnd.pick(['class', 'args', 'id', 'prefix']);
      const obj = { class: 'Noop', args: [{ n: rnd.int(0, 1e6) }], id: hex32(), prefix: '' };
      obj[field] = rnd.pick({ class: wrongClass, args: wrongArgs, id: wrongId, prefix: wrongPrefix }[field]);
      if (field !== 'id' && rnd.chance(0.3)) delete obj.id;
      if (field !== 'class' && rnd.chance(0.2)) { const { class: c, ...rest } = obj; addBad('type', JSON.stringify({ ...rest, class: c })); return; }
      addBad('type', JSON.stringify(obj));
    },
    // a JSON value that is not an object
    () => addBad('not-object', encodeAny(rnd.pick([anyValue(), [anyValue(), anyValue()], [{ class: 'Noop', args: [] }]]))),
    // an unknown class (valid payload; the child reports JobClassNotFoundError)
    () => addBad('unknown', php(randomClass(), { v: encodeAny(anyValue()) }, rnd.chance(0.5) ? {} : { extra: { a: [1, 2] } })),
    // a path-escaping name with random decoration
    () => addBad('escape', JSON.stringify({ class: rnd.pick(escapes) + (rnd.chance(0.5) ? '' : rnd.pick(['', '/x', '.js', '\\y'])), args: [{}] })),
    // invalid UTF-8 somewhere in an otherwise fine payload
    () => {
      const s = php('Noop', { s: 'abc' });
      const at = rnd.int(1, s.length - 1);
      addBad('utf8', Buffer.concat([B(s.slice(0, at)), Buffer.from(rnd.pick(nonUtf8)), B(s.slice(at))]));
    },
    // random bytes
    () => addBad('bytes', Buffer.from(Array.from({ length: rnd.int(1, 48) }, () => rnd.int(0, 255)))),
    // __proto__ games at the top level (never a class of its own)
    () => addBad('proto', `{"__proto__":{"class":"Noop","args":[]},"constructor":${encodeAny(anyValue())},"n":${rnd.int(0, 1e6)}}`),
    // nested but fine JSON, no class
    () => addBad('deep', `{"args":[${deep(rnd.int(1, 200), String(rnd.int(0, 9)))}],"n":${rnd.int(0, 1e6)}}`),
  ];
  while (bad.length < BAD_COUNT) rnd.pick(generators)();

  // -- good jobs -------------------------------------------------------------------------------
  let tags = 0;
  const goodWrite = () => {
    const flavor = rnd.pick(['php2', 'php2', 'php1', 'ruby', 'node']);
    if (flavor === 'php2' || flavor === 'php1') {
      const id = hex32();
      const extra = flavor === 'php1' ? {} : { prefix: '' };
      const raw = JSON.stringify({ class: 'WritesFile', args: [{ file, junk: encodeAny(anyValue()) }], id, ...extra, queue_time: t });
      good.push({ kind: 'write', bytes: B(raw), id, line: id, track: true });
    } else {
      const tag = `tag-${++tags}-${rnd.int(0, 1e6)}`;
      const raw = flavor === 'ruby'
        ? JSON.stringify({ class: 'WritesFile', args: [{ file, tag }] })
        : JSON.stringify({ class: 'WritesFile', queue: 'default', args: [{ file, tag }] });
      good.push({ kind: 'write', bytes: B(raw), line: tag });
    }
  };
  const tracked = (kind, cls, argsJson, check) => {
    const id = hex32();
    good.push({ kind, bytes: B(`{"class":"${cls}","args":[${argsJson}],"id":"${id}","prefix":"","queue_time":${t}}`), id, track: true, check });
  };
  const protoArgs = ['{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}',
    '{"__proto__":{"__proto__":{"polluted":1}}}', '{"a":{"__proto__":{"polluted":1,"class":"Evil"}}}',
    '[{"__proto__":{"polluted":1}}]', '{"prototype":{"polluted":1},"__proto__":null}'];
  for (const a of protoArgs) tracked('proto-args', 'Noop', a, (res) => assert.deepEqual(JSON.stringify(res), a.replace(/,"__proto__":null/, ',"__proto__":null')));
  tracked('deep-args', 'Noop', deep(1500, '7'));
  for (let i = 0; i < 10; i++) tracked('probe', 'ProtoProbe', '{}', (res) => assert.equal(res, true, 'Object.prototype clean'));
  while (good.length < GOOD_COUNT - 1) goodWrite();

  // interleave (Fisher–Yates with the seeded PRNG), then one last probe
  const all = [...bad.map((b) => ({ ...b, good: false })), ...good.map((g) => ({ ...g, good: true }))];
  for (let i = all.length - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  const lastId = hex32();
  const last = { kind: 'probe', good: true, track: true, id: lastId, bytes: B(`{"class":"ProtoProbe","args":[{}],"id":"${lastId}","prefix":"","queue_time":${t}}`), check: (res) => assert.equal(res, true) };
  all.push(last);
  good.push(last);
  return { all, bad, good, file };
}

test(`fuzz: ${BAD_COUNT} hostile payloads among ${GOOD_COUNT} good jobs — nothing lost, nothing loaded from outside (seed ${SEED})`, { timeout: 85000 }, async (t) => {
  t.diagnostic(`FUZZ_SEED=${SEED}`);
  console.log(`# fuzz seed: FUZZ_SEED=${SEED}`);
  const t0 = Date.now();
  const rnd = prng(SEED);
  const dir = tempDir('resque-fuzz-');
  const jobs = path.join(dir, 'jobs');
  fs.mkdirSync(path.join(jobs, 'Sub'), { recursive: true });
  for (const f of ['Noop.js', 'WritesFile.js', 'ProtoProbe.js']) fs.copyFileSync(path.join(JOBS, f), path.join(jobs, f));
  const marker = path.join(dir, 'MARKER');
  const evilSrc = `module.exports = (() => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); })();\n`;
  fs.writeFileSync(path.join(dir, 'evil.js'), evilSrc);
  fs.mkdirSync(path.join(dir, 'evil'));
  fs.writeFileSync(path.join(dir, 'evil', 'index.js'), evilSrc);
  fs.symlinkSync(path.join(dir, 'evil.js'), path.join(jobs, 'Linked.js'));
  fs.symlinkSync(path.join(dir, 'evil.js'), path.join(jobs, 'Sub', 'Linked.js'));

  const { all, bad, good, file } = generate(rnd, dir);
  fs.writeFileSync(file, '');
  const kinds = {};
  for (const b of bad) kinds[b.kind] = (kinds[b.kind] ?? 0) + 1;
  t.diagnostic(`bad by kind: ${JSON.stringify(kinds)}; good: ${good.length}`);

  const srv = await redis();
  const r = srv.client();
  t.after(() => r.disconnect());
  const ns = uniqueNamespace('fz');
  const queue = `${ns}:queue:default`;
  const pipe = r.pipeline();
  pipe.sadd(`${ns}:queues`, 'default');
  const now = nowS();
  for (const item of all) {
    if (item.track) pipe.set(`${ns}:job:${item.id}:status`, `{"status":1,"updated":${now},"started":${now},"result":null}`);
    pipe.rpush(queue, item.bytes);
  }
  await pipe.exec();
  assert.equal(await r.llen(queue), all.length, 'everything pushed');
  const pushedMs = Date.now() - t0;

  const w = startWorker({ srv, ns, jobs, args: ['--once'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  const exit = await w.waitExit({ timeoutMs: 70000 });
  t.diagnostic(`pushed ${all.length} in ${pushedMs} ms; drained in ${Date.now() - t0 - pushedMs} ms`);
  assert.deepEqual(exit, { code: 0, signal: null }, `worker exits 0 after --once\n${w.output.slice(-3000)}`);
  assert.doesNotMatch(w.stderr, /Unhandled|UnhandledPromiseRejection|FATAL|heap out of memory/);

  // nothing left anywhere
  assert.equal(await r.llen(queue), 0, 'queue drained');
  assert.deepEqual(await inflightLists(r, ns), [], 'no in-flight list');
  assert.equal(await r.scard(`${ns}:workers`), 0, 'worker unregistered');

  // counts
  const records = await r.lrangeBuffer(`${ns}:failed`, 0, -1);
  const counts = { records: records.length, statFailed: await int(r, `${ns}:stat:failed`), statProcessed: await int(r, `${ns}:stat:processed`) };

  // every bad payload's bytes are in exactly one record (multiset comparison by sha256)
  const expected = new Map();
  for (const b of bad) {
    const key = sha(b.bytes);
    const entry = expected.get(key) ?? { count: 0, bytes: b.bytes, kind: b.kind, form: await expectedForm(r, b.bytes) };
    entry.count++;
    expected.set(key, entry);
  }
  const problems = [];
  const workerIds = new Set();
  for (const rec of records) {
    const slice = payloadSlice(rec);
    const asString = slice[0] === 0x22;
    const bytes = asString ? jsonStringBytes(slice) : slice;
    const key = sha(bytes);
    const entry = expected.get(key);
    if (!entry || entry.count === 0) {
      problems.push(`record with unexpected payload (${asString ? 'string' : 'embedded'}): ${bytes.subarray(0, 120).toString('latin1')}`);
      continue;
    }
    entry.count--;
    if (entry.form !== 'either' && entry.form !== (asString ? 'string' : 'embedded')) {
      problems.push(`${entry.kind} payload ${entry.bytes.subarray(0, 80).toString('latin1')} recorded ${asString ? 'as a string' : 'embedded'}; expected ${entry.form}`);
    }
    if (isUtf8(rec)) {
      let parsed;
      try { parsed = JSON.parse(rec.toString('utf8')); } catch (e) { problems.push(`record is not valid JSON (${e.message}): ${rec.subarray(0, 120)}`); continue; }
      if (typeof parsed.exception !== 'string' || parsed.exception === '' || typeof parsed.error !== 'string' || parsed.error === '') {
        problems.push(`record without exception/error: ${rec.subarray(0, 200)}`);
      }
      // The worker is the job process (its pid, not the started process's); one for the whole drain.
      workerIds.add(parsed.worker);
      if (parsed.queue !== 'default' || !new RegExp(`^${HOST.replace(/\./g, '\\.')}:\\d+:default$`).test(parsed.worker) || parsed.worker === `${HOST}:${w.pid}:default`) {
        problems.push(`record queue/worker wrong: ${parsed.queue} ${parsed.worker}`);
      }
    }
  }
  if (workerIds.size > 1) problems.push(`records name ${workerIds.size} workers: ${[...workerIds]}`);
  for (const e of expected.values()) if (e.count !== 0) problems.push(`${e.count} ${e.kind} payload(s) without a record: ${e.bytes.subarray(0, 80).toString('latin1')}`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problem(s) with failure records`);
  assert.deepEqual(counts, { records: bad.length, statFailed: bad.length, statProcessed: all.length },
    'one failure record and one stat:failed per bad payload; stat:processed counts everything');

  // every good job completed exactly once
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const seen = new Map();
  for (const l of lines) seen.set(l, (seen.get(l) ?? 0) + 1);
  const writes = good.filter((g) => g.kind === 'write');
  assert.equal(lines.length, writes.length, 'one line per WritesFile job');
  for (const g of writes) assert.equal(seen.get(g.line), 1, `job ${g.line} wrote exactly once`);
  const trackedGood = good.filter((g) => g.track);
  const packets = await r.mget(trackedGood.map((g) => `${ns}:job:${g.id}:status`));
  trackedGood.forEach((g, i) => {
    const p = packets[i] && JSON.parse(packets[i]);
    assert.equal(p && p.status, 4, `good ${g.kind} job ${g.id} completed: ${packets[i] && packets[i].slice(0, 200)}`);
    if (g.check) g.check(p.result);
  });

  // nothing outside the jobs folder was ever loaded
  assert.equal(fs.existsSync(marker), false, `${marker} must not exist: a module outside the jobs folder was loaded`);
  assert.equal(Object.prototype.polluted, undefined);
  // the sentinel works: loading it (through the symlink inside the jobs folder) does write MARKER
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(path.join(jobs, 'Linked.js'))})`]);
  assert.equal(fs.existsSync(marker), true, 'sentinel self-check: requiring evil.js writes MARKER');
  t.diagnostic(`total ${Date.now() - t0} ms`);
});

// JSON that Redis' cjson accepts but JSON does not (NaN, Infinity, hex and signed numbers, leading
// zeros, raw control characters, bytes after a NUL). The worker rejects these payloads (strict
// JSON.parse), but finish.ts / recover.ts decide "embed as an object" with cjson.decode, so the
// bytes are pasted into the record unquoted and the failure record itself is not valid JSON:
// php-resque, Ruby Resque and Resque.listFailures can no longer read it.
const LENIENT = [
  '{"class":"Noop","args":[NaN]}', '{"class":"Noop","args":[Infinity]}', '{"class":"Noop","args":[-inf]}',
  '{"class":"Noop","args":[0x1F]}', '{"class":"Noop","args":[+1]}', '{"class":"Noop","args":[01]}',
  '{"class":"Noop","args":[1.]}', '{"class":"Noop","args":["a\tb"]}', '{"class":"Noop","args":["\u0001"]}',
  '{"class":"Noop","args":[]}\u0000trailing',
];

test('payloads only cjson accepts (NaN, hex, raw control chars, …) still give valid-JSON failure records (worker and recovery)', async (t) => {
  const srv = await redis();
  const r = srv.client();
  t.after(() => r.disconnect());
  const ns = uniqueNamespace('fzl');
  // 1. through a worker
  await r.sadd(`${ns}:queues`, 'default');
  for (const s of LENIENT) await r.rpush(`${ns}:queue:default`, s);
  // 2. through recovery: the same bytes left in flight by a dead worker on another host
  const deadId = 'otherhost:77:default';
  await r.sadd(`${ns}:workers`, deadId);
  await r.hset(`${ns}:workers:heartbeat`, deadId, new Date(Date.now() - 3600e3).toISOString().replace(/\.\d{3}Z$/, '+00:00'));
  for (const s of LENIENT) await r.rpush(`${ns}:worker:${deadId}:inflight:default`, s);

  const w = startWorker({ srv, ns, args: ['--once'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
  const records = await r.lrangeBuffer(`${ns}:failed`, 0, -1);
  assert.equal(records.length, 2 * LENIENT.length, 'every payload failed once in each path');
  const problems = [];
  for (const rec of records) {
    const bytes = payloadSlice(rec);
    let parsed;
    try {
      parsed = JSON.parse(rec.toString('utf8'));
    } catch (e) {
      problems.push(`not valid JSON (${e.message.slice(0, 60)}): …"payload":${bytes.toString('latin1')},"exception":…`);
      continue;
    }
    if (typeof parsed.payload !== 'string' || !LENIENT.includes(parsed.payload)) {
      problems.push(`payload not kept as a JSON string of its bytes: ${JSON.stringify(parsed.payload)}`);
    }
  }
  assert.deepEqual(problems, [], `${problems.length} of ${records.length} failure records unreadable`);
});

test('a payload that is a JSON array (not an object) is recorded as a JSON string of its bytes, as finish.ts documents', async (t) => {
  const srv = await redis();
  const r = srv.client();
  t.after(() => r.disconnect());
  const ns = uniqueNamespace('fza');
  const arrays = ['[]', '[{"class":"Noop","args":[]}]', '[1,"two",null]'];
  await r.sadd(`${ns}:queues`, 'default');
  for (const s of arrays) await r.rpush(`${ns}:queue:default`, s);
  const w = startWorker({ srv, ns, args: ['--once'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
  const payloads = (await r.lrange(`${ns}:failed`, 0, -1)).map((rec) => JSON.parse(rec).payload);
  assert.deepEqual(payloads, arrays, 'each record holds the payload as a string (like "just a string" and broken JSON)');
});

// Valid php-resque payloads whose STRINGS happen to contain what a text heuristic could mistake
// for non-JSON numbers (":00" in a time, ":info" in a mailto:, ": +1" in a phone number,
// ",nan"), a DEL character, or JSON whitespace (a pretty-printed payload). They are JSON objects:
// the failure record must embed them (payload.class readable by php-resque / Ruby tools) and a
// tracked one must be marked RUNNING (2) while it runs.
const LOOKALIKES = [
  { at: '2026-11-21T08:58:29+00:00' }, { time: '12:05' }, { to: 'mailto:info@example.com' },
  { note: 'Call us: +1 555 0100' }, { list: 'a,nan,b' }, { s: 'x:Infinity' }, { del: 'a\u007fb' },
];

test('valid JSON objects whose strings look like NaN / hex / +1 / leading zeros are still embedded as objects', async (t) => {
  const srv = await redis();
  const r = srv.client();
  t.after(() => r.disconnect());
  const ns = uniqueNamespace('fzk');
  const raws = LOOKALIKES.map((a) => JSON.stringify({ class: 'NoSuchLookalike', args: [a], id: hex32(), prefix: '' }));
  raws.push('{\n  "class": "NoSuchPretty",\n  "args": [{}]\n}');
  await r.sadd(`${ns}:queues`, 'default');
  for (const s of raws) await r.rpush(`${ns}:queue:default`, s);
  const w = startWorker({ srv, ns, args: ['--once'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
  const recs = (await r.lrange(`${ns}:failed`, 0, -1));
  assert.equal(recs.length, raws.length);
  const asStrings = recs.map((rec) => JSON.parse(rec).payload).filter((p) => typeof p === 'string');
  assert.deepEqual(asStrings, [], 'JSON-object payloads must be embedded as objects, not as strings');
});

test('a tracked job whose args hold a time string ("12:05") is RUNNING (status 2, job:ID:pid) while it runs', async (t) => {
  const srv = await redis();
  const r = srv.client();
  t.after(() => r.disconnect());
  const ns = uniqueNamespace('fzt');
  const w = startWorker({ srv, ns });
  t.after(() => w.stop({ graceMs: 3000 }));
  const id = hex32();
  const t0 = nowS();
  await r.set(`${ns}:job:${id}:status`, `{"status":1,"updated":${t0},"started":${t0},"result":null}`);
  await r.sadd(`${ns}:queues`, 'default');
  await r.rpush(`${ns}:queue:default`, JSON.stringify({ class: 'Slow', args: [{ ms: 3000, at: '12:05' }], id, prefix: '' }));
  const working = await waitFor(async () => r.get(`${ns}:worker:${w.id}`), { what: 'working on it' });
  assert.equal(typeof JSON.parse(working).payload, 'object', `worker:WID payload is the job object: ${working}`);
  assert.equal(JSON.parse(await r.get(`${ns}:job:${id}:status`)).status, 2, 'status RUNNING while it runs');
});

test('depth boundary: a payload nested 511 deep is embedded, 512 deep is kept as a string (the record must stay ≤ 512 for PHP json_decode)', async (t) => {
  const srv = await redis();
  const r = srv.client();
  t.after(() => r.disconnect());
  const ns = uniqueNamespace('fzd');
  // {"class":…,"args":[ …nested arrays… ]}: object (1) + args array (2) + n-2 more arrays = depth n
  const at = (n) => `{"class":"NoSuchDepth${n}","args":${deep(n - 1, '0')}}`;
  const payloads = [at(510), at(511), at(512), at(513)];
  for (const p of payloads) assert.equal(depthOf(JSON.parse(p)), Number(/Depth(\d+)/.exec(p)[1]));
  await r.sadd(`${ns}:queues`, 'default');
  for (const p of payloads) await r.rpush(`${ns}:queue:default`, p);
  const w = startWorker({ srv, ns, args: ['--once'] });
  t.after(() => w.stop({ graceMs: 2000 }));
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null });
  const forms = (await r.lrange(`${ns}:failed`, 0, -1)).map((rec) => {
    const parsed = JSON.parse(rec);
    const n = typeof parsed.payload === 'string' ? /Depth(\d+)/.exec(parsed.payload)[1] : parsed.payload.class.slice(11);
    return `${n}:${typeof parsed.payload === 'string' ? 'string' : 'embedded'}, record depth ${depthOf(parsed) <= PHP_DEPTH ? '≤' : '>'} 512`;
  });
  assert.deepEqual(forms, ['510:embedded, record depth ≤ 512', '511:embedded, record depth ≤ 512', '512:string, record depth ≤ 512', '513:string, record depth ≤ 512'],
    'a record PHP json_decode (depth 512) can read: payloads deeper than 511 are kept as strings');
});
