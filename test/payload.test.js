'use strict';
// decodePayload reads every producer's payload (php-resque 2.x / 1.x, Ruby Resque, node-resque)
// without re-encoding; encodePayload writes php-resque 2.x's shape (WIRE.md §3).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { decodePayload, encodePayload, InvalidPayloadError, ResqueError, parseJson } = require('../dist');
const { loadFixture, fixtureKey, richArgs: rich } = require('./helpers/fixtures');


function items(fixtureName, key) {
  const entry = fixtureKey(loadFixture(fixtureName), key);
  assert.ok(entry, `${fixtureName} has ${key}`);
  return entry.value;
}

function check(raw, want) {
  const job = decodePayload(raw);
  assert.equal(job.raw, raw, 'raw is the input, untouched');
  assert.equal(job.className, want.className);
  assert.deepEqual(job.args, want.args);
  assert.deepEqual(job.arg0, want.arg0);
  assert.equal(job.id, want.id);
  assert.equal(job.prefix, want.prefix);
  assert.equal(job.queueTime, want.queueTime);
  assert.equal(job.flavor, want.flavor);
  return job;
}

test('php-resque 2.x payloads (php-enqueue.json)', () => {
  const def = items('php-enqueue', 'resque:queue:default');
  const high = items('php-enqueue', 'resque:queue:high');
  assert.equal(def.length, 3);
  check(def[0], {
    className: 'App\\Jobs\\SendEmail',
    args: [rich()],
    arg0: rich(),
    id: 'b2cb476d5fe14634da6358c914929568',
    prefix: '',
    queueTime: 1795252071.305024,
    flavor: 'php2',
  });
  check(def[1], {
    className: '\\App\\Jobs\\SendEmail',
    args: [rich({ empty_map: [] })],
    arg0: rich({ empty_map: [] }),
    id: '3c6407eb84eb4a8c872364b64f33b2a4',
    prefix: '',
    queueTime: 1795252071.321242,
    flavor: 'php2',
  });
  check(def[2], {
    className: 'NoopJob',
    args: [null],
    arg0: null,
    id: '04796084ed1703c3eab952f0082e6e5d',
    prefix: '',
    queueTime: 1795252071.341668,
    flavor: 'php2',
  });
  check(high[0], {
    className: 'NoopJob',
    args: [[1, 'two', 3.5]],
    arg0: [1, 'two', 3.5],
    id: 'c3f986b11d66901c510c96ed40baea07',
    prefix: '',
    queueTime: 1795252071.35858,
    flavor: 'php2',
  });
});

test('php-resque 2.x payload with a status prefix (php-enqueue-with-status.json)', () => {
  const def = items('php-enqueue-with-status', 'resque:queue:default');
  check(def[1], {
    className: 'NoopJob',
    args: [{ a: 1 }],
    arg0: { a: 1 },
    id: 'bd8aff835983a7a8040dc76c2df1a73c',
    prefix: 'myapp',
    queueTime: 1795252071.970614,
    flavor: 'php2',
  });
});

test('php-resque 1.x payloads (php1-enqueue-with-status.json): no prefix field', () => {
  const def = items('php1-enqueue-with-status', 'resque:queue:default');
  assert.equal(def.length, 2);
  check(def[0], {
    className: 'App\\Jobs\\SendEmail',
    args: [rich()],
    arg0: rich(),
    id: 'e2eb04f7ca96834b592dc1609179c8b0',
    prefix: '',
    queueTime: 1795252091.249194,
    flavor: 'php1',
  });
  check(def[1], {
    className: 'NoopJob',
    args: [null],
    arg0: null,
    id: 'd2019aad4a761d4e67a8bfee8500c331',
    prefix: '',
    queueTime: 1795252091.272814,
    flavor: 'php1',
  });
});

test('Ruby Resque payloads (ruby-enqueue.json): positional args, no id/time', () => {
  const def = items('ruby-enqueue', 'resque:queue:default');
  const high = items('ruby-enqueue', 'resque:queue:high');
  const job = check(def[0], {
    className: 'App::Jobs::SendEmail',
    args: [rich(), 42, 'second arg'],
    arg0: rich(),
    id: undefined,
    prefix: '',
    queueTime: undefined,
    flavor: 'ruby',
  });
  assert.equal(job.args.length, 3);
  check(def[1], { className: 'NoopJob', args: [], arg0: null, id: undefined, prefix: '', queueTime: undefined, flavor: 'ruby' });
  check(high[0], {
    className: 'NoopJob',
    args: [{ php_style: true }],
    arg0: { php_style: true },
    id: undefined,
    prefix: '',
    queueTime: undefined,
    flavor: 'ruby',
  });
});

