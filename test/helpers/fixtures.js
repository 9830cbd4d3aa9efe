'use strict';
// Access to ../shared/fixtures (captured by running the real php-resque, Ruby Resque, node-resque).
const fs = require('node:fs');
const path = require('node:path');

const FIXTURES = process.env.RESQUE_FIXTURES || path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures');

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

module.exports = { FIXTURES, loadFixture, fixtureKey, fixtureKeys };
