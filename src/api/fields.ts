/**
 * Small readers shared by the admin API's modules. None of them throws: whatever is absent,
 * of the wrong type or unreadable becomes a line in a `problems` list next to the result.
 *   1. pipelined(): one round trip, each command's reply or its own error (a WRONGTYPE on one
 *      key spoils only that field).
 *   2. replyString / replyHash: a reply as a string or a hash, else a problem.
 *   3. counter(): a `stat:*` value as an integer (absent = 0).
 *   4. stringField / timeField: a field of a decoded record.
 */
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import { fromUnixSeconds, parseWireTime, type WireTime } from './wire-time';
import { kindOf } from './raw-json';

/** One command's outcome in a pipeline. */
export type Reply = readonly [Error | null, unknown];

/** Run the commands `build` queues in one pipeline; one Reply per command, in order. */
export async function pipelined(redis: Redis, build: (p: ChainableCommander) => void): Promise<Reply[]> {
  const p = redis.pipeline();
  build(p);
  if (p.length === 0) return [];
  return (await p.exec()) ?? [];
}

/** A reply that should be a string or nil; errors and other shapes become problems. */
export function replyString(reply: Reply | undefined, what: string, problems: string[]): string | null {
  if (!reply) return null;
  const [err, value] = reply;
  if (err) {
    problems.push(`${what}: ${err.message}`);
    return null;
  }
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  problems.push(`${what}: unexpected reply ${kindOf(value)}`);
  return null;
}

/** A reply that should be a hash (HGETALL); an empty hash is null. */
export function replyHash(reply: Reply | undefined, what: string, problems: string[]): Record<string, string> | null {
  if (!reply) return null;
  const [err, value] = reply;
  if (err) {
    problems.push(`${what}: ${err.message}`);
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const hash = value as Record<string, string>;
  return Object.keys(hash).length > 0 ? hash : null;
}

/** A reply that should be an integer (LLEN, SCARD, EXISTS); errors count as 0 and are reported. */
export function replyNumber(reply: Reply | undefined, what: string, problems: string[]): number {
  if (!reply) return 0;
  const [err, value] = reply;
  if (err) {
    problems.push(`${what}: ${err.message}`);
    return 0;
  }
  return typeof value === 'number' ? value : Number(value) || 0;
}

/** A `stat:*` counter: absent is 0; anything but a decimal integer is reported and read as 0. */
export function counter(text: string | null, what: string, problems: string[]): number {
  if (text === null) return 0;
  if (/^-?\d+$/.test(text.trim())) return Number(text.trim());
  problems.push(`${what} is not an integer: ${JSON.stringify(text.slice(0, 100))}`);
  return 0;
}

/** A string field of a record: null when absent or null; another type is reported. */
export function stringField(record: Readonly<Record<string, unknown>>, name: string, problems: string[], required = true): string | null {
  const v = record[name];
  if (v === undefined || v === null) {
    if (required) problems.push(`no "${name}" field`);
    return null;
  }
  if (typeof v === 'string') return v;
  problems.push(`"${name}" should be a string, got ${kindOf(v)}`);
  return null;
}

/** A time field (any peer's spelling, or unix seconds as a number); an unreadable one is reported. */
export function timeField(record: Readonly<Record<string, unknown>>, name: string, problems: string[], required = true): WireTime | null {
  const v = record[name];
  if (typeof v === 'number') return fromUnixSeconds(v);
  const text = stringField(record, name, problems, required);
  return text === null ? null : readTime(text, `"${name}"`, problems);
}

/** parseWireTime, reporting text it cannot turn into an instant. */
export function readTime(text: string, what: string, problems: string[]): WireTime {
  const t = parseWireTime(text);
  if (t.at === null) problems.push(`${what} is not a time we can read: ${JSON.stringify(text.slice(0, 100))}`);
  return t;
}
