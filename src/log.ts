/**
 * The logger: one line per event, to stdout by default, in php-resque's text shape or as JSON.
 *   1. Levels (php-resque): normal prints notice, warning, error as `[level] message`;
 *      verbose adds info and debug adds debug, each as `[level] [H:i:s Y-m-d] message` (UTC).
 *   2. `{key}` placeholders in a message are filled from its context (PSR-3, as php-resque);
 *      in text format the rest of the context is not printed, in JSON every key is a field.
 *   3. jobLine prints one line per finished job in yii2-queue's shape, at notice level:
 *      `[ID] Class (attempt: 1, pid: N) - Done (0.249 s)` | `- Error (0.012 s): why` | `- Skipped`.
 *   4. Every line goes through redactSecrets: Redis passwords never reach the log.
 *   5. Logging never throws: failing writes and stream errors are ignored.
 *   6. Job lines are written together once per turn of the event loop (a batch of fast jobs costs
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
  /** Clock for the timestamps (tests inject one). */
  now?: () => Date;
}

/** One finished (or skipped) job. */
export interface JobLine {
  id: string | undefined;
  className: string;
  attempt: number;
  pid: number | undefined;
  outcome: 'Done' | 'Failed' | 'Skipped';
  seconds: number;
  error?: string;
}

const RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, notice: 2, info: 3, debug: 4 };
const MOST_DETAILED: Readonly<Record<LogLevel, number>> = { normal: 2, verbose: 3, debug: 4 };
const RESERVED = new Set(['time', 'level', 'msg']);

/** Streams we already guard against 'error' events (one listener per stream, however many loggers). */
const guarded = new WeakSet<object>();

/** Loggers holding job lines not written yet (written at exit whatever happens). */
const holding = new Set<Logger>();
let exitHooked = false;

export class Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  private readonly stream: NodeJS.WritableStream;
  private readonly now: () => Date;
  private held: string[] = [];

  constructor(options: LoggerOptions) {
    this.level = options.level;
    this.format = options.format;
    this.stream = options.stream ?? process.stdout;
    this.now = options.now ?? (() => new Date());
    guardStream(this.stream);
  }

  /** Whether lines of this severity are printed at the configured level. */
  enabled(severity: Severity): boolean {
    return RANK[severity] <= MOST_DETAILED[this.level];
  }

  error(msg: string, ctx?: LogContext): void { this.log('error', msg, ctx); }
  warning(msg: string, ctx?: LogContext): void { this.log('warning', msg, ctx); }
  notice(msg: string, ctx?: LogContext): void { this.log('notice', msg, ctx); }
  info(msg: string, ctx?: LogContext): void { this.log('info', msg, ctx); }
  debug(msg: string, ctx?: LogContext): void { this.log('debug', msg, ctx); }

  /** The per-job line, at notice level. */
  jobLine(job: JobLine): void {
    try {
      this.hold(this.format === 'json' ? jobJson(this.now(), job) : this.textLine('notice', jobText(job)));
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
    return this.level === 'normal' ? `[${severity}] ${text}` : `[${severity}] [${phpTime(this.now())}] ${text}`;
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

function jobText(job: JobLine): string {
  const who = `${job.id === undefined ? '' : `[${job.id}] `}${job.className}`;
  const how = `(attempt: ${job.attempt}${job.pid === undefined ? '' : `, pid: ${job.pid}`})`;
  const secs = `(${job.seconds.toFixed(3)} s)`;
  switch (job.outcome) {
    case 'Done':
      return `${who} ${how} - Done ${secs}`;
    case 'Failed':
      return `${who} ${how} - Error ${secs}${job.error ? `: ${oneLine(job.error)}` : ''}`;
    case 'Skipped':
      return `${who} ${how} - Skipped`;
  }
}

function jobJson(now: Date, job: JobLine): string {
  const record: Record<string, unknown> = {
    time: now.toISOString(),
    level: 'notice',
    event: 'job',
    id: job.id ?? null,
    class: job.className,
    attempt: job.attempt,
    pid: job.pid ?? null,
    outcome: job.outcome,
    seconds: Math.round(job.seconds * 1000) / 1000,
  };
  if (job.error !== undefined) record['error'] = job.error;
  return safeJson(record);
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
