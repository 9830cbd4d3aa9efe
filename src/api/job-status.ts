/**
 * A job's php-resque status as the admin API shows it (`resque status ID`, the job page): the
 * packet `job:[PREFIX_]ID:status` decoded, with the code's name and our additive fields.
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { parseObject } from './raw-json';

export type StatusName = 'waiting' | 'running' | 'failed' | 'complete' | 'unknown';

export interface JobStatusView {
  /** The key read. */
  readonly key: string;
  /** The stored text. */
  readonly raw: string;
  readonly code: number | null;
  readonly name: StatusName;
  /** Unix seconds. */
  readonly updated: number | null;
  readonly started: number | null;
  readonly result: unknown;
  /** Ours (additive): the attempt it runs as next, when it is waiting for a retry, and when. */
  readonly attempt: number | null;
  readonly retryAt: number | null;
  /** Seconds the key has left (-1: none), for a final status the 24 h php-resque keeps it. */
  readonly ttl: number;
  readonly final: boolean;
}

const NAMES: Record<number, StatusName> = { 1: 'waiting', 2: 'running', 3: 'failed', 4: 'complete' };

/** `id` as the key spells it: `ID`, or `PREFIX_ID` for a payload with a prefix. */
export async function readJobStatus(redis: Redis, keys: Keys, id: string): Promise<JobStatusView | null> {
  const key = keys.status(id);
  const [raw, ttl] = await Promise.all([redis.get(key), redis.ttl(key)]);
  if (raw === null) return null;
  const o = parseObject(raw);
  const fields: Readonly<Record<string, unknown>> = o.value ?? {};
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const code = num(fields['status']);
  return {
    key, raw, code, name: code !== null ? NAMES[code] ?? 'unknown' : 'unknown',
    updated: num(fields['updated']), started: num(fields['started']), result: fields['result'] ?? null,
    attempt: num(fields['attempt']), retryAt: num(fields['retry_at']), ttl, final: code === 3 || code === 4,
  };
}
