/**
 * The worker registry as the admin API shows it (WIRE.md §5), for php-resque, Ruby Resque,
 * node-resque and resque-ts workers alike, in one pipeline for all of them:
 *   1. the id: `host:pid:queues`, split on `:` into at most 3 parts (queues may hold `:`), queues
 *      split on `,`;
 *   2. `worker:WID:started` (every peer's spelling), the heartbeat (Ruby's and our
 *      `workers:heartbeat` field; node-resque's `worker:ping:host:pid` JSON; php-resque has none),
 *      `worker:WID` (what it works on: queue, run_at, payload kept as bytes), our
 *      `worker:WID:usage` hash, and the per-worker counters (node-resque's under `host:pid`);
 *   3. which implementation wrote it, judged from those shapes (`peer`).
 * A field that is absent, of the wrong type or unreadable becomes a line in that worker's
 * `problems`; one bad worker never hides the others.
 */
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { Keys } from '../redis/keys';
import { listWorkers, parseWorkerId } from '../store/workers';
import { embeddedPayload, type EmbeddedPayload } from './embedded-payload';
import { pipelined, readTime, replyHash, replyString, stringField, timeField, type Reply } from './fields';
import { parseObject } from './raw-json';
import { nodeName, pickCounters } from './stats';
import { fromUnixSeconds, type WireTime } from './wire-time';

/** Which implementation wrote a record, judged from its shapes (a best guess, never a promise). */
export type PeerKind = 'php-resque' | 'php-resque-1' | 'ruby-resque' | 'node-resque' | 'resque-ts' | 'unknown';

/** One worker from the registry. */
export interface RegisteredWorker {
  /** The member of the `workers` set (the key suffix of `worker:ID`). */
  readonly id: string;
  /** Whether the id is in the `workers` set (false only for worker(id) of an unregistered id). */
  readonly registered: boolean;
  readonly host: string | null;
  readonly pid: number | null;
  /** The id's queue list, split on `,` (`*` is kept as written by php-resque and Ruby). */
  readonly queues: readonly string[];
  readonly peer: PeerKind;
  /** `worker:ID:started`, or null when absent. */
  readonly started: WireTime | null;
  readonly heartbeat: WorkerHeartbeat | null;
  /** What it works on (`worker:ID`), or null when idle. */
  readonly job: WorkingOn | null;
  /** Our resource sample of its job process (`worker:ID:usage`), or null. */
  readonly usage: WorkerUsage | null;
  /** `stat:processed:<statsName>`. */
  readonly processed: number;
  /** `stat:failed:<statsName>`. */
  readonly failed: number;
  /** The id, or node-resque's `host:pid`, under which its counters are kept. */
  readonly statsName: string;
  /** Everything that could not be read. Empty for a healthy worker. */
  readonly problems: readonly string[];
}

/** A liveness signal: Ruby's and our `workers:heartbeat` hash, or node-resque's ping key. */
export interface WorkerHeartbeat {
  readonly source: 'workers:heartbeat' | 'worker:ping';
  /** The stored text (the hash value, or the whole ping JSON). */
  readonly raw: string;
  readonly at: WireTime | null;
}

/** The `worker:ID` value: the job a worker is running. */
export interface WorkingOn {
  /** The exact stored text. */
  readonly raw: string;
  readonly queue: string | null;
  /** `run_at` in the writer's spelling (date('c'), ISO `Z`, strftime, JS Date#toString). */
  readonly runAt: WireTime | null;
  readonly payload: EmbeddedPayload | null;
  /** node-resque's `worker` field (its `host:pid` name); null for the others. */
  readonly worker: string | null;
  /** The decoded object, unknown fields included; null when the text is not a JSON object. */
  readonly fields: Readonly<Record<string, unknown>> | null;
}

/** Our `worker:ID:usage` hash: the last sample of the job process. */
export interface WorkerUsage {
  readonly pid: number | null;
  readonly rssMb: number | null;
  /** CPU percent (pidusage). */
  readonly cpu: number | null;
  readonly at: Date | null;
  /** The hash as stored. */
  readonly raw: Readonly<Record<string, string>>;
}

/** Commands queued per worker, in this order. */
const PER_WORKER = 8;

export async function readWorkers(redis: Redis, keys: Keys): Promise<RegisteredWorker[]> {
  const ids = (await listWorkers(redis, keys)).sort();
  return readSome(redis, keys, ids, () => true);
}

/** One worker by id, registered or not; null when nothing at all is stored for it. */
export async function readWorker(redis: Redis, keys: Keys, id: string): Promise<RegisteredWorker | null> {
  const registered = (await redis.sismember(keys.workers(), id)) === 1;
  const [w] = await readSome(redis, keys, [id], () => registered);
  if (!w || registered) return w ?? null;
  const anything = w.started || w.heartbeat || w.job || w.usage || w.processed || w.failed;
  return anything ? w : null;
}

async function readSome(redis: Redis, keys: Keys, ids: readonly string[], registered: (id: string) => boolean): Promise<RegisteredWorker[]> {
  const replies = await pipelined(redis, (p) => {
    p.hgetall(keys.heartbeat());
    for (const id of ids) queueWorker(p, keys, id);
  });
  const beatProblems: string[] = [];
  const beats = replyHash(replies[0], keys.heartbeat(), beatProblems) ?? {};
  return ids.map((id, i) => {
    const mine = replies.slice(1 + i * PER_WORKER, 1 + (i + 1) * PER_WORKER);
    return buildWorker(keys, id, registered(id), mine, beats[id] ?? null, beatProblems);
  });
}

