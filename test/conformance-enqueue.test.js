'use strict';
// Conformance: the same enqueue calls that produced the php-resque fixtures, made through our
// Resque, leave the same Redis state — same keys, types, TTLs, payload bytes and status packets —
// once the run-to-run values (ids, queue_time, status times) are substituted (fixtures/README.md).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Resque } = require('../dist');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { loadFixture, richArgs: rich } = require('./helpers/fixtures');

const redis = useRedis();


/** Dump every key of a namespace (SCAN, never KEYS) in the fixture shape, renamed to `resque:`. */
async function dump(r, ns) {
  const names = [];
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
    names.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  const out = [];
  for (const name of [...new Set(names)].sort()) {
    const type = await r.type(name);
    const ttl = await r.ttl(name);
    let value;
    if (type === 'string') value = await r.get(name);
    else if (type === 'list') value = await r.lrange(name, 0, -1);
    else if (type === 'set') value = (await r.smembers(name)).sort();
    else if (type === 'zset') value = await r.zrange(name, 0, -1, 'WITHSCORES');
    else if (type === 'hash') value = await r.hgetall(name);
    out.push({ key: `resque:${name.slice(ns.length + 1)}`, type, ttl, value });
  }
  return out;
}

const ID_RE = /"id":"([0-9a-f]{32})"/;
const QT_RE = /"queue_time":(\d+(?:\.\d+)?)\}$/;
const TIMES_RE = /"updated":(\d+),"started":(\d+)/;

/** Our payload with the fixture payload's id and queue_time substituted in. */
function withFixtureVolatiles(ours, theirs) {
  const id = ID_RE.exec(theirs);
  const qt = QT_RE.exec(theirs);
  assert.ok(id && qt, `fixture payload has id and queue_time: ${theirs.slice(0, 60)}`);
  assert.match(ours, ID_RE, 'our payload has a 32-hex id');
  assert.match(ours, QT_RE, 'our payload ends with a numeric queue_time');
  return ours.replace(ID_RE, `"id":"${id[1]}"`).replace(QT_RE, `"queue_time":${qt[1]}}`);
}

/**
 * Compare a dump with a fixture field by field. `ids` maps our job ids to the fixture's (for key
 * names). `adapt(raw)` may transform our payload before comparison (e.g. to the 1.x shape).
 */
function compareWithFixture(ours, fixture, ids, { adaptPayload = (s) => s, adaptStatus = (s) => s, skipKeys = [] } = {}) {
  const rename = (key) => key.replace(/job:(?:([^:]*)_)?([0-9a-f]{32}):status$/, (m, prefix, id) => {
    assert.ok(ids.has(id), `status key ${key} belongs to a job we enqueued`);
    return `job:${prefix ? `${prefix}_` : ''}${ids.get(id)}:status`;
  });
  const oursByKey = new Map(ours.map((k) => [rename(k.key), k]));
  const theirs = fixture.keys.filter((k) => !skipKeys.includes(k.key));
  assert.deepEqual([...oursByKey.keys()].sort(), theirs.map((k) => k.key).sort(), 'same key names');

  for (const want of theirs) {
    const got = oursByKey.get(want.key);
    assert.equal(got.type, want.type, `${want.key}: type`);
    assert.equal(got.ttl, want.ttl, `${want.key}: ttl`);
    if (want.type === 'list') {
      assert.equal(got.value.length, want.value.length, `${want.key}: length`);
      want.value.forEach((theirRaw, i) => {
        assert.equal(adaptPayload(withFixtureVolatiles(got.value[i], theirRaw)), theirRaw, `${want.key}[${i}] bytes`);
      });
    } else if (want.type === 'string' && /:status$/.test(want.key)) {
      const t = TIMES_RE.exec(want.value);
      const g = TIMES_RE.exec(got.value);
      assert.ok(t && g, `${want.key}: both packets have updated/started`);
      assert.equal(g[1], g[2], 'our updated == started at creation');
      assert.ok(Math.abs(Number(g[1]) - Date.now() / 1000) < 5, 'our status time is now');
      const normalised = got.value.replace(TIMES_RE, `"updated":${t[1]},"started":${t[2]}`);
      assert.equal(adaptStatus(normalised), want.value, `${want.key}: packet`);
    } else {
      assert.deepEqual(got.value, want.value, `${want.key}: value`);
    }
  }
}

/** Map our ids (in queue order) to the fixture's (in the same order). */
function idMap(ours, fixture) {
  const map = new Map();
  for (const want of fixture.keys.filter((k) => k.type === 'list')) {
    const got = ours.find((k) => k.key === want.key);
    assert.ok(got, `we wrote ${want.key}`);
    want.value.forEach((raw, i) => map.set(ID_RE.exec(got.value[i])[1], ID_RE.exec(raw)[1]));
  }
  return map;
}

async function scenario(calls) {
  const srv = await redis();
  const ns = uniqueNamespace('conf');
  const resque = new Resque({ redis: srv.url, namespace: ns });
  const r = srv.client();
  try {
    for (const c of calls) {
      const id = await resque.enqueue(...c);
      assert.match(id, /^[0-9a-f]{32}$/);
    }
    return await dump(r, ns);
  } finally {
    await resque.close();
    r.disconnect();
  }
}

test('php-enqueue.json: four enqueues leave the same keys, types, TTLs and payload bytes', async () => {
  const fixture = loadFixture('php-enqueue');
  const ours = await scenario([
    ['default', 'App\\Jobs\\SendEmail', rich()],
    ['default', '\\App\\Jobs\\SendEmail', rich({ assoc: true })],
    ['default', 'NoopJob', null],
    ['high', 'NoopJob', [1, 'two', 3.5]],
  ]);
  compareWithFixture(ours, fixture, idMap(ours, fixture));
});

test('php-enqueue-with-status.json: tracked jobs (one with prefix myapp) match keys, payloads and packets', async () => {
  const fixture = loadFixture('php-enqueue-with-status');
  const ours = await scenario([
    ['default', 'App\\Jobs\\SendEmail', rich(), true],
    ['default', 'NoopJob', { a: 1 }, true, 'myapp'],
  ]);
  // The prefixed one is job:myapp_ID:status, the other job:ID:status.
  assert.ok(ours.some((k) => /^resque:job:myapp_[0-9a-f]{32}:status$/.test(k.key)));
  compareWithFixture(ours, fixture, idMap(ours, fixture));
});

test('php1-enqueue-with-status.json: same keys/types/TTLs; the 1.x fields have the same values', async () => {
  // We deliberately write php-resque 2.x: the payload carries "prefix":"" (1.x has no prefix
  // field) and the status packet carries "result":null (1.x has no result). Both 1.x and 2.x
  // workers read either shape. So: drop exactly those two 2.x additions and the bytes must be
  // the 1.x bytes.
  const fixture = loadFixture('php1-enqueue-with-status');
  const ours = await scenario([
    ['default', 'App\\Jobs\\SendEmail', rich(), true],
    ['default', 'NoopJob', null],
  ]);
  for (const k of ours.filter((x) => x.type === 'list')) {
    for (const raw of k.value) assert.ok(raw.includes(',"prefix":"",'), '2.x payload has prefix');
  }
  compareWithFixture(ours, fixture, idMap(ours, fixture), {
    adaptPayload: (s) => s.replace(',"prefix":"",', ','),
    adaptStatus: (s) => s.replace(/,"result":null\}$/, '}'),
  });
});
