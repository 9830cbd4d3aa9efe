'use strict';
// Queue introspection and removal with php-resque semantics (Resque::size, queues, items,
// dequeue, removeQueue). dequeue must never touch or re-encode an item it does not remove.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useRedis, clientSetup } = require('./helpers/redis');
const { loadFixture, fixtureKey } = require('./helpers/fixtures');

const redis = useRedis();

const setup = () => clientSetup(redis);

const fx = (name, key) => fixtureKey(loadFixture(name), key).value;
const PHP_DEFAULT = fx('php-enqueue', 'resque:queue:default'); // SendEmail $RICH, \SendEmail --assoc, NoopJob null
const PHP_HIGH = fx('php-enqueue', 'resque:queue:high'); // NoopJob [1,"two",3.5]
const RUBY_DEFAULT = fx('ruby-enqueue', 'resque:queue:default'); // App::Jobs::SendEmail, NoopJob []
const RUBY_HIGH = fx('ruby-enqueue', 'resque:queue:high'); // NoopJob [{"php_style":true}]
const NODE_DEFAULT = fx('node-resque-enqueue', 'resque:queue:default'); // SendEmail, NoopJob []
const NODE_HIGH = fx('node-resque-enqueue', 'resque:queue:high'); // NoopJob [{"not":"an array"}]
// Ruby- and node-resque-shaped items whose first argument is {"a":1}, as those producers write them.
const RUBY_A1 = '{"class":"NoopJob","args":[{"a":1},"second"]}';
const NODE_A1 = '{"class":"NoopJob","queue":"mixed","args":[{"a":1},2,"x"]}';
const PHP1_A1 = '{"class":"NoopJob","args":[{"a":1}],"id":"d2019aad4a761d4e67a8bfee8500c331","queue_time":1795252091.272814}';

/**
 * Fill queue "mixed" with foreign raw payloads, two of our own NoopJobs and malformed items.
 * Returns the items in order, tagged, with our ids.
 */
async function fillMixed(t) {
  const items = [];
  const raw = async (tag, value) => {
    await t.r.rpush(t.key('queue:mixed'), value);
    items.push({ tag, raw: value });
  };
  const ours = async (tag, cls, args) => {
    const id = await t.resque.enqueue('mixed', cls, args);
    const list = await t.r.lrange(t.key('queue:mixed'), -1, -1);
    items.push({ tag, raw: list[0], id });
    return id;
  };
  await raw('php-sendemail', PHP_DEFAULT[0]);
  await ours('ours-noop-a1', 'NoopJob', { a: 1 });
  await raw('ruby-noop-empty', RUBY_DEFAULT[1]);
  await raw('node-noop-empty', NODE_DEFAULT[1]);
  await raw('malformed', '{not json');
  await raw('php-noop-null', PHP_DEFAULT[2]);
  await raw('ruby-noop-php-style', RUBY_HIGH[0]);
  await ours('ours-noop-a2', 'NoopJob', { a: 2 });
  await raw('node-noop-not-array', NODE_HIGH[0]);
  await raw('php-noop-list', PHP_HIGH[0]);
  await raw('string', '"just a string"');
  await ours('ours-other-a1', 'Other', { a: 1 });
  await raw('ruby-noop-a1', RUBY_A1);
  await raw('node-noop-a1', NODE_A1);
  await raw('php1-noop-a1', PHP1_A1);
  await raw('ruby-sendemail', RUBY_DEFAULT[0]);
  await raw('node-sendemail', NODE_DEFAULT[0]);
  await raw('php-sendemail-assoc', PHP_DEFAULT[1]);
  const stored = await t.r.lrange(t.key('queue:mixed'), 0, -1);
  assert.deepEqual(stored, items.map((i) => i.raw), 'queue holds exactly the items pushed');
  return items;
}

/** Remove by filter, then check the count and that the rest is byte-identical, in order. */
async function expectRemoval(t, items, filters, removedTags) {
  const n = await t.resque.dequeue('mixed', filters);
  const expectedRest = items.filter((i) => !removedTags.includes(i.tag)).map((i) => i.raw);
  const rest = await t.r.lrange(t.key('queue:mixed'), 0, -1);
  assert.deepEqual(rest, expectedRest, 'the remaining items are untouched and in their original order');
  assert.equal(n, removedTags.length, 'dequeue resolves the number removed');
  assert.equal(await t.r.sismember(t.key('queues'), 'mixed'), 1);
}

