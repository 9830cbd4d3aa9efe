/**
 * The logger: one line per event, to stdout by default, in php-resque's text shape or as JSON.
 *   1. Levels: the level is the most detailed severity printed (error < warning < notice < info
 *      < debug). notice is php-resque's normal level, info its VERBOSE, debug VVERBOSE; warning
 *      (--quiet) drops notices and the per-job lines.
 *   2. Text lines are `[level] message`, or `[level] [H:i:s Y-m-d] message` (UTC) with timestamps:
 *      at info and debug (php-resque), and at every level when the stream is not a terminal
 *      (systemd, Docker, a pipe). Decided once, in the constructor (option `timestamps`).
 *   3. `{key}` placeholders in a message are filled from its context (PSR-3, as php-resque);
 *      in text format the rest of the context is not printed, in JSON every key is a field.
 *   4. jobLine prints one line per finished job in yii2-queue's shape, at notice level:
 *      `[ID] Class (queue: Q, attempt: 1, pid: N) - Done (0.249 s)` | `- Error (0.012 s): why` | `- Skipped`;
 *      slowJob one warning per job still running past --slow-job-log:
 *      `[ID] Class (queue: Q, pid: N) still running after 10.0 s`.
 *   5. Every line goes through redactSecrets: Redis passwords never reach the log.
 *   6. Logging never throws: failing writes and stream errors are ignored.
 *   7. Job lines are written together once per turn of the event loop (a batch of fast jobs costs
 *      one write, not one per job); any other line, and process exit, writes them first.
 */
import type { LogFormat, LogLevel } from './config';

export type Severity = 'error' | 'warning' | 'notice' | 'info' | 'debug';
export type LogContext = Readonly<Record<string, unknown>>;

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Default: process.stdout. */
  stream?: NodeJS.WritableStream;
  /** `[H:i:s Y-m-d]` on text lines. Default: at info and debug, or when the stream is not a terminal. */
  timestamps?: boolean;
  /** Clock for the timestamps (tests inject one). */
  now?: () => Date;
}

/** One finished (or skipped) job. */
export interface JobLine {
  id: string | undefined;
  className: string;
  /** The queue it was taken from (undefined: not known). */
  queue: string | undefined;
  attempt: number;
  pid: number | undefined;
  outcome: 'Done' | 'Failed' | 'Skipped' | 'Retrying';
  seconds: number;
  error?: string;
}

/** A job still running past the slow-job threshold. */
export interface SlowJobLine {
  id: string | undefined;
  className: string;
  queue: string;
  pid: number | undefined;
  /** How long it has been running. */
  seconds: number;
}

const RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, notice: 2, info: 3, debug: 4 };
const RESERVED = new Set(['time', 'level', 'msg']);

/** Streams we already guard against 'error' events (one listener per stream, however many loggers). */
const guarded = new WeakSet<object>();

/** Loggers holding job lines not written yet (written at exit whatever happens). */
const holding = new Set<Logger>();
let exitHooked = false;

export class Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Text lines carry `[H:i:s Y-m-d]`. */
  readonly timestamps: boolean;
  private readonly stream: NodeJS.WritableStream;
  private readonly now: () => Date;
  /** Per-job lines are printed (notice level or more detailed): checked once per job. */
  private readonly jobLines: boolean;
  private held: string[] = [];

  constructor(options: LoggerOptions) {
    this.level = options.level;
    this.format = options.format;
    this.stream = options.stream ?? process.stdout;
    this.now = options.now ?? (() => new Date());
    this.timestamps = options.timestamps ?? (RANK[this.level] >= RANK.info || !isTerminal(this.stream));
    this.jobLines = this.enabled('notice');
    guardStream(this.stream);
  }

  /** Whether lines of this severity are printed at the configured level. */
  enabled(severity: Severity): boolean {
    return RANK[severity] <= RANK[this.level];
  }

  error(msg: string, ctx?: LogContext): void { this.log('error', msg, ctx); }
  warning(msg: string, ctx?: LogContext): void { this.log('warning', msg, ctx); }
  notice(msg: string, ctx?: LogContext): void { this.log('notice', msg, ctx); }
  info(msg: string, ctx?: LogContext): void { this.log('info', msg, ctx); }
  debug(msg: string, ctx?: LogContext): void { this.log('debug', msg, ctx); }

  /** The per-job line, at notice level. */
  jobLine(job: JobLine): void {
    if (!this.jobLines) return;
    try {
      this.hold(this.format === 'json' ? jobJson(this.now(), job) : this.textLine('notice', jobText(job)));
    } catch {
      // never let logging break a worker
    }
  }

  /** A job still running past --slow-job-log, at warning level (job lines held so far go first). */
  slowJob(job: SlowJobLine): void {
    if (!this.enabled('warning')) return;
    try {
      this.write(this.format === 'json' ? slowJson(this.now(), job) : this.textLine('warning', slowText(job)));
    } catch {
      // never let logging break a worker
    }
  }

  private log(severity: Severity, msg: string, ctx: LogContext | undefined): void {
    if (!this.enabled(severity)) return;
    try {
      const text = interpolate(msg, ctx);
      this.write(this.format === 'json' ? jsonLine(this.now(), severity, text, ctx) : this.textLine(severity, text));
    } catch {
      // never let logging break a worker
    }
  }

  private textLine(severity: Severity, text: string): string {
    return this.timestamps ? `[${severity}] [${phpTime(this.now())}] ${text}` : `[${severity}] ${text}`;
  }

  /** Write the job lines held so far. */
  flush(): void {
    if (this.held.length === 0) return;
    const text = this.held.join('');
    this.held = [];
    holding.delete(this);
    this.put(text);
  }

  private hold(line: string): void {
    if (this.held.length === 0) {
      holding.add(this);
      setImmediate(() => this.flush());
      if (!exitHooked) {
        exitHooked = true;
        process.once('exit', () => { for (const l of holding) l.flush(); });
      }
    }
    this.held.push(`${redactSecrets(line)}\n`);
  }

  private write(line: string): void {
    this.flush();
    this.put(`${redactSecrets(line)}\n`);
  }

  private put(text: string): void {
    try {
      if (this.stream.writable === false) return;
      this.stream.write(text);
    } catch {
      // a closed or broken stream loses the line, nothing more
    }
  }
}

