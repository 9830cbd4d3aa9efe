/**
 * Failed-job admin over the `failed` list (records of php-resque 1.x/2.x, Ruby Resque,
 * node-resque and ours alike, read by src/api/failures.ts):
 *   1. a reference names a record by its bytes: `INDEX:SHA16` (its position when read, a hint,
 *      and the first 16 hex digits of the SHA-1 of its bytes); every change is one script that
 *      checks the bytes at that position first (src/redis/scripts/failed-act.ts); a record that
 *      moved is looked up again by its bytes, one that is gone is counted `missing` — acting
 *      twice on one reference changes nothing;
 *   2. filters (queue, class, exception, since, until, search) over the list read in chunks of
 *      FAILED_CHUNK; bulk changes go in scripts of ACT_BATCH records, highest index first, so no
 *      call holds Redis for more than a few milliseconds;
 *   3. retry re-enqueues the payload embedded in the record with its bytes and id (its php-resque
 *      status turns WAITING again) and removes the record, or with `keep` stamps `retried_at` as
 *      Ruby's resque-web does; a record whose payload is not a job object is refused, with why.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { failedAct } from '../redis/scripts/failed-act';
import { failureEntry, type FailureEntry } from './failures';
import { OptionError } from '../errors';

/** Records read per LRANGE. */
export const FAILED_CHUNK = 1000;
/** Records changed per script call. */
export const ACT_BATCH = 200;

/** Which records: every given field must match. */
export interface FailedFilter {
  readonly queue?: string;
  /** The payload's class. */
  readonly class?: string;
  /** The record's exception name. */
  readonly exception?: string;
  /** failed_at at or after / before (a Date, or unix seconds). */
  readonly since?: Date | number;
  readonly until?: Date | number;
  /** A text the record's bytes contain (case-sensitive). */
  readonly search?: string;
}

/** A failure record with its reference. */
export type FailedRecord = FailureEntry & { readonly ref: string };

export interface FailedChange {
  /** Records retried or removed. */
  readonly done: number;
  /** References whose record was gone already (another admin, or this one twice). */
  readonly missing: number;
  /** Records that could not be retried, and why. */
  readonly refused: ReadonlyArray<{ readonly ref: string; readonly reason: string }>;
}

const sha16 = (raw: string): string => createHash('sha1').update(raw).digest('hex').slice(0, 16);
export const refOf = (index: number, raw: string): string => `${index}:${sha16(raw)}`;

function parseRef(ref: string): { index: number; sha: string } {
  const m = /^(\d+):([0-9a-f]{16})$/.exec(ref);
  if (!m) throw new OptionError(`Not a failure reference: ${JSON.stringify(ref)} (expected INDEX:SHA16, as \`resque failed list\` prints)`);
  return { index: Number(m[1]), sha: m[2] as string };
}

const seconds = (t: Date | number): number => (t instanceof Date ? t.getTime() / 1000 : t);

export function matchesFilter(e: FailureEntry, f: FailedFilter): boolean {
  if (f.search !== undefined && !e.raw.includes(f.search)) return false;
  if (f.queue === undefined && f.class === undefined && f.exception === undefined && f.since === undefined && f.until === undefined) return true;
  const d = e.failure;
  if (!d) return false;
  if (f.queue !== undefined && d.queue !== f.queue) return false;
  if (f.class !== undefined && d.payload?.job?.className !== f.class) return false;
  if (f.exception !== undefined && d.exception !== f.exception) return false;
  const at = d.failedAt?.at ? d.failedAt.at.getTime() / 1000 : undefined;
  if (f.since !== undefined && (at === undefined || at < seconds(f.since))) return false;
  if (f.until !== undefined && (at === undefined || at >= seconds(f.until))) return false;
  return true;
}

/** How a name appears inside any peer's JSON record, when that is certain (else undefined). */
function spelled(name: string | undefined): string | undefined {
  if (name === undefined || !/^[ -~]*$/.test(name) || name.includes('/')) return undefined;
  return JSON.stringify(name);
}

