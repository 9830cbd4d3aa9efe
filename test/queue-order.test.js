'use strict';
// src/worker/queue-order.ts (queue resolution, PHP sort) and src/worker/proctitle.ts (process titles).
const test = require('node:test');
const assert = require('node:assert/strict');
const { resolveQueues, hasWildcard, phpSort, phpCompare } = require('../dist/loop/queue-order');
const title = require('../dist/proctitle');

test('php sort: observed order of queues b a 10 9 B _x (WIRE.md §4.3)', () => {
  assert.deepEqual(phpSort(['b', 'a', '10', '9', 'B', '_x']), ['9', '10', 'B', '_x', 'a', 'b']);
});

test('phpSort returns a copy', () => {
  const input = Object.freeze(['b', 'a']);
  assert.deepEqual(phpSort(input), ['a', 'b']);
  assert.deepEqual(input, ['b', 'a']);
});

test('numeric strings compare as numbers when both are numeric', () => {
  const lt = (a, b) => {
    assert.equal(phpCompare(a, b), -1, `${JSON.stringify(a)} < ${JSON.stringify(b)}`);
    assert.equal(phpCompare(b, a), 1, `${JSON.stringify(b)} > ${JSON.stringify(a)}`);
  };
  const eq = (a, b) => assert.equal(phpCompare(a, b), 0, `${JSON.stringify(a)} == ${JSON.stringify(b)}`);
  lt('9', '10');
  lt('2', '1e3');
  lt('1e3', '1001');
  lt('-5', '3');
  lt('0.5', '1');
  lt('.5', '0.75');
  lt('5.', '6');
  lt(' 5', '10');
  lt('5 ', '10');
  lt('\t\n5\r\v\f', '10');
  lt('+1', '2');
  eq('1e3', '1000');
  eq('01', '1');
  eq(' 1', '1');
  eq('1.0', '1');
  eq('-0', '0');
});

test('otherwise strcmp on UTF-8 bytes', () => {
  const lt = (a, b) => {
    assert.equal(phpCompare(a, b), -1, `${a} < ${b}`);
    assert.equal(phpCompare(b, a), 1, `${b} > ${a}`);
  };
  lt('10', '9a'); // "9a" is not numeric
  lt('10', 'a');
  lt('B', '_x');
  lt('_x', 'a');
  lt('a', 'ab'); // a prefix sorts first
  lt('1 2', '12'); // inner whitespace: not numeric
  lt('0x1A', '1'); // hex is not numeric in PHP 7+
  lt('1e', '2'); // incomplete exponent: not numeric
  lt('z', 'é'); // U+00E9 is 0xC3 0xA9 in UTF-8
  lt('\uFFFF', '😀'); // UTF-8 bytes, not UTF-16 code units (JS sort would say the opposite)
  assert.equal(phpCompare('same', 'same'), 0);
});

test('64-bit integer edges (PHP long vs double overflow)', () => {
  // Fit in a long: exact comparison, no rounding.
  assert.equal(phpCompare('9223372036854775806', '9223372036854775807'), -1);
  assert.equal(phpCompare('-9223372036854775808', '-9223372036854775807'), -1);
  // A long against an overflowed integer string: the overflow side decides.
  assert.equal(phpCompare('9223372036854775807', '9223372036854775808'), -1);
  assert.equal(phpCompare('9223372036854775808', '9223372036854775807'), 1);
  assert.equal(phpCompare('-9223372036854775809', '-9223372036854775808'), -1);
  // Two overflowed integers equal as doubles: PHP falls back to strcmp.
  assert.equal(phpCompare('92233720368547758080', '92233720368547758081'), -1);
  assert.equal(phpCompare('92233720368547758081', '92233720368547758080'), 1);
  // Overflowed integer vs a double: numeric.
  assert.equal(phpCompare('1e30', '92233720368547758080'), 1);
  // Infinite doubles of the same sign: strcmp.
  assert.equal(phpCompare('1e999', '2e999'), -1);
  assert.equal(phpCompare('-1e999', '1'), -1);
});

test('sort is stable for numerically equal names', () => {
  assert.deepEqual(phpSort(['b', '01', '1', ' 1', '0']), ['0', '01', '1', ' 1', 'b']);
});

test('hasWildcard: * anywhere', () => {
  assert.equal(hasWildcard(['*']), true);
  assert.equal(hasWildcard(['a', '*', 'b']), true);
  assert.equal(hasWildcard(['a', 'b*']), false);
  assert.equal(hasWildcard([]), false);
});

test('resolveQueues: * anywhere → every known queue in PHP order, other entries ignored', () => {
  const known = ['b', 'a', '10', '9', 'B', '_x'];
  assert.deepEqual(resolveQueues(['*'], known), ['9', '10', 'B', '_x', 'a', 'b']);
  assert.deepEqual(resolveQueues(['high', '*'], known), ['9', '10', 'B', '_x', 'a', 'b']);
  assert.deepEqual(resolveQueues(['*'], []), []);
  assert.deepEqual(resolveQueues(['*'], ['a', 'a']), ['a']);
});

test('resolveQueues: no wildcard → the configured list, duplicates removed, order kept', () => {
  assert.deepEqual(resolveQueues(['high', 'low', 'high', 'mid'], ['other']), ['high', 'low', 'mid']);
  assert.deepEqual(resolveQueues(['b', 'a', '10', '9'], []), ['b', 'a', '10', '9']);
  const configured = Object.freeze(['x']);
  assert.notEqual(resolveQueues(configured, []), configured);
});

test('proctitle: Ruby-shaped titles that survive Ruby and php-resque pruning', () => {
  const since = new Date(1795252071 * 1000 + 999);
  const cases = [
    [title.procTitle('1.0.0', title.waitingFor(['default'])), 'resque-1.0.0: Waiting for default'],
    [title.procTitle('1.0.0', title.waitingFor(['a', 'b', '*'])), 'resque-1.0.0: Waiting for a,b,*'],
    [title.processing('default', since, 'App\\Jobs\\SendEmail'), 'Processing default since 1795252071 [App\\Jobs\\SendEmail]'],
    [title.paused(), 'Paused'],
    [title.forked(4242, since), 'Forked 4242 at 1795252071'],
    [title.starting(), 'Starting'],
    [title.shuttingDown(), 'Shutting down'],
    [title.supervisorTitle('1.0.0', 4, ['default']), 'resque-1.0.0: Supervising 4 workers for default'],
    [title.supervisorTitle('1.0.0', 1, ['a', 'b']), 'resque-1.0.0: Supervising 1 worker for a,b'],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
  const t = title.procTitle('1.0.0', title.paused());
  assert.match(t, /resque-\d/); // Ruby's prune pattern
  assert.match(t, /[r]esque/); // php-resque's grep
  assert.match(title.forked(1), /^Forked 1 at \d+$/);
});