/** `redis://user:PASS@host` → `redis://user:***@host` (any scheme, also JSON-escaped `:\/\/`), and `password=` parameters. */
export function redactSecrets(text: string): string {
  if (!text.includes('@') && !/password=/i.test(text)) return text; // the per-job fast path
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:(?:\\?\/){2}[^:/@\s"\\]*:)[^\s/"]*@/gi, '$1***@')
    .replace(/([?&]password=)[^&\s"]*/gi, '$1***');
}

/** A TTY stream (process.stdout on a terminal); a pipe, a file or a journal is not. */
function isTerminal(stream: NodeJS.WritableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}

function guardStream(stream: NodeJS.WritableStream): void {
  if (guarded.has(stream) || typeof stream.on !== 'function') return;
  guarded.add(stream);
  // An unhandled 'error' (EPIPE when the reader went away) would crash the process.
  stream.on('error', () => undefined);
}

/** php's date('H:i:s Y-m-d'), in UTC. */
function phpTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
}

/** PSR-3 interpolation: `{key}` → the context value; unknown keys stay as written. */
function interpolate(msg: string, ctx: LogContext | undefined): string {
  if (!ctx) return msg;
  return msg.replace(/\{([A-Za-z0-9_.]+)\}/g, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(ctx, key) ? display(ctx[key]) : whole);
}

function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return String(value);
  return safeJson(value);
}

function jsonLine(now: Date, level: Severity, msg: string, ctx: LogContext | undefined): string {
  const record: Record<string, unknown> = { time: now.toISOString(), level, msg };
  for (const [key, value] of Object.entries(ctx ?? {})) record[RESERVED.has(key) ? `ctx_${key}` : key] = value;
  return safeJson(record);
}

/** `[ID] Class` (an id-less job: just the class). */
function jobWho(job: JobLine | SlowJobLine): string {
  return `${job.id === undefined ? '' : `[${job.id}] `}${job.className}`;
}

function jobText(job: JobLine): string {
  const who = jobWho(job);
  const how = `(${job.queue === undefined ? '' : `queue: ${job.queue}, `}attempt: ${job.attempt}${job.pid === undefined ? '' : `, pid: ${job.pid}`})`;
  const secs = `(${job.seconds.toFixed(3)} s)`;
  switch (job.outcome) {
    case 'Done':
      return `${who} ${how} - Done ${secs}`;
    case 'Failed':
      return `${who} ${how} - Error ${secs}${job.error ? `: ${oneLine(job.error)}` : ''}`;
    case 'Skipped':
      return `${who} ${how} - Skipped`;
    case 'Retrying':
      return `${who} ${how} - Retrying ${secs}${job.error ? `: ${oneLine(job.error)}` : ''}`;
  }
}

function jobJson(now: Date, job: JobLine): string {
  const record: Record<string, unknown> = {
    time: now.toISOString(),
    level: 'notice',
    event: 'job',
    id: job.id ?? null,
    class: job.className,
    queue: job.queue ?? null,
    attempt: job.attempt,
    pid: job.pid ?? null,
    outcome: job.outcome,
    seconds: Math.round(job.seconds * 1000) / 1000,
  };
  if (job.error !== undefined) record['error'] = job.error;
  return safeJson(record);
}

function slowText(job: SlowJobLine): string {
  return `${jobWho(job)} (queue: ${job.queue}${job.pid === undefined ? '' : `, pid: ${job.pid}`}) still running after ${job.seconds.toFixed(1)} s`;
}

function slowJson(now: Date, job: SlowJobLine): string {
  return safeJson({
    time: now.toISOString(),
    level: 'warning',
    event: 'slow-job',
    id: job.id ?? null,
    class: job.className,
    queue: job.queue,
    pid: job.pid ?? null,
    seconds: Math.round(job.seconds * 1000) / 1000,
  });
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** JSON.stringify that survives cycles, BigInt and Errors; never throws. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key: string, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Error) return { name: v.name, message: v.message };
      if (v !== null && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    }) ?? 'null';
  } catch {
    return '"[unserializable]"';
  }
}