/** Walk the list in chunks; `visit` returns false to stop. */
async function walk(redis: Redis, keys: Keys, visit: (e: FailureEntry) => boolean | void, filter?: FailedFilter): Promise<void> {
  // Checked on the bytes first, so records that cannot match are never decoded: the text filter,
  // and the queue, class and exception names as every peer's JSON spells them (printable ASCII
  // without '/', which PHP and cjson escape: there the record is decoded to know).
  const needles = [filter?.search, ...[filter?.queue, filter?.class, filter?.exception].map(spelled)].filter((n): n is string => n !== undefined);
  for (let start = 0; ; start += FAILED_CHUNK) {
    const raws = await redis.lrange(keys.failed(), start, start + FAILED_CHUNK - 1);
    for (const [i, raw] of raws.entries()) {
      if (needles.some((n) => !raw.includes(n))) continue;
      if (visit(failureEntry(start + i, raw)) === false) return;
    }
    if (raws.length < FAILED_CHUNK) return;
  }
}

export async function listFailed(redis: Redis, keys: Keys, filter: FailedFilter & { offset?: number; limit?: number } = {}): Promise<FailedRecord[]> {
  const offset = filter.offset ?? 0;
  const limit = filter.limit ?? 100;
  const out: FailedRecord[] = [];
  let seen = 0;
  if (limit <= 0) return out;
  const { offset: _o, limit: _l, ...rest } = filter;
  if (Object.keys(rest).length === 0) {
    // No filter: the page is a range of the list (a page deep in 100,000 records reads only it).
    const raws = await redis.lrange(keys.failed(), offset, offset + limit - 1);
    return raws.map((raw, i) => { const e = failureEntry(offset + i, raw); return { ...e, ref: refOf(e.index, e.raw) }; });
  }
  await walk(redis, keys, (e) => {
    if (!matchesFilter(e, filter)) return true;
    if (seen++ >= offset) out.push({ ...e, ref: refOf(e.index, e.raw) });
    return out.length < limit;
  }, filter);
  return out;
}

export async function countFailed(redis: Redis, keys: Keys, filter: FailedFilter = {}): Promise<number> {
  if (Object.keys(filter).length === 0) return redis.llen(keys.failed());
  let n = 0;
  await walk(redis, keys, (e) => { if (matchesFilter(e, filter)) n++; }, filter);
  return n;
}

/** Where the records with these SHA-1 prefixes are now (one pass over the raw bytes, nothing decoded). */
async function indexesOf(redis: Redis, keys: Keys, shas: ReadonlySet<string>): Promise<Map<string, number>> {
  const where = new Map<string, number>();
  for (let start = 0; where.size < shas.size; start += FAILED_CHUNK) {
    const raws = await redis.lrange(keys.failed(), start, start + FAILED_CHUNK - 1);
    raws.forEach((raw, i) => {
      const sha = sha16(raw);
      if (shas.has(sha) && !where.has(sha)) where.set(sha, start + i);
    });
    if (raws.length < FAILED_CHUNK) break;
  }
  return where;
}

/** The record a reference names (looked up by its bytes if it moved), or null when it is gone. */
export async function getFailed(redis: Redis, keys: Keys, ref: string): Promise<FailedRecord | null> {
  const { index, sha } = parseRef(ref);
  const at = await redis.lindex(keys.failed(), index);
  if (at !== null && sha16(at) === sha) return { ...failureEntry(index, at), ref: refOf(index, at) };
  const now = (await indexesOf(redis, keys, new Set([sha]))).get(sha);
  if (now === undefined) return null;
  const raw = await redis.lindex(keys.failed(), now);
  return raw !== null && sha16(raw) === sha ? { ...failureEntry(now, raw), ref: refOf(now, raw) } : null;
}

