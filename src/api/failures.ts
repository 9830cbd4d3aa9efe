/**
 * The `failed` list as the admin API shows it (WIRE.md §7): records of php-resque 1.x/2.x, Ruby
 * Resque, node-resque and resque-ts normalised to one shape, raw bytes kept.
 *   1. readFailures: each record decoded (big integers kept); its fields read one by one —
 *      failed_at / retried_at in any peer's spelling, payload kept as the bytes in the record
 *      and decoded with decodePayload, exception, error, backtrace (node-resque's `null` is []),
 *      worker (`host:pid:queues`, node-resque `host:pid`), queue. A record that is not a JSON
 *      object is returned with its bytes and the reason; a bad field is listed in `problems`.
 *   2. removeFailure: Ruby's LSET-then-LREM with a unique sentinel, in one Lua call, and only if
 *      the record at that index is still the one the caller read (else the first record with the
 *      same bytes is removed: identical bytes are the same record). clearFailures: LLEN + DEL.
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { listFailures } from '../store/failures';
import { embeddedPayload, type EmbeddedPayload } from './embedded-payload';
import { stringField, timeField } from './fields';
import { kindOf, parseObject } from './raw-json';
import { checkRange } from './queues';
import type { PeerKind } from './workers';
import type { WireTime } from './wire-time';

/** One failure record, in every peer's fields. */
export interface FailureDetails {
  /** Which record shape this is, from failed_at's spelling: `php-resque` covers php-resque 2.x and resque-ts. */
  readonly peer: PeerKind;
  readonly failedAt: WireTime | null;
  readonly payload: EmbeddedPayload | null;
  /** The error's class name (`RuntimeException`, `RuntimeError`, `Error`, …). */
  readonly exception: string | null;
  /** The error message (Ruby's may span several lines). */
  readonly error: string | null;
  /** Stack lines as stored ([] when absent or null). */
  readonly backtrace: readonly string[];
  /** The worker that failed it: `host:pid:queues`, or node-resque's `host:pid`. */
  readonly worker: string | null;
  readonly queue: string | null;
  /** Set by Ruby's `Resque::Failure.requeue`; null otherwise. */
  readonly retriedAt: WireTime | null;
  /** The whole decoded record, unknown fields included. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Fields that are absent, of the wrong type or unreadable. */
  readonly problems: readonly string[];
}

/** One item of the `failed` list by position: the record, or why it is not one. */
export type FailureEntry =
  | { readonly index: number; readonly raw: string; readonly failure: FailureDetails; readonly error: null }
  | { readonly index: number; readonly raw: string; readonly failure: null; readonly error: string };

export async function readFailures(redis: Redis, keys: Keys, start: number, count: number): Promise<FailureEntry[]> {
  checkRange(start, count);
  if (count === 0) return [];
  const stored = await listFailures(redis, keys, start, count);
  return stored.map(({ raw }, i) => failureEntry(start + i, raw));
}

/** Decode one record of the `failed` list. */
export function failureEntry(index: number, raw: string): FailureEntry {
  const parsed = parseObject(raw);
  if (parsed.value === null) return { index, raw, failure: null, error: `the record is ${parsed.error}` };
  return { index, raw, failure: details(raw, parsed.value), error: null };
}

function details(raw: string, record: Readonly<Record<string, unknown>>): FailureDetails {
  const problems: string[] = [];
  const failedAt = timeField(record, 'failed_at', problems);
  const payload = embeddedPayload(raw, record);
  if (payload === null) problems.push('no "payload" field');
  else if (payload.error !== null) problems.push(`"payload": ${payload.error}`);
  return {
    peer: peerOf(failedAt),
    failedAt,
    payload,
    exception: stringField(record, 'exception', problems),
    error: stringField(record, 'error', problems),
    backtrace: backtrace(record['backtrace'], problems),
    worker: stringField(record, 'worker', problems),
    queue: stringField(record, 'queue', problems),
    retriedAt: timeField(record, 'retried_at', problems, false),
    fields: record,
    problems,
  };
}

/** An array of strings; node-resque writes null for an error without a stack. */
function backtrace(v: unknown, problems: string[]): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') {
    problems.push('"backtrace" is a string, not an array: split on newlines');
    return v.split('\n');
  }
  if (!Array.isArray(v)) {
    problems.push(`"backtrace" should be an array of strings, got ${kindOf(v)}`);
    return [];
  }
  if (v.some((line) => typeof line !== 'string')) problems.push('"backtrace" holds entries that are not strings');
  return v.map((line) => (typeof line === 'string' ? line : JSON.stringify(line) ?? String(line)));
}

/** The failed_at spellings of WIRE.md §7. */
function peerOf(failedAt: WireTime | null): PeerKind {
  switch (failedAt?.format) {
    case 'iso8601': return 'php-resque';
    case 'strftime': return 'php-resque-1';
    case 'ruby-failed-at': return 'ruby-resque';
    case 'js-date': return 'node-resque';
    default: return 'unknown';
  }
}

// KEYS[1] failed; ARGV: index, the record's bytes as read, a sentinel no record holds.
const REMOVE = `
if redis.call('LINDEX', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('LSET', KEYS[1], ARGV[1], ARGV[3])
  return redis.call('LREM', KEYS[1], 1, ARGV[3])
end
return redis.call('LREM', KEYS[1], 1, ARGV[2])`;

const CLEAR = `local n = redis.call('LLEN', KEYS[1]) redis.call('DEL', KEYS[1]) return n`;

/** Remove the record read as `raw` at `index` (see module comment). Resolves whether one went. */
export async function removeFailure(redis: Redis, keys: Keys, index: number, raw: string): Promise<boolean> {
  checkRange(index, 1);
  const sentinel = `resque-ts:removing:${randomBytes(16).toString('hex')}`;
  return Number(await redis.eval(REMOVE, 1, keys.failed(), index, raw, sentinel)) === 1;
}

/** Delete every failure record; resolves how many there were. */
export async function clearFailures(redis: Redis, keys: Keys): Promise<number> {
  return Number(await redis.eval(CLEAR, 1, keys.failed()));
}