test('size, queues (sorted), peek', async () => {
  const t = await setup();
  try {
    assert.equal(await t.resque.size('default'), 0);
    assert.deepEqual(await t.resque.queues(), []);
    for (const q of ['b', 'a', '10', '9', 'B', '_x']) await t.resque.enqueue(q, 'NoopJob');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await t.resque.enqueue('default', 'NoopJob', { i }));
    assert.equal(await t.resque.size('default'), 5);
    assert.equal(await t.resque.size('b'), 1);
    assert.deepEqual(await t.resque.queues(), ['10', '9', 'B', '_x', 'a', 'b', 'default']);

    const [first] = await t.resque.peek('default');
    assert.equal(first.id, ids[0]);
    assert.deepEqual(first.arg0, { i: 0 });
    assert.equal(first.className, 'NoopJob');
    assert.equal(first.flavor, 'php2');

    const mid = await t.resque.peek('default', 1, 3);
    assert.deepEqual(mid.map((j) => j.id), ids.slice(1, 4));
    assert.deepEqual(mid.map((j) => j.arg0.i), [1, 2, 3]);
    assert.deepEqual((await t.resque.peek('default', 3, 10)).map((j) => j.id), ids.slice(3));
    assert.deepEqual(await t.resque.peek('default', 10, 5), []);
    assert.deepEqual(await t.resque.peek('nosuchqueue', 0, 5), []);
    // peek does not remove
    assert.equal(await t.resque.size('default'), 5);
  } finally {
    await t.close();
  }
});

test('peek decodes foreign payloads and skips malformed ones (leaving them queued)', async () => {
  const t = await setup();
  try {
    await t.r.rpush(t.key('queue:q'), RUBY_DEFAULT[0], '{not json', NODE_HIGH[0], PHP_HIGH[0]);
    const jobs = await t.resque.peek('q', 0, 10);
    assert.deepEqual(jobs.map((j) => j.flavor), ['ruby', 'node', 'php2']);
    assert.deepEqual(jobs.map((j) => j.raw), [RUBY_DEFAULT[0], NODE_HIGH[0], PHP_HIGH[0]]);
    assert.equal(jobs[0].args.length, 3);
    assert.equal(await t.resque.size('q'), 4);
  } finally {
    await t.close();
  }
});

test('dequeue() without filters empties the queue and resolves the count', async () => {
  const t = await setup();
  try {
    for (let i = 0; i < 4; i++) await t.resque.enqueue('q', 'NoopJob', { i });
    await t.resque.enqueue('other', 'NoopJob');
    assert.equal(await t.resque.dequeue('q'), 4);
    assert.equal(await t.r.exists(t.key('queue:q')), 0);
    assert.equal(await t.resque.size('q'), 0);
    assert.equal(await t.resque.size('other'), 1, 'other queues untouched');
    // php-resque's removeList only deletes the list; the name stays in `queues`
    assert.equal(await t.r.sismember(t.key('queues'), 'q'), 1);
    assert.equal(await t.resque.dequeue('q'), 0);
    assert.equal(await t.resque.dequeue('nosuchqueue'), 0);
  } finally {
    await t.close();
  }
});

test('removeQueue deletes the list and the name, resolving the count', async () => {
  const t = await setup();
  try {
    for (let i = 0; i < 3; i++) await t.resque.enqueue('doomed', 'NoopJob', { i });
    await t.resque.enqueue('kept', 'NoopJob');
    assert.equal(await t.resque.removeQueue('doomed'), 3);
    assert.equal(await t.r.exists(t.key('queue:doomed')), 0);
    assert.equal(await t.r.sismember(t.key('queues'), 'doomed'), 0);
    assert.deepEqual(await t.resque.queues(), ['kept']);
    assert.equal(await t.resque.size('kept'), 1);
    assert.equal(await t.resque.removeQueue('doomed'), 0);
  } finally {
    await t.close();
  }
});

test('dequeue by class removes every job of that class, whatever its producer', async () => {
  const t = await setup();
  try {
    const items = await fillMixed(t);
    await expectRemoval(t, items, ['NoopJob'], [
      'ours-noop-a1',
      'ruby-noop-empty',
      'node-noop-empty',
      'php-noop-null',
      'ruby-noop-php-style',
      'ours-noop-a2',
      'node-noop-not-array',
      'php-noop-list',
      'ruby-noop-a1',
      'node-noop-a1',
      'php1-noop-a1',
    ]);
  } finally {
    await t.close();
  }
});