function queueWorker(p: ChainableCommander, keys: Keys, id: string): void {
  const name = nodeName(id) ?? id;
  p.get(keys.worker(id)).get(keys.workerStarted(id)).hgetall(keys.workerUsage(id)).get(keys.workerPing(name));
  p.get(keys.stat('processed', id)).get(keys.stat('failed', id)).get(keys.stat('processed', name)).get(keys.stat('failed', name));
}

function buildWorker(
  keys: Keys, id: string, registered: boolean, r: readonly Reply[], beatText: string | null, shared: readonly string[],
): RegisteredWorker {
  const problems: string[] = [...shared];
  const parts = parseWorkerId(id);
  if (!parts) problems.push(`the id is not host:pid:queues`);
  const name = nodeName(id);
  const workingText = replyString(r[0], keys.worker(id), problems);
  const startedText = replyString(r[1], keys.workerStarted(id), problems);
  const usageHash = replyHash(r[2], keys.workerUsage(id), problems);
  const pingText = name === undefined ? null : replyString(r[3], keys.workerPing(name), problems);
  const started = startedText === null ? null : readTime(startedText, keys.workerStarted(id), problems);
  const job = workingText === null ? null : workingOn(workingText, keys.worker(id), problems);
  const heartbeat = pingText !== null ? ping(pingText, keys.workerPing(name ?? id), problems) : beat(beatText, id, problems);
  const peer = guessPeer({ started, pingText, job, usage: usageHash, beat: beatText });
  const counters = pickCounters(keys, id, name, r.slice(4, 8), problems, peer === 'node-resque');
  return {
    id,
    registered,
    host: parts?.host ?? null,
    pid: parts?.pid ?? null,
    queues: parts && parts.queues !== '' ? parts.queues.split(',') : [],
    peer,
    started,
    heartbeat,
    job,
    usage: usageHash ? usage(usageHash, keys.workerUsage(id), problems) : null,
    processed: counters.processed,
    failed: counters.failed,
    statsName: counters.statsName,
    problems,
  };
}

/** Decode `worker:ID`: `{queue, run_at, payload}` (+ `worker` from node-resque). */
export function workingOn(raw: string, what: string, problems: string[]): WorkingOn {
  const parsed = parseObject(raw);
  if (parsed.value === null) {
    problems.push(`${what} is ${parsed.error}`);
    return { raw, queue: null, runAt: null, payload: null, worker: null, fields: null };
  }
  const record = parsed.value;
  const mine: string[] = [];
  const payload = embeddedPayload(raw, record);
  if (payload === null) mine.push('no "payload" field');
  else if (payload.error !== null) mine.push(`"payload": ${payload.error}`);
  const view: WorkingOn = {
    raw,
    queue: stringField(record, 'queue', mine),
    runAt: timeField(record, 'run_at', mine),
    payload,
    worker: stringField(record, 'worker', mine, false),
    fields: record,
  };
  problems.push(...mine.map((m) => `${what}: ${m}`));
  return view;
}

function beat(text: string | null, id: string, problems: string[]): WorkerHeartbeat | null {
  if (text === null) return null;
  return { source: 'workers:heartbeat', raw: text, at: readTime(text, `heartbeat of ${id}`, problems) };
}

/** node-resque's `{"time":<unix s>,"name":"host:pid","queues":"a,b"}`. */
function ping(text: string, what: string, problems: string[]): WorkerHeartbeat {
  const parsed = parseObject(text);
  if (parsed.value === null) {
    problems.push(`${what} is ${parsed.error}`);
    return { source: 'worker:ping', raw: text, at: null };
  }
  const time = parsed.value['time'];
  if (typeof time !== 'number') problems.push(`${what}: "time" should be unix seconds`);
  return { source: 'worker:ping', raw: text, at: typeof time === 'number' ? fromUnixSeconds(time) : null };
}

function usage(hash: Record<string, string>, what: string, problems: string[]): WorkerUsage {
  const num = (field: string): number | null => {
    const v = hash[field];
    if (v === undefined) return null;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) {
      problems.push(`${what}: "${field}" is not a number: ${JSON.stringify(v.slice(0, 50))}`);
      return null;
    }
    return n;
  };
  const at = num('at');
  return { pid: num('pid'), rssMb: num('rss_mb'), cpu: num('cpu'), at: at === null ? null : new Date(at * 1000), raw: hash };
}

interface PeerClues {
  started: WireTime | null;
  pingText: string | null;
  job: WorkingOn | null;
  usage: Record<string, string> | null;
  beat: string | null;
}

/**
 * From the shapes only (WIRE.md §5.3): node-resque has a ping key, unix-seconds `started` and a
 * `worker` field in its working-on; Ruby writes `started` as Time#to_s; php-resque 1.x as
 * strftime; php-resque 2.x and resque-ts both as date('c'), but only resque-ts also keeps a
 * heartbeat field or a usage hash.
 */
export function guessPeer(c: PeerClues): PeerKind {
  const format = c.started?.format;
  if (c.pingText !== null || format === 'unix' || (c.job?.worker ?? null) !== null) return 'node-resque';
  if (format === 'ruby-time') return 'ruby-resque';
  if (format === 'strftime') return 'php-resque-1';
  if (c.usage !== null || (format === 'iso8601' && c.beat !== null)) return 'resque-ts';
  if (format === 'iso8601') return 'php-resque';
  return 'unknown';
}