const REFUSALS: Readonly<Record<number, string>> = {
  [-2]: 'its payload is not a job object (the record of a malformed payload): it cannot run',
  [-3]: 'the record names no queue',
};

/** Retry (`keep`: and stamp retried_at) or remove the records `target` names (refs, or a filter). */
async function act(redis: Redis, keys: Keys, action: 'remove' | 'retry' | 'keep', target: string | readonly string[] | FailedFilter): Promise<FailedChange> {
  let pairs: Array<{ index: number; sha: string }>;
  if (typeof target === 'string' || Array.isArray(target)) {
    pairs = (typeof target === 'string' ? [target] : (target as readonly string[])).map(parseRef);
  } else {
    pairs = [];
    await walk(redis, keys, (e) => { if (matchesFilter(e, target as FailedFilter)) pairs.push({ index: e.index, sha: sha16(e.raw) }); }, target as FailedFilter);
  }
  let done = 0;
  let missing = 0;
  const refused: Array<{ ref: string; reason: string }> = [];
  const retriedAt = JSON.stringify(rubyTime(new Date()));
  const run = async (batch: Array<{ index: number; sha: string }>): Promise<Array<{ index: number; sha: string }>> => {
    batch.sort((a, b) => b.index - a.index);
    const results = (await failedAct.call(redis, {
      keys: { failed: keys.failed(), queues: keys.queues() },
      args: { ns: keys.ns, action, retriedAt, sentinel: `resque-ts:removing:${randomBytes(16).toString('hex')}`, now: Math.floor(Date.now() / 1000) },
      restArgs: batch.flatMap((p) => [p.index, p.sha]),
    })) as number[];
    const moved: Array<{ index: number; sha: string }> = [];
    batch.forEach((p, i) => {
      const r = Number(results[i]);
      if (r === 1) done++;
      else if (r === 0) moved.push(p);
      else refused.push({ ref: `${p.index}:${p.sha}`, reason: REFUSALS[r] ?? `refused (${r})` });
    });
    return moved;
  };
  // Highest index first: a removal shifts only the records after it, which are done by then.
  pairs.sort((a, b) => b.index - a.index);
  let moved: Array<{ index: number; sha: string }> = [];
  for (let i = 0; i < pairs.length; i += ACT_BATCH) moved.push(...(await run(pairs.slice(i, i + ACT_BATCH))));
  // Records not where they were read (the list moved): found again by their bytes in one pass
  // over the list, and tried there; a few rounds, for a list that keeps moving; the rest are gone.
  for (let round = 0; round < 10 && moved.length > 0; round++) {
    const where = await indexesOf(redis, keys, new Set(moved.map((p) => p.sha)));
    const again = moved.filter((p) => where.has(p.sha)).map((p) => ({ index: where.get(p.sha) as number, sha: p.sha }));
    missing += moved.length - again.length;
    moved = [];
    for (let i = 0; i < again.length; i += ACT_BATCH) moved.push(...(await run(again.slice(i, i + ACT_BATCH))));
  }
  missing += moved.length;
  return { done, missing, refused };
}

export const retryFailed = (redis: Redis, keys: Keys, target: string | readonly string[] | FailedFilter, opts: { keep?: boolean } = {}): Promise<FailedChange> =>
  act(redis, keys, opts.keep ? 'keep' : 'retry', target);
export const removeFailed = (redis: Redis, keys: Keys, target: string | readonly string[] | FailedFilter): Promise<FailedChange> => act(redis, keys, 'remove', target);

/** Remove the records that were retried and kept (they carry retried_at). */
export async function clearRetried(redis: Redis, keys: Keys): Promise<number> {
  const refs: string[] = [];
  await walk(redis, keys, (e) => { if (e.failure?.retriedAt) refs.push(refOf(e.index, e.raw)); });
  return (await removeFailed(redis, keys, refs)).done;
}

/** Ruby's Time#strftime("%Y/%m/%d %H:%M:%S %Z") in UTC, as resque-web stamps retried_at. */
function rubyTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
}
