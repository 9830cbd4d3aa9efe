/**
 * The error vocabulary. Every error we raise or record is one of these, so the
 * failure backend can name it (`exception` field) and callers can branch on it.
 * Names follow php-resque / Ruby Resque where a peer has the same concept.
 */

/** Base class: `name` is the class name, as peers record it in `exception`. */
export class ResqueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A queue item that is not a job payload (broken JSON, not an object, no class…). */
export class InvalidPayloadError extends ResqueError {
  /** At most 200 characters of the offending input. */
  readonly excerpt: string;
  constructor(reason: string, raw: string) {
    const excerpt = raw.length > 200 ? `${raw.slice(0, 200)}…(${raw.length} chars)` : raw;
    super(`Invalid job payload: ${reason}: ${JSON.stringify(excerpt)}`);
    this.excerpt = excerpt;
  }
}

/** Redis could not be reached; `address` never contains a password. */
export class RedisConnectionError extends ResqueError {
  readonly address: string;
  /** Why, in an operator's words (`connection refused (ECONNREFUSED)`). */
  readonly reason: string;
  constructor(address: string, reason: string) {
    super(`Could not connect to Redis at ${address}: ${reason}`);
    this.address = address;
    this.reason = reason;
  }
}

/** Throw from a `beforeEnqueue` hook to cancel the enqueue (php-resque DoNotCreateException). */
export class DoNotCreate extends ResqueError {}

/** Throw from `perform` to have the job retried (under its retry limit) whatever its policy says of the error (Ebats' RetryException). */
export class RetryError extends ResqueError {}

/** Throw from `perform` to fail the job at once, never retried (Ebats' TaskException). */
export class FatalError extends ResqueError {}

/** Throw from `setUp` or `beforePerform` to skip the job (php-resque DoNotPerformException). */
export class DontPerform extends ResqueError {}

/**
 * The job class named in the payload is not known to this worker. The message starts with
 * php-resque's `Could not find job class X.`; `detail` adds why or where (the loader's
 * `Refused: …`, or `Looked in DIR for App/Jobs/X.{js,…}.` and, at debug, every candidate).
 */
export class JobClassNotFoundError extends ResqueError {
  readonly className: string;
  constructor(className: string, detail?: string) {
    super(`Could not find job class ${className}.${detail ? ` ${detail}` : ''}`);
    this.className = className;
  }
}

/** The job class exists but has no perform method. */
export class JobMethodMissingError extends ResqueError {
  /** `method`: the one a think-queue `Class@method` name asks for (default perform, php-resque's text). */
  constructor(className: string, method = 'perform') {
    super(method === 'perform' ? `Job class ${className} does not contain a perform method.` : `Job class ${className} does not contain a ${method} method (the job's name is ${className}@${method}).`);
  }
}

/** The child running a job exited non-zero or was killed by a signal (Ruby's DirtyExit). */
export class DirtyExitError extends ResqueError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  constructor(exitCode: number | null, signal: string | null, detail?: string) {
    const what = signal ? `was killed by signal ${signal}` : `exited with exit code ${exitCode ?? 'unknown'}`;
    super(`Job ${what}${detail ? ` (${detail})` : ''}`);
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** A job ran longer than its time limit and was killed. */
export class JobTimeoutError extends ResqueError {
  readonly seconds: number;
  constructor(seconds: number) {
    super(`Job exceeded its time limit of ${seconds} s and was killed`);
    this.seconds = seconds;
  }
}

/** A job's child grew past the hard memory cap and was killed. */
export class JobMemoryError extends ResqueError {
  readonly rssMb: number;
  readonly limitMb: number;
  constructor(rssMb: number, limitMb: number) {
    super(`Job child used ${rssMb.toFixed(1)} MB, over the hard limit of ${limitMb} MB, and was killed`);
    this.rssMb = rssMb;
    this.limitMb = limitMb;
  }
}

/** A worker died (or vanished) while it held this job: found by pruning or recovery. */
export class PruneDeadWorkerDirtyExit extends ResqueError {}

/**
 * This worker was pruned as dead by another one (its heartbeat went stale: the process was frozen,
 * or cut off from Redis) and fenced: it takes no job and settles none under its id any more.
 * The worker stops; the jobs it held were settled by the pruner (a job it did finish since is
 * corrected, see the README's reliability table).
 */
export class WorkerFencedError extends ResqueError {
  readonly workerId: string;
  constructor(workerId: string) {
    super(`Worker ${workerId} was pruned as dead by another worker while it was frozen or cut off from Redis (its heartbeat went stale): it takes no more jobs under this id`);
    this.workerId = workerId;
  }
}

/**
 * `enqueueBulk` stopped part-way (Redis out of memory, a lost connection, …). Jobs go in chunks of
 * 4,000, each all or nothing, so the error says exactly which jobs are in Redis: retry with the
 * inputs at `notPushed` only. `uncertain` jobs were in a chunk whose reply was lost: Redis may
 * or may not have them (look them up by id before pushing them again). `cause` is Redis's error.
 */
export class BulkEnqueueError extends ResqueError {
  /** Ids of the jobs pushed, in input order. */
  readonly pushed: readonly string[];
  /** Indexes (into the jobs given) of those not pushed. */
  readonly notPushed: readonly number[];
  /** Indexes of those that may or may not have been pushed (a lost reply), with their ids. */
  readonly uncertain: ReadonlyArray<{ index: number; id: string }>;
  override readonly cause: Error;
  constructor(o: { pushed: readonly string[]; notPushed: readonly number[]; uncertain: ReadonlyArray<{ index: number; id: string }>; cause: Error }) {
    super(`enqueueBulk stopped after ${o.pushed.length} job(s): ${o.notPushed.length} not pushed${o.uncertain.length > 0 ? `, ${o.uncertain.length} uncertain (reply lost)` : ''}: ${o.cause.message}`);
    this.pushed = o.pushed;
    this.notPushed = o.notPushed;
    this.uncertain = o.uncertain;
    this.cause = o.cause;
  }
}

/** An option has a bad value; the message names the option and the value. */
export class OptionError extends ResqueError {}

/** What a thrown value looks like once normalised for a failure record. */
export interface NormalizedError {
  name: string;
  message: string;
  backtrace: string[];
}

/** Normalise anything thrown (Error, string, object, undefined) exactly once. */
export function normalizeError(thrown: unknown): NormalizedError {
  if (thrown instanceof Error) {
    const lines = (thrown.stack ?? '').split('\n');
    // V8 stacks start with "Name: message"; the frames follow, each "    at …".
    const frames = lines.filter((l) => /^\s+at /.test(l)).map((l) => l.trim());
    return { name: thrown.name || 'Error', message: thrown.message, backtrace: frames };
  }
  if (thrown !== null && typeof thrown === 'object') {
    const o = thrown as { name?: unknown; message?: unknown; backtrace?: unknown };
    return {
      name: typeof o.name === 'string' ? o.name : 'Error',
      message: typeof o.message === 'string' ? o.message : safeString(thrown),
      backtrace: Array.isArray(o.backtrace) ? o.backtrace.map(String) : [],
    };
  }
  return { name: 'Error', message: safeString(thrown), backtrace: [] };
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
