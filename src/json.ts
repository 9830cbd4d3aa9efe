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

import { randomBytes } from 'node:crypto';

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

// Control characters, everything beyond ASCII, and the characters with short escapes
// (PHP writes DEL, 0x7f, as is).
const NEEDS_ESCAPE = /["\\/\u0000-\u001f\u0080-\uffff]/g;

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
      return phpNumber(value);
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

/**
 * A number as PHP writes a float with serialize_precision = -1: shortest round-trip digits,
 * exponent form when the decimal exponent is below -4 or 17 and above, with at least one
 * fractional digit (`1.0e-5`, `1.5e-7`, `1.0e+25`); whole numbers without `.0`.
 */
export function phpNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`Cannot encode ${value} as JSON (PHP refuses it too)`);
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '0', expText = '0'] = value.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 17) {
    const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
    return `${m}e${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
  }
  return Number.isInteger(value) ? BigInt(value).toString() : value.toFixed(Math.max(0, fractionDigits(mantissa) - exp));
}

function fractionDigits(mantissa: string): number {
  const dot = mantissa.indexOf('.');
  return dot < 0 ? 0 : mantissa.length - dot - 1;
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
  // Node 20's JSON.parse gives revivers no source text, so each unsafe integer literal is first
  // swapped for a string marker (with a per-call nonce no real string can guess), then revived.
  const nonce = `\\u0000${randomBytes(6).toString('hex')}:`;
  let found = false;
  const marked = text.replace(TOKENS, (tok) => {
    if (tok.startsWith('"') || !/^-?\d+$/.test(tok) || Number.isSafeInteger(Number(tok))) return tok;
    found = true;
    return `"${nonce}${tok}"`;
  });
  if (!found) return JSON.parse(text);
  const prefix = JSON.parse(`"${nonce}"`) as string;
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(prefix) ? BigInt(value.slice(prefix.length)) : value,
  );
}

// String literals (skipped, loop-free so a 10 MB string cannot overflow the stack) and numbers.
const TOKENS = /"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** PHP's json_decode default depth is 512 and the record wraps the payload in one more level. */
const MAX_DEPTH = 511;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether bytes may be embedded verbatim in a record that every peer can read back: a JSON
 * object in strict UTF-8 (no BOM), no unpaired surrogate escapes (PHP refuses them), nested
 * no deeper than PHP's json_decode allows. Anything else is kept as a JSON string of its bytes.
 */
export function isJsonObject(bytes: Buffer | string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === 'string' ? bytes : utf8.decode(bytes));
  } catch {
    return false;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) && portable(v, 1);
}

function portable(v: unknown, depth: number): boolean {
  if (typeof v === 'string') return !LONE_SURROGATE.test(v);
  if (v === null || typeof v !== 'object') return true;
  if (depth > MAX_DEPTH) return false;
  const entries = Array.isArray(v) ? v : Object.entries(v as Record<string, unknown>).flat();
  return entries.every((x) => portable(x, depth + 1));
}
