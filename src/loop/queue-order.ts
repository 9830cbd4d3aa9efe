/**
 * Which queues a worker polls, in which order (WIRE.md §4.3, php-resque semantics).
 *   1. hasWildcard: `*` anywhere in the configured list means "every known queue".
 *   2. resolveQueues: the wildcard → all known queues in PHP sort() order; otherwise the
 *      configured list, duplicates removed, first occurrence kept (priority order).
 *   3. phpSort / phpCompare: PHP 8 sort() with SORT_REGULAR on strings — two numeric strings
 *      compare as numbers, anything else byte-wise (strcmp on UTF-8). `b a 10 9 B _x` → `9 10 B _x a b`.
 */

/** True when `*` appears anywhere in the configured list (php-resque: other entries are then ignored). */
export function hasWildcard(configured: readonly string[]): boolean {
  return configured.includes('*');
}

/** The queues to poll this pass. `known` is the current content of `resque:queues`. */
export function resolveQueues(configured: readonly string[], known: readonly string[]): string[] {
  if (hasWildcard(configured)) return phpSort([...new Set(known)]);
  return [...new Set(configured)];
}

/** A copy of `names` in PHP 8 `sort($names)` order (stable, like PHP 8's sort). */
export function phpSort(names: readonly string[]): string[] {
  return [...names].sort(phpCompare);
}

/** PHP 8 `$a <=> $b` for two strings (zendi_smart_strcmp): -1, 0 or 1. */
export function phpCompare(a: string, b: string): number {
  if (a === b) return 0;
  const x = parseNumeric(a);
  const y = parseNumeric(b);
  if (x !== undefined && y !== undefined) {
    const numeric = compareNumeric(x, y);
    if (numeric !== undefined) return numeric;
  }
  return byteCompare(a, b);
}

/**
 * A numeric string as PHP 8 reads it: an integer that fits in 64 bits (`long`), or a double;
 * `overflow` is ±1 for an integer-looking string beyond the 64-bit range (read as a double).
 */
type Numeric =
  | { readonly kind: 'long'; readonly value: bigint }
  | { readonly kind: 'double'; readonly value: number; readonly overflow: -1 | 0 | 1 };

/** PHP 8 whitespace around numeric strings: space, \t, \n, \r, \v, \f (leading and trailing). */
const NUMERIC = /^[ \t\n\r\v\f]*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)[ \t\n\r\v\f]*$/;
const LONG_MIN_DIGITS = '9223372036854775808';

function parseNumeric(text: string): Numeric | undefined {
  const m = NUMERIC.exec(text);
  const body = m?.[1];
  if (body === undefined) return undefined;
  if (/[.eE]/.test(body)) return { kind: 'double', value: Number(body), overflow: 0 };
  const negative = body.startsWith('-');
  const digits = body.replace(/^[+-]?0*/, '');
  if (digits.length > 19 || (digits.length === 19 && !(digits < LONG_MIN_DIGITS || (digits === LONG_MIN_DIGITS && negative)))) {
    return { kind: 'double', value: Number(body), overflow: negative ? -1 : 1 };
  }
  return { kind: 'long', value: BigInt(body.replace(/^\+/, '')) };
}

/** The numeric branch of zendi_smart_strcmp; undefined where PHP falls back to strcmp. */
function compareNumeric(x: Numeric, y: Numeric): number | undefined {
  if (x.kind === 'long' && y.kind === 'long') return x.value < y.value ? -1 : x.value > y.value ? 1 : 0;
  if (x.kind === 'double' && y.kind === 'double') {
    // Both overflowed to the same side and compare equal as doubles: precision lost, PHP uses strcmp.
    if (x.overflow !== 0 && x.overflow === y.overflow && x.value - y.value === 0) return undefined;
    if (x.value === y.value && !Number.isFinite(x.value)) return undefined;
    return sign(x.value - y.value);
  }
  if (x.kind === 'long' && y.kind === 'double') return y.overflow !== 0 ? -y.overflow : sign(Number(x.value) - y.value);
  if (x.kind === 'double' && y.kind === 'long') return x.overflow !== 0 ? x.overflow : sign(x.value - Number(y.value));
  return undefined;
}

function sign(n: number): number {
  return n > 0 ? 1 : n < 0 ? -1 : 0;
}

/** strcmp on the UTF-8 bytes, shorter prefix first (zend_binary_strcmp). */
function byteCompare(a: string, b: string): number {
  return sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
