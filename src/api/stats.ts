/**
 * Totals, like Ruby's `Resque.info` (WIRE.md §8), in two round trips:
 *   1. the global counters `stat:processed` / `stat:failed`, `LLEN failed`, the queue names and
 *      the registered worker ids;
 *   2. every queue's LLEN (summed into `pending`) and which workers have a `worker:WID`
 *      (`working`), counted with multi-key EXISTS.
 * Per-worker counters (`stat:processed:WID`) with node-resque's naming fallback (its counters
 * use `host:pid`, not the registered `host:pid:queues`).
 * Peers count differently: php-resque and Ruby count every finished job as processed, node-resque
 * only successes; these are the stored numbers, not reinterpreted.
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { parseWorkerId } from '../store/workers';
import { counter, pipelined, replyNumber, replyString, type Reply } from './fields';

/** `Resque.info`: what the namespace holds right now. */
export interface ResqueStats {
  /** `stat:processed`. */
  readonly processed: number;
  /** `stat:failed`. */
  readonly failed: number;
  /** Jobs waiting, summed over every queue named in `queues`. */
  readonly pending: number;
  /** Number of queue names in `queues`. */
  readonly queues: number;
  /** Number of registered workers (`workers` set). */
  readonly workers: number;
  /** Registered workers that have a current job (`worker:WID` exists). */
  readonly working: number;
  /** Records in the `failed` list (differs from `failed`: Ruby skips some counts, lists get cleared). */
  readonly failedRecords: number;
  /** The Redis this was read from (Ruby's `servers`), never with credentials. */
  readonly servers: readonly string[];
  /** Distinct hosts of the registered workers, sorted. */
  readonly hosts: readonly string[];
  /** What could not be read (a counter that is not an integer, a key of the wrong type). */
  readonly problems: readonly string[];
}

/** One worker's counters and the name they are stored under. */
export interface WorkerCounters {
  readonly processed: number;
  readonly failed: number;
  /** The suffix of `stat:processed:…` read: the id, or node-resque's `host:pid`. */
  readonly statsName: string;
  readonly problems: readonly string[];
}

const EXISTS_CHUNK = 1000;

export async function readStats(redis: Redis, keys: Keys, server: string): Promise<ResqueStats> {
  const problems: string[] = [];
  const first = await pipelined(redis, (p) => {
    p.get(keys.stat('processed')).get(keys.stat('failed')).llen(keys.failed()).smembers(keys.queues()).smembers(keys.workers());
  });
  const queueNames = members(first[3], keys.queues(), problems);
  const workerIds = members(first[4], keys.workers(), problems);
  const second = await pipelined(redis, (p) => {
    for (const q of queueNames) p.llen(keys.queue(q));
    for (let i = 0; i < workerIds.length; i += EXISTS_CHUNK) p.exists(...workerIds.slice(i, i + EXISTS_CHUNK).map((id) => keys.worker(id)));
  });
  const sum = (replies: Reply[], what: (i: number) => string): number =>
    replies.reduce((acc, r, i) => acc + replyNumber(r, what(i), problems), 0);
  return {
    processed: counter(replyString(first[0], keys.stat('processed'), problems), keys.stat('processed'), problems),
    failed: counter(replyString(first[1], keys.stat('failed'), problems), keys.stat('failed'), problems),
    pending: sum(second.slice(0, queueNames.length), (i) => keys.queue(queueNames[i] ?? '')),
    queues: queueNames.length,
    workers: workerIds.length,
    working: sum(second.slice(queueNames.length), () => 'EXISTS worker:*'),
    failedRecords: replyNumber(first[2], keys.failed(), problems),
    servers: [server],
    hosts: hostsOf(workerIds),
    problems,
  };
}

/**
 * Counters of worker `id`: `stat:processed:ID`; when neither counter exists under the id and
 * the id is `host:pid:queues`, node-resque's `stat:processed:host:pid`. A node-resque name
 * (`host:pid`) can be given directly too.
 */
export async function readWorkerCounters(redis: Redis, keys: Keys, id: string): Promise<WorkerCounters> {
  const alt = nodeName(id);
  const replies = await pipelined(redis, (p) => {
    p.get(keys.stat('processed', id)).get(keys.stat('failed', id));
    if (alt !== undefined) p.get(keys.stat('processed', alt)).get(keys.stat('failed', alt));
  });
  return pickCounters(keys, id, alt, replies, [], false);
}

/**
 * The counters to show, from the replies of GET processed/failed under `id` and then under
 * `alt` (node-resque's name): `alt`'s when `preferAlt`, or when only `alt`'s exist.
 */
export function pickCounters(
  keys: Keys, id: string, alt: string | undefined, replies: readonly Reply[], problems: string[], preferAlt: boolean,
): WorkerCounters {
  const read = (i: number, name: string | undefined): string | null =>
    name === undefined ? null : replyString(replies[i], keys.stat(i % 2 === 0 ? 'processed' : 'failed', name), problems);
  const own = [read(0, id), read(1, id)] as const;
  const other = [read(2, alt), read(3, alt)] as const;
  const ownExists = own[0] !== null || own[1] !== null;
  const otherExists = other[0] !== null || other[1] !== null;
  const useAlt = alt !== undefined && (preferAlt || (!ownExists && otherExists));
  const name = useAlt && alt !== undefined ? alt : id;
  const [p, f] = useAlt ? other : own;
  return {
    processed: counter(p, keys.stat('processed', name), problems),
    failed: counter(f, keys.stat('failed', name), problems),
    statsName: name,
    problems,
  };
}

/** node-resque's worker name for a registered id `host:pid:queues`: `host:pid`. */
export function nodeName(id: string): string | undefined {
  const parts = parseWorkerId(id);
  return parts && id.split(':').length >= 3 ? `${parts.host}:${parts.pid}` : undefined;
}

function members(reply: Reply | undefined, what: string, problems: string[]): string[] {
  if (!reply) return [];
  const [err, value] = reply;
  if (err) {
    problems.push(`${what}: ${err.message}`);
    return [];
  }
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function hostsOf(ids: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const id of ids) {
    const parts = parseWorkerId(id);
    if (parts) hosts.add(parts.host);
  }
  return [...hosts].sort();
}
