'use strict';
// phpJsonEncode must write exactly what PHP's json_encode (default flags) writes, and
// parseJson must keep integers beyond 2^53 exact (WIRE.md §3.3).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { phpJsonEncode, parseJson } = require('../dist');
const { loadFixture, fixtureKey, richArgs: rich } = require('./helpers/fixtures');


/** The bytes of args[0] in a raw php-resque 2.x payload. */
function rawArg0(raw) {
  const start = raw.indexOf('"args":[');
  const end = raw.lastIndexOf('],"id"');
  assert.ok(start > 0 && end > start, `payload has args and id: ${raw.slice(0, 80)}`);
  return raw.slice(start + '"args":['.length, end);
}

test('phpJsonEncode($RICH) is byte-identical to what php-resque wrote (php-enqueue.json)', () => {
  const fx = loadFixture('php-enqueue');
  const first = fixtureKey(fx, 'resque:queue:default').value[0];
  const expected = rawArg0(first);
  // Guard that we sliced the right thing: PHP's spelling is in there.
  assert.match(expected, /\\u4f60\\u597d/);
  assert.match(expected, /"big_int":9007199254740993,/);
  assert.equal(phpJsonEncode(rich()), expected);
});

test('phpJsonEncode of the --assoc variant ({} as PHP array []) matches the second payload', () => {
  const fx = loadFixture('php-enqueue');
  const second = fixtureKey(fx, 'resque:queue:default').value[1];
  assert.equal(phpJsonEncode({ ...rich(), empty_map: [] }), rawArg0(second));
});

test('slash is escaped as \\/', () => {
  assert.equal(phpJsonEncode('a/b'), '"a\\/b"');
  assert.equal(phpJsonEncode({ 'k/': '/' }), '{"k\\/":"\\/"}');
  assert.equal(phpJsonEncode('</script>'), '"<\\/script>"');
});

test('non-ASCII is written as lowercase \\uXXXX, astral characters as a surrogate pair', () => {
  assert.equal(phpJsonEncode('é'), '"\\u00e9"');
  assert.equal(phpJsonEncode('你好'), '"\\u4f60\\u597d"');
  assert.equal(phpJsonEncode('\u00ff\u0100\uabcd'), '"\\u00ff\\u0100\\uabcd"');
  assert.equal(phpJsonEncode('😀'), '"\\ud83d\\ude00"');
  assert.equal(phpJsonEncode('a😀b'), '"a\\ud83d\\ude00b"');
  // keys too
  assert.equal(phpJsonEncode({ 'ü': 1 }), '{"\\u00fc":1}');
  // output is pure ASCII
  assert.match(phpJsonEncode(rich()), /^[\x20-\x7e]*$/);
});

test('control characters, quote and backslash', () => {
  assert.equal(phpJsonEncode('"'), '"\\""');
  assert.equal(phpJsonEncode('\\'), '"\\\\"');
  assert.equal(phpJsonEncode('\b\f\n\r\t'), '"\\b\\f\\n\\r\\t"');
  assert.equal(phpJsonEncode('\u0000\u0001\u001f'), '"\\u0000\\u0001\\u001f"');
  assert.equal(phpJsonEncode('a\u000bb'), '"a\\u000bb"');
  // <, >, &, ' are written raw (no JSON_HEX_* flags)
  assert.equal(phpJsonEncode(`<a href='x'>&amp;</a>`), `"<a href='x'>&amp;<\\/a>"`);
});

test('DEL (0x7f) is written raw, as PHP does (its escape table stops at 0x1f and restarts at 0x80)', () => {
  // php-src ext/json/json_encoder.c charmap[3] == 0x00000000: bytes 0x60..0x7f are copied verbatim.
  assert.equal(phpJsonEncode('a\u007fb'), '"a\u007fb"');
  assert.equal(phpJsonEncode('\u0080'), '"\\u0080"');
});

test('numbers: PHP float spelling', () => {
  assert.equal(phpJsonEncode(1.0), '1');
  assert.equal(phpJsonEncode(12.5), '12.5');
  assert.equal(phpJsonEncode(0.1), '0.1');
  assert.equal(phpJsonEncode(-3), '-3');
  assert.equal(phpJsonEncode(1.5e-7), '1.5e-7');
  assert.equal(phpJsonEncode(3.141592653589793), '3.141592653589793');
  assert.equal(phpJsonEncode(0.0001), '0.0001');
  assert.equal(phpJsonEncode(9007199254740993n), '9007199254740993');
  assert.equal(phpJsonEncode(-9223372036854775808n), '-9223372036854775808');
});

test('numbers: small/huge floats use PHP\'s d.de±N form (php_gcvt, serialize_precision=-1)', () => {
  // php_gcvt switches to exponent form when the decimal exponent is < -4 or > 17 and always
  // writes at least one fractional digit: json_encode(0.00001) === "1.0e-5".
  assert.equal(phpJsonEncode(0.00001), '1.0e-5');
  assert.equal(phpJsonEncode(0.000012), '1.2e-5');
  assert.equal(phpJsonEncode(1e-7), '1.0e-7');
  assert.equal(phpJsonEncode(1e21), '1.0e+21');
  assert.equal(phpJsonEncode(1.5e300), '1.5e+300');
});

test('undefined and functions are dropped in objects, become null in arrays', () => {
  assert.equal(phpJsonEncode({ a: undefined, b: () => 1, c: 1, d: Symbol('s') }), '{"c":1}');
  assert.equal(phpJsonEncode([undefined, () => 1, 2]), '[null,null,2]');
  assert.equal(phpJsonEncode(undefined), 'null');
  assert.equal(phpJsonEncode(null), 'null');
  assert.equal(phpJsonEncode({}), '{}');
  assert.equal(phpJsonEncode([]), '[]');
  assert.equal(phpJsonEncode([true, false]), '[true,false]');
});