test('node-resque payloads (node-resque-enqueue.json): class,queue,args', () => {
  const def = items('node-resque-enqueue', 'resque:queue:default');
  const high = items('node-resque-enqueue', 'resque:queue:high');
  // node-resque itself already rounded big_int to 2^53 when it wrote the payload.
  const nodeRich = rich({ big_int: 9007199254740992n });
  const job = check(def[0], {
    className: 'App\\Jobs\\SendEmail',
    args: [nodeRich, 42, 'second arg'],
    arg0: nodeRich,
    id: undefined,
    prefix: '',
    queueTime: undefined,
    flavor: 'node',
  });
  assert.equal(job.fields.queue, 'default');
  check(def[1], { className: 'NoopJob', args: [], arg0: null, id: undefined, prefix: '', queueTime: undefined, flavor: 'node' });
  check(high[0], {
    className: 'NoopJob',
    args: [{ not: 'an array' }],
    arg0: { not: 'an array' },
    id: undefined,
    prefix: '',
    queueTime: undefined,
    flavor: 'node',
  });
});

test('raw is kept byte for byte (PHP escapes are not re-encoded)', () => {
  const raw = items('php-enqueue', 'resque:queue:default')[0];
  const job = decodePayload(raw);
  assert.ok(job.raw.includes('\\u4f60\\u597d'));
  assert.ok(job.raw.includes('\\/ slash'));
  assert.equal(job.arg0.subject, '你好，世界');
  assert.equal(job.arg0.emoji, '😀');
});

test('missing or null args decode as []', () => {
  assert.deepEqual(decodePayload('{"class":"X"}').args, []);
  assert.equal(decodePayload('{"class":"X"}').arg0, null);
  assert.deepEqual(decodePayload('{"class":"X","args":null}').args, []);
  assert.equal(decodePayload('{"class":"X","args":[]}').arg0, null);
});

const MALFORMED = [
  '{not json',
  '"just a string"',
  '[]',
  '{"args":[]}',
  '{"class":""}',
  '{"class":"X","args":"str"}',
  '{"class":"X","id":5}',
  'null',
  '42',
  '{"class":5,"args":[]}',
];

for (const input of MALFORMED) {
  test(`malformed ${input} → InvalidPayloadError quoting the input`, () => {
    let caught;
    assert.throws(() => decodePayload(input), (e) => {
      caught = e;
      return true;
    });
    assert.ok(caught instanceof InvalidPayloadError, `got ${caught && caught.name}: ${caught && caught.message}`);
    assert.ok(caught instanceof ResqueError);
    assert.equal(caught.name, 'InvalidPayloadError');
    // The input appears in the message (JSON-quoted, so inner quotes are escaped).
    assert.ok(caught.message.includes(JSON.stringify(input).slice(1, -1)), `message quotes the input: ${caught.message}`);
  });
}

test('a 10 MB malformed input gives a short, bounded message', () => {
  for (const input of [
    `{not json${'x'.repeat(10 * 1024 * 1024)}`,
    `"${'y'.repeat(10 * 1024 * 1024)}"`,
    `{"class":"X","args":"${'z'.repeat(10 * 1024 * 1024)}"}`,
  ]) {
    let caught;
    assert.throws(() => decodePayload(input), (e) => {
      caught = e;
      return e instanceof InvalidPayloadError;
    });
    assert.ok(caught.message.length < 400, `message is ${caught.message.length} chars`);
    assert.ok(caught.message.includes(input.slice(0, 5).replace(/"/g, '\\"')), caught.message.slice(0, 100));
    assert.ok(caught.excerpt.length <= 260, `excerpt ${caught.excerpt.length} chars`);
  }
});

test('encodePayload writes class,args,id,prefix,queue_time in that order, PHP-style', () => {
  const raw = encodePayload({
    className: 'App\\Jobs\\SendEmail',
    args: { s: '中/文', big: 9007199254740993n },
    id: '0123456789abcdef0123456789abcdef',
    prefix: 'myapp',
    queueTime: 1795252071.305024,
  });
  assert.equal(
    raw,
    '{"class":"App\\\\Jobs\\\\SendEmail","args":[{"s":"\\u4e2d\\/\\u6587","big":9007199254740993}],' +
      '"id":"0123456789abcdef0123456789abcdef","prefix":"myapp","queue_time":1795252071.305024}',
  );
  assert.deepEqual(Object.keys(parseJson(raw)), ['class', 'args', 'id', 'prefix', 'queue_time']);
  const back = decodePayload(raw);
  assert.equal(back.flavor, 'php2');
  assert.deepEqual(back.arg0, { s: '中/文', big: 9007199254740993n });
});

test('encodePayload wraps args in one element: null → [null], list → [[…]]', () => {
  const base = { className: 'NoopJob', id: 'a'.repeat(32), prefix: '', queueTime: 1.5 };
  assert.match(encodePayload({ ...base, args: null }), /"args":\[null\],/);
  assert.match(encodePayload({ ...base, args: [1, 'two', 3.5] }), /"args":\[\[1,"two",3\.5\]\],/);
  assert.match(encodePayload({ ...base, args: {} }), /"args":\[\{\}\],/);
});

test('encodePayload reproduces the fixture payload given the fixture id and time', () => {
  const raw = items('php-enqueue', 'resque:queue:default')[0];
  const job = decodePayload(raw);
  assert.equal(
    encodePayload({ className: job.className, args: job.arg0, id: job.id, prefix: job.prefix, queueTime: job.queueTime }),
    raw,
  );
});