test('dequeue by class matches the class name exactly (backslashes, leading backslash)', async () => {
  const t = await setup();
  try {
    const items = await fillMixed(t);
    await expectRemoval(t, items, ['App\\Jobs\\SendEmail'], ['php-sendemail', 'node-sendemail']);
    const rest = items.filter((i) => !['php-sendemail', 'node-sendemail'].includes(i.tag));
    await expectRemoval(t, rest, ['\\App\\Jobs\\SendEmail'], ['php-sendemail-assoc']);
  } finally {
    await t.close();
  }
});

test('dequeue by class + id removes only that job', async () => {
  const t = await setup();
  try {
    const items = await fillMixed(t);
    const target = items.find((i) => i.tag === 'ours-noop-a2');
    // wrong class with the right id: nothing
    assert.equal(await t.resque.dequeue('mixed', [{ class: 'Other', id: target.id }]), 0);
    await expectRemoval(t, items, [{ class: 'NoopJob', id: target.id }], ['ours-noop-a2']);
  } finally {
    await t.close();
  }
});

test('dequeue by class + id also finds php-resque-written jobs', async () => {
  const t = await setup();
  try {
    const items = await fillMixed(t);
    await expectRemoval(t, items, [{ class: 'NoopJob', id: '04796084ed1703c3eab952f0082e6e5d' }], ['php-noop-null']);
  } finally {
    await t.close();
  }
});

test('dequeue by class + args removes jobs whose args[0] entries all appear in the filter', async () => {
  const t = await setup();
  try {
    const items = await fillMixed(t);
    // {a:1} matches (subset of the filter) for every producer; {a:2}, empty/null/list args and
    // the class Other job with {a:1} do not.
    await expectRemoval(t, items, [{ class: 'NoopJob', args: { a: 1, b: 5 } }], [
      'ours-noop-a1',
      'ruby-noop-a1',
      'node-noop-a1',
      'php1-noop-a1',
    ]);
  } finally {
    await t.close();
  }
});

test('dequeue by class + args: a filter missing one of the job\'s entries does not match', async () => {
  const t = await setup();
  try {
    await t.resque.enqueue('mixed', 'NoopJob', { a: 1, b: 2 });
    const items = [{ tag: 'ab', raw: (await t.r.lrange(t.key('queue:mixed'), 0, 0))[0] }];
    await expectRemoval(t, items, [{ class: 'NoopJob', args: { a: 1 } }], []);
    await expectRemoval(t, items, [{ class: 'NoopJob', args: { a: 1, b: 2 } }], ['ab']);
  } finally {
    await t.close();
  }
});

test('dequeue with several filters removes the union; malformed items always stay', async () => {
  const t = await setup();
  try {
    const items = await fillMixed(t);
    const a2 = items.find((i) => i.tag === 'ours-noop-a2');
    await expectRemoval(
      t,
      items,
      ['Other', 'App::Jobs::SendEmail', { class: 'NoopJob', id: a2.id }, { class: 'NoopJob', args: { php_style: true } }],
      ['ours-other-a1', 'ruby-sendemail', 'ours-noop-a2', 'ruby-noop-php-style'],
    );
    const rest = await t.r.lrange(t.key('queue:mixed'), 0, -1);
    assert.ok(rest.includes('{not json') && rest.includes('"just a string"'));
  } finally {
    await t.close();
  }
});

test('dequeue with a filter that matches nothing leaves the queue as it was', async () => {
  const t = await setup();
  try {
    const items = await fillMixed(t);
    await expectRemoval(t, items, ['NoSuchJob', { class: 'NoopJob', id: '0'.repeat(32) }], []);
    assert.equal(await t.resque.dequeue('nosuchqueue', ['NoopJob']), 0);
  } finally {
    await t.close();
  }
});

test('dequeue removes identical duplicates of a matching item, all of them', async () => {
  const t = await setup();
  try {
    await t.r.rpush(t.key('queue:mixed'), RUBY_A1, PHP_HIGH[0], RUBY_A1, RUBY_A1);
    const items = [
      { tag: 'r1', raw: RUBY_A1 },
      { tag: 'php', raw: PHP_HIGH[0] },
      { tag: 'r2', raw: RUBY_A1 },
      { tag: 'r3', raw: RUBY_A1 },
    ];
    await t.r.sadd(t.key('queues'), 'mixed');
    await expectRemoval(t, items, [{ class: 'NoopJob', args: { a: 1 } }], ['r1', 'r2', 'r3']);
  } finally {
    await t.close();
  }
});
