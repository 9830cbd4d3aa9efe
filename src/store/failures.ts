/**
 * Failure records and the failure backend (WIRE.md §7).
 *   1. failureRecord() writes php-resque 2.x's record — failed_at (date('c')), payload, exception,
 *      error, backtrace (array of strings), worker, queue — with the payload's ORIGINAL bytes
 *      embedded, never re-encoded (a non-JSON payload is kept as a JSON string of its bytes).
 *   2. FailureBackend is the replaceable interface; RedisFailureBackend RPUSHes to `failed`.
 *      The worker writes Redis-backend records inside its finish script (one round trip); other
 *      backends are called before it.
 *   3. Reading helpers for tools and tests: count, list (decoded lazily, raw kept).
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import type { NormalizedError } from '../errors';
import { phpJsonEncode, phpString, parseJson } from '../json';
import { phpDateC } from '../time';

/** One failed job, as the worker knows it. */
export interface Failure {
  /** The exact queue bytes of the job. */
  raw: string;
  /** Whether `raw` is a JSON object (then embedded as is; else as a string). */
  rawIsObject: boolean;
  error: NormalizedError;
  workerId: string;
  queue: string;
  failedAt: Date;
}

/** Where failures go. Implement this to send them elsewhere (a database, an error tracker). */
export interface FailureBackend {
  save(failure: Failure): Promise<void>;
}

/** The record php-resque 2.x pushes, field order included. */
export function failureRecord(f: Failure): string {
  const [head, tail] = failureRecordParts(f);
  return head + (f.rawIsObject ? f.raw : phpString(f.raw)) + tail;
}

/** The record around its payload: [`{…"payload":`, `,"exception":…}`], for scripts that insert the bytes. */
export function failureRecordParts(f: Omit<Failure, 'raw' | 'rawIsObject'>): [string, string] {
  return [
    `{"failed_at":${phpString(phpDateC(f.failedAt))},"payload":`,
    `,"exception":${phpString(f.error.name)},"error":${phpString(f.error.message)},` +
      `"backtrace":${phpJsonEncode(f.error.backtrace)},"worker":${phpString(f.workerId)},"queue":${phpString(f.queue)}}`,
  ];
}

/** The default backend: RPUSH to `resque:failed`, readable by php-resque and Ruby tools. */
export class RedisFailureBackend implements FailureBackend {
  constructor(private readonly redis: () => Promise<Redis>, private readonly keys: Keys) {}

  async save(failure: Failure): Promise<void> {
    await (await this.redis()).rpush(this.keys.failed(), failureRecord(failure));
  }
}

/** A stored failure record: the raw bytes and their decoded form (null if not JSON). */
export interface StoredFailure {
  raw: string;
  record: Record<string, unknown> | null;
}

export async function failureCount(redis: Redis, keys: Keys): Promise<number> {
  return redis.llen(keys.failed());
}

export async function listFailures(redis: Redis, keys: Keys, start = 0, count = 100): Promise<StoredFailure[]> {
  const raws = await redis.lrange(keys.failed(), start, start + count - 1);
  return raws.map((raw) => {
    try {
      const v = parseJson(raw);
      return { raw, record: v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null };
    } catch {
      return { raw, record: null };
    }
  });
}
