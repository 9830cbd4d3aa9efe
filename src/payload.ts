/**
 * Job payloads: the JSON text in `resque:queue:NAME` (WIRE.md §3).
 *   1. encodePayload writes php-resque 2.x's shape: class, args ([args]), id, prefix, queue_time,
 *      in PHP's JSON spelling, so PHP, Ruby and Node workers all read it.
 *   2. decodePayload is the one decoder used everywhere. It accepts php-resque 1.x/2.x, Ruby
 *      and node-resque payloads, keeps the raw string (never re-encoded), and refuses anything
 *      else with an InvalidPayloadError quoting the input.
 */
import { randomFillSync } from 'node:crypto';
import { InvalidPayloadError } from './errors';
import { parseJson, phpJsonEncode } from './json';

/** Arguments as php-resque accepts them: an associative array (object), a list, or null. */
export type JobArgs = Record<string, unknown> | unknown[] | null;

/** Which implementation's shape a payload has. */
export type PayloadFlavor = 'php2' | 'php1' | 'ruby' | 'node';

/** A payload decoded from the queue. */
export interface DecodedJob {
  /** The exact queue bytes; what we store in `worker:ID` and failure records. */
  readonly raw: string;
  /** The class name as written (`\App\Jobs\SendEmail` keeps its backslashes). */
  readonly className: string;
  /** Positional arguments (`payload.args`); Ruby and node-resque call perform(...args). */
  readonly args: readonly unknown[];
  /** php-resque's `$job->args`: `args[0]`, or null when absent. */
  readonly arg0: unknown;
  /** Job id (php-resque payloads only). */
  readonly id: string | undefined;
  /** Status-key prefix (php-resque 2.x payloads; `''` otherwise). */
  readonly prefix: string;
  /** Enqueue time in float unix seconds, when the producer wrote one. */
  readonly queueTime: number | undefined;
  readonly flavor: PayloadFlavor;
  /** The whole decoded object, unknown fields included. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** What encodePayload needs. */
export interface NewPayload {
  className: string;
  /** php-resque's `$args`: written as `[args]`. */
  args: JobArgs;
  /** Instead: the positional args list itself (`"args":[a,b]`, as Ruby and node-resque write them). */
  positional?: readonly unknown[];
  id: string;
  prefix: string;
  /** Float unix seconds. */
  queueTime: number;
}

/** A new job id: 32 lowercase hex characters, like php-resque's md5(uniqid()). */
/** 256 ids' worth of randomness per fill: one randomFillSync costs as much as the hex of hundreds. */
const ID_POOL = Buffer.alloc(16 * 256);
let idOffset = ID_POOL.length;

export function newJobId(): string {
  if (idOffset === ID_POOL.length) {
    randomFillSync(ID_POOL);
    idOffset = 0;
  }
  const id = ID_POOL.toString('hex', idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

/** Float unix seconds with microseconds, like PHP's microtime(true). */
export function microtime(nowMs: number = Date.now()): number {
  return Math.round(nowMs * 1000) / 1e6;
}

/** Throws TypeError unless `args` is what php-resque accepts. */
export function assertJobArgs(args: unknown): asserts args is JobArgs {
  if (args === null || Array.isArray(args)) return;
  if (typeof args === 'object') {
    const proto = Object.getPrototypeOf(args) as unknown;
    if (proto === Object.prototype || proto === null) return;
  }
  const got = typeof args === 'object' ? `an instance of ${(args as object).constructor?.name ?? 'unknown'}` : typeof args;
  throw new TypeError(`Job args must be a plain object, an array or null (like php-resque's array|null), got ${got}`);
}

/** The queue item for a new job, exactly as php-resque 2.x writes it. */
export function encodePayload(p: NewPayload): string {
  // Field order and spelling are the wire format: class, args, id, prefix, queue_time.
  return (
    `{"class":${phpJsonEncode(p.className)},"args":${p.positional ? phpJsonEncode(p.positional) : `[${phpJsonEncode(p.args)}]`},` +
    `"id":${phpJsonEncode(p.id)},"prefix":${phpJsonEncode(p.prefix)},"queue_time":${phpJsonEncode(p.queueTime)}}`
  );
}

/** What encodeDelayedItem needs: a job for queue `queue`, and for a tracked one its id (and prefix). */
export interface NewDelayedItem {
  className: string;
  args: JobArgs;
  queue: string;
  /** A tracked job's id: the mover keeps it (peers' movers ignore it and make a new one). */
  id?: string;
  prefix?: string;
}

/**
 * A delayed item exactly as php-resque's Scheduler writes it — `{"class":C,"args":[args],"queue":Q}`
 * in PHP's JSON spelling — with `id` (and `prefix`) appended only for a tracked job of ours:
 * additive fields that the peers' movers ignore.
 */
export function encodeDelayedItem(p: NewDelayedItem): string {
  const tracked = p.id ? `,"id":${phpJsonEncode(p.id)}${p.prefix ? `,"prefix":${phpJsonEncode(p.prefix)}` : ''}` : '';
  return `{"class":${phpJsonEncode(p.className)},"args":[${phpJsonEncode(p.args)}],"queue":${phpJsonEncode(p.queue)}${tracked}}`;
}

/** Decode one queue item; throws InvalidPayloadError on anything that is not a job. */
export function decodePayload(raw: string): DecodedJob {
  let value: unknown;
  try {
    value = parseJson(raw);
  } catch (e) {
    throw new InvalidPayloadError(`not valid JSON (${(e as Error).message})`, raw);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidPayloadError(`expected a JSON object, got ${describe(value)}`, raw);
  }
  const fields = value as Record<string, unknown>;
  const cls = fields['class'];
  if (typeof cls !== 'string' || cls === '') {
    throw new InvalidPayloadError(`"class" must be a non-empty string, got ${describe(cls)}`, raw);
  }
  const rawArgs = fields['args'];
  let args: unknown[];
  if (rawArgs === undefined || rawArgs === null) args = [];
  else if (Array.isArray(rawArgs)) args = rawArgs;
  else throw new InvalidPayloadError(`"args" must be an array, got ${describe(rawArgs)}`, raw);
  const id = optionalString(fields, 'id', raw);
  const prefix = optionalString(fields, 'prefix', raw) ?? '';
  const qt = fields['queue_time'];
  const queueTime = typeof qt === 'number' ? qt : undefined;
  return {
    raw,
    className: cls,
    args,
    arg0: args.length > 0 ? args[0] : null,
    id,
    prefix,
    queueTime,
    flavor: flavorOf(fields),
    fields,
  };
}

function flavorOf(fields: Record<string, unknown>): PayloadFlavor {
  if ('prefix' in fields) return 'php2';
  if ('id' in fields) return 'php1';
  if ('queue' in fields) return 'node';
  return 'ruby';
}

function optionalString(fields: Record<string, unknown>, name: string, raw: string): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InvalidPayloadError(`"${name}" must be a string, got ${describe(v)}`, raw);
  if (name === 'id' && !/^[^\u0000-\u001f]{1,256}$/.test(v)) {
    throw new InvalidPayloadError(`"id" must be 1 to 256 printable characters`, raw);
  }
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string`;
  return `${typeof v}`;
}

/** A payload's attempt (1 when it names none: its first run). A retried job carries it (src/job/retry.ts). */
export function attemptOf(fields: Readonly<Record<string, unknown>>): number {
  const a = fields['attempt'];
  return typeof a === 'number' && Number.isInteger(a) && a >= 1 ? a : 1;
}