test('toJSON is honoured (Date)', () => {
  assert.equal(phpJsonEncode({ at: new Date(0) }), '{"at":"1970-01-01T00:00:00.000Z"}');
});

test('NaN and Infinity throw TypeError', () => {
  for (const bad of [NaN, Infinity, -Infinity, { x: NaN }, [1, Infinity]]) {
    assert.throws(() => phpJsonEncode(bad), TypeError, `value ${String(bad)}`);
  }
});

test('cycles throw TypeError, shared (non-cyclic) references do not', () => {
  const a = { n: 1 };
  a.self = a;
  assert.throws(() => phpJsonEncode(a), TypeError);
  const arr = [1];
  arr.push([arr]);
  assert.throws(() => phpJsonEncode(arr), TypeError);
  const shared = { x: 1 };
  assert.equal(phpJsonEncode({ a: shared, b: [shared] }), '{"a":{"x":1},"b":[{"x":1}]}');
});

// ---------------------------------------------------------------- parseJson

test('parseJson keeps an integer beyond 2^53 exact as bigint', () => {
  const v = parseJson('{"big_int":9007199254740993,"small":5}');
  assert.equal(v.big_int, 9007199254740993n);
  assert.equal(typeof v.small, 'number');
  assert.equal(v.small, 5);
});

test('parseJson: negative, inside arrays, several of them, and 64-bit extremes', () => {
  const v = parseJson('[9007199254740993,-9007199254740993,[18446744073709551615],{"x":[9223372036854775807,-9223372036854775808]}]');
  assert.deepEqual(v, [
    9007199254740993n,
    -9007199254740993n,
    [18446744073709551615n],
    { x: [9223372036854775807n, -9223372036854775808n] },
  ]);
});

test('parseJson: several big ints with the same double value each keep their own digits', () => {
  // 2^53+1 and 2^53 round to the same double; each literal must come back as itself.
  assert.deepEqual(parseJson('[9007199254740993,9007199254740992,9007199254740993]'), [
    9007199254740993n,
    9007199254740992n,
    9007199254740993n,
  ]);
});

test('parseJson: digits inside strings are untouched', () => {
  const v = parseJson('{"s":"9007199254740993","t":"x \\" 9007199254740993 \\\\","n":9007199254740993}');
  assert.equal(v.s, '9007199254740993');
  assert.equal(v.t, 'x " 9007199254740993 \\');
  assert.equal(v.n, 9007199254740993n);
});

test('parseJson: safe numbers stay numbers (also when a big int is present)', () => {
  const v = parseJson('{"a":9007199254740991,"b":-9007199254740991,"c":1.5,"d":1e20,"e":0,"big":9007199254740993}');
  assert.equal(v.a, 9007199254740991);
  assert.equal(v.b, -9007199254740991);
  assert.equal(v.c, 1.5);
  assert.equal(v.d, 1e20);
  assert.equal(v.e, 0);
  assert.equal(v.big, 9007199254740993n);
  assert.deepEqual(parseJson('[1,2.5,"x",null,true]'), [1, 2.5, 'x', null, true]);
});

test('parseJson: a float literal never takes the place of a big integer', () => {
  // 9007199254740992.0 is a float (a Number); the integer literal after it must stay exact.
  const v = parseJson('{"f":9007199254740992.0,"i":9007199254740993}');
  assert.equal(typeof v.f, 'number');
  assert.equal(v.f, 9007199254740992);
  assert.equal(v.i, 9007199254740993n);
});

test('parseJson round-trips through phpJsonEncode exactly', () => {
  const fx = loadFixture('php-enqueue');
  const arg0 = rawArg0(fixtureKey(fx, 'resque:queue:default').value[0]);
  assert.equal(phpJsonEncode(parseJson(arg0)), arg0);
});

test('parseJson: "__proto__" key does not pollute Object.prototype', () => {
  for (const text of [
    '{"__proto__":{"polluted":true},"a":1}',
    '{"__proto__":{"polluted":true},"a":9007199254740993}', // slow (bigint) path too
    '{"x":{"__proto__":{"polluted":true}}}',
  ]) {
    const v = parseJson(text);
    assert.equal({}.polluted, undefined, text);
    assert.equal(Object.prototype.polluted, undefined, text);
    const holder = 'x' in v ? v.x : v;
    assert.equal(Object.getPrototypeOf(holder), Object.prototype, text);
    assert.ok(Object.prototype.hasOwnProperty.call(holder, '__proto__'), `own __proto__ key: ${text}`);
    assert.equal(holder.polluted, undefined, text);
  }
});

test('parseJson throws SyntaxError on bad input', () => {
  assert.throws(() => parseJson('{not json'), SyntaxError);
  assert.throws(() => parseJson('[9007199254740993,'), SyntaxError);
  assert.throws(() => parseJson(''), SyntaxError);
});

test('parseJson: a large valid document (10 MB string) with a long digit string still parses', () => {
  // The exact path is taken because of the 16-digit string; a big string must not break it.
  const text = JSON.stringify({ card: '4111111111111111', text: 'a'.repeat(10 * 1024 * 1024), n: 1 });
  const v = parseJson(text);
  assert.equal(v.card, '4111111111111111');
  assert.equal(v.text.length, 10 * 1024 * 1024);
  assert.equal(v.n, 1);
});
