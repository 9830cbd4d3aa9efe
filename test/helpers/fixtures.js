'use strict';
// Access to test/fixtures/peers (captured by running the real php-resque, Ruby Resque, node-resque;
// see its README). RESQUE_FIXTURES names another folder of captures in the same format.
const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');

const FIXTURES = process.env.RESQUE_FIXTURES || path.resolve(__dirname, '..', 'fixtures', 'peers');

function loadFixture(name) {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name.endsWith('.json') ? name : `${name}.json`), 'utf8'));
}

/** The key entry named `key` in a fixture, or undefined. */
function fixtureKey(fixture, key) {
  return fixture.keys.find((k) => k.key === key);
}

/** Entries whose key matches a RegExp. */
function fixtureKeys(fixture, re) {
  return fixture.keys.filter((k) => re.test(k.key));
}

/**
 * The $RICH argument object of the fixtures (fixtures/README.md), as JS values: big_int as BigInt.
 * `assoc` mimics enqueue.php --assoc (a PHP array: the nested empty map becomes `[]`).
 */
function richArgs({ assoc = false, ...overrides } = {}) {
  return {
    to: 'user@example.com',
    subject: '你好，世界',
    body: 'Ünïcødé ✓ "quoted" back\\slash / slash <tag> &amp;',
    emoji: '😀',
    amount: 12.5,
    ratio: 0.1,
    whole_float: 1.0,
    exp: 1.5e-7,
    big_int: 9007199254740993n,
    neg: -3,
    nested: { a: { b: [1, 2, { c: null }] } },
    empty_list: [],
    empty_map: assoc ? [] : {},
    nothing: null,
    yes: true,
    no: false,
    ...overrides,
  };
}

/** Write every key of a capture under `ns:` instead of `resque:`, by its type. */
async function loadInto(r, ns, fixture) {
  for (const k of fixture.keys) {
    assert.ok(k.key.startsWith('resque:'), k.key);
    const key = `${ns}:${k.key.slice('resque:'.length)}`;
    if (k.type === 'string') await r.set(key, k.value);
    else if (k.type === 'list') await r.rpush(key, ...k.value);
    else if (k.type === 'set') await r.sadd(key, ...k.value);
    else if (k.type === 'hash') await r.hset(key, k.value);
    else if (k.type === 'zset') for (const [member, score] of k.value) await r.zadd(key, score, member);
    else throw new Error(`${fixture.label}: unknown key type ${k.type}`);
  }
}

/**
 * Load captures as live peers on another host: `vm:` (the capture machine, which is also this
 * one's name here) becomes `peerhost:`, and their heartbeats (Ruby's hash, node-resque's ping)
 * are made fresh, so our workers' pruning leaves them be.
 */
async function loadLivePeers(r, ns, names) {
  for (const name of names) await loadInto(r, ns, JSON.parse(JSON.stringify(loadFixture(name)).replaceAll('vm:', 'peerhost:')));
  const beats = await r.hgetall(`${ns}:workers:heartbeat`);
  for (const id of Object.keys(beats)) await r.hset(`${ns}:workers:heartbeat`, id, new Date().toISOString());
  for (const ping of await r.keys(`${ns}:worker:ping:*`)) await r.set(ping, JSON.stringify({ ...JSON.parse(await r.get(ping)), time: Math.floor(Date.now() / 1000) }));
}

module.exports = { FIXTURES, loadFixture, fixtureKey, fixtureKeys, richArgs, loadInto, loadLivePeers };
