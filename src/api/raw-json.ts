/**
 * Reading records that embed other JSON (a failure record's `payload`, a worker's working-on
 * `payload`) without ever re-encoding anything.
 *   1. parseObject: a JSON object text decoded with parseJson (big integers kept), or the reason
 *      it is not one.
 *   2. rawMember: the exact text of one top-level member's value inside an object text, so an
 *      embedded payload keeps the bytes its writer put there.
 */
import { parseJson } from '../json';

/** A decoded JSON object, or why the text is not one. */
export type ParsedObject =
  | { readonly value: Record<string, unknown>; readonly error: null }
  | { readonly value: null; readonly error: string };

export function parseObject(text: string): ParsedObject {
  let v: unknown;
  try {
    v = parseJson(text);
  } catch (e) {
    return { value: null, error: `not valid JSON (${(e as Error).message})` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { value: null, error: `a JSON ${kindOf(v)}, not an object` };
  return { value: v as Record<string, unknown>, error: null };
}

/** `string`, `number`, `array`, `null`…: how a JSON value is named in problem reports. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'bigint') return 'number';
  return typeof v;
}

/**
 * The exact text of member `name`'s value in the JSON object `text` (the last one when the
 * name repeats, as JSON.parse keeps the last), or undefined. `text` must be valid JSON.
 */
export function rawMember(text: string, name: string): string | undefined {
  let i = skipWs(text, 0);
  if (text[i] !== '{') return undefined;
  i += 1;
  let found: string | undefined;
  for (;;) {
    i = skipWs(text, i);
    if (text[i] !== '"') return found;
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const start = skipWs(text, skipWs(text, keyEnd) + 1); // past the ':'
    const end = valueEnd(text, start);
    if (key === name) found = text.slice(start, end);
    i = skipWs(text, end);
    if (text[i] !== ',') return found;
    i += 1;
  }
}

function skipWs(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i += 1;
  return i;
}

/** Index just past the string literal opening at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Index just past the value starting at `i` (string, number, literal, object or array). */
function valueEnd(text: string, i: number): number {
  if (text[i] === '"') return stringEnd(text, i);
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text[j];
    if (c === '"') {
      j = stringEnd(text, j);
      continue;
    }
    if (c === '{' || c === '[') depth += 1;
    else if (c === '}' || c === ']') {
      if (depth === 0) return trimEnd(text, i, j);
      depth -= 1;
      if (depth === 0) return j + 1;
    } else if (c === ',' && depth === 0) return trimEnd(text, i, j);
    j += 1;
  }
  return trimEnd(text, i, j);
}

/** A scalar ends before the whitespace that precedes its delimiter. */
function trimEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(text[e - 1] as string)) e -= 1;
  return e;
}
