/**
 * JSON exactly as PHP's `json_encode()` writes it with default flags, so a payload we
 * produce is byte-for-byte what php-resque would have produced for the same values:
 *   1. non-ASCII characters as lowercase `\uXXXX` escapes (UTF-16 units, so astral
 *      characters become surrogate pairs), `/` as `\/`;
 *   2. `bigint` written as an exact integer (PHP ints are 64-bit);
 *   3. otherwise JSON.stringify's rules (toJSON, undefined/functions dropped in objects,
 *      null in arrays, non-finite numbers refused as PHP refuses them).
 * And a parser that keeps integers beyond 2^53 exact (as bigint) where JSON.parse would
 * round them.
 */

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '/': '\\/',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// Everything that is not printable ASCII, plus the characters with short escapes.
const NEEDS_ESCAPE = /["\\/\u0000-\u001f\u007f-\uffff]/g;

function escapeChar(ch: string): string {
  return ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A JSON string literal in PHP's spelling. */
export function phpString(s: string): string {
  return `"${s.replace(NEEDS_ESCAPE, escapeChar)}"`;
}

/** Encode `value` as PHP's json_encode would (see module comment). Throws TypeError on cycles and NaN/Infinity. */
export function phpJsonEncode(value: unknown): string {
  const out = encode(value, new Set<object>());
  return out === undefined ? 'null' : out;
}

function encode(value: unknown, seen: Set<object>): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
      return phpString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`Cannot encode ${value} as JSON (PHP refuses it too)`);
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError('Cannot encode a circular structure as JSON');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((v) => encode(v, seen) ?? 'null').join(',')}]`;
    }
    if (obj instanceof Map || obj instanceof Set) {
      throw new TypeError(`Cannot encode a ${obj.constructor.name} as JSON; convert it to an object or array`);
    }
    const parts: string[] = [];
    for (const key of Object.keys(obj)) {
      const encoded = encode((obj as Record<string, unknown>)[key], seen);
      if (encoded !== undefined) parts.push(`${phpString(key)}:${encoded}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

// Integers of 16+ digits may be beyond 2^53; only then is the slow exact parser needed.
const LONG_INTEGER = /(?:^|[^\d.eE+-])-?\d{16,}(?![\d.eE])/;

/**
 * Parse JSON. Integers outside Number's safe range come back as `bigint` (exact), every
 * other value as JSON.parse gives it. Object keys `__proto__` become own properties,
 * never prototypes. Throws SyntaxError on bad input, like JSON.parse.
 */
export function parseJson(text: string): unknown {
  if (!LONG_INTEGER.test(text)) return JSON.parse(text);
  return JSON.parse(text, bigintReviver(text));
}

/**
 * JSON.parse on Node 20 does not hand revivers the source text, so we scan the text for
 * integer literals in order and substitute the unsafe ones. Strings are skipped so digits
 * inside them are never mistaken for numbers.
 */
function bigintReviver(text: string): (this: unknown, key: string, value: unknown) => unknown {
  const exact = new Map<number, bigint[]>();
  for (const literal of integerLiterals(text)) {
    const n = Number(literal);
    if (Number.isSafeInteger(n)) continue;
    const list = exact.get(n) ?? [];
    list.push(BigInt(literal));
    exact.set(n, list);
  }
  return function revive(_key, value) {
    if (typeof value === 'number' && exact.has(value)) {
      const list = exact.get(value) as bigint[];
      const big = list.shift();
      if (list.length === 0) exact.delete(value);
      return big;
    }
    return value;
  };
}

function* integerLiterals(text: string): Generator<string> {
  const re = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const tok = m[0];
    if (tok.startsWith('"')) continue;
    if (/^-?\d+$/.test(tok)) yield tok;
  }
}
