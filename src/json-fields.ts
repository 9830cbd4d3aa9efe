/**
 * Top-level fields of a JSON object as byte ranges of its text, so one field can be set without
 * re-encoding the others (a retried job keeps its payload's bytes but `attempt`).
 */

/** [start, end) of each top-level value, by key as written; undefined when `text` is not a JSON object. */
export function topFieldRanges(text: string): Map<string, [number, number]> | undefined {
  let i = skipWs(text, 0);
  if (text[i] !== '{') return undefined;
  const out = new Map<string, [number, number]>();
  i = skipWs(text, i + 1);
  if (text[i] === '}') return out;
  for (;;) {
    if (text[i] !== '"') return undefined;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    const key = text.slice(i + 1, keyEnd - 1);
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') return undefined;
    i = skipWs(text, i + 1);
    const valueEnd = skipValue(text, i);
    if (valueEnd <= i) return undefined;
    out.set(key, [i, valueEnd]);
    i = skipWs(text, valueEnd);
    if (text[i] === '}') return out;
    if (text[i] !== ',') return undefined;
    i = skipWs(text, i + 1);
  }
}

/** `text` with top-level field `name` set to the JSON `value` (replaced in place, or appended last). */
export function withTopField(text: string, name: string, value: string): string {
  const fields = topFieldRanges(text);
  if (!fields) throw new TypeError('not a JSON object');
  const at = fields.get(name);
  if (at) return text.slice(0, at[0]) + value + text.slice(at[1]);
  const close = text.lastIndexOf('}');
  return `${text.slice(0, close)}${fields.size > 0 ? ',' : ''}${JSON.stringify(name)}:${value}${text.slice(close)}`;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  return i;
}

function skipString(s: string, i: number): number {
  for (i += 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i + 1;
  }
  return -1;
}

function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return skipString(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (; i < s.length; i++) {
      const ch = s[i];
      if (ch === '"') {
        const e = skipString(s, i);
        if (e < 0) return -1;
        i = e - 1;
      } else if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < s.length && !',}] \t\r\n'.includes(s[j] as string)) j++;
  return j;
}
