/**
 * Where Redis is and how we talk to it.
 *   1. parseRedisSpec turns php-resque's REDIS_BACKEND forms (`host:port`, `redis://`, `rediss://`,
 *      `tcp://`, `unix:///path`) into ioredis options plus a printable address without the password.
 *   2. resolveRedisSpec applies the fallbacks: explicit → REDIS_URL → REDIS_BACKEND (+ REDIS_BACKEND_DB)
 *      → 127.0.0.1:6379.
 *   3. Connection owns (or borrows) a client; the first connect fails fast with a RedisConnectionError
 *      naming the address instead of queueing commands forever, later drops reconnect with backoff.
 */
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';

/**
 * ioredis, loaded on first use: it is a third of a process's start-up (≈ 43 ms here), and the
 * default engine forks its job process before it connects (README "Performance", start-up).
 */
function ioredis(): typeof Redis {
  return (require('ioredis') as { default: typeof Redis }).default;
}
import { OptionError, RedisConnectionError } from '../errors';
import { backoffMs } from '../backoff';
import { describeOutage, describeRedisError, redisCause } from './cause';

/** Anything `Resque.setBackend` accepts: a string form, ioredis options, or a live ioredis client. */
export type RedisSpec = string | RedisOptions | Redis;

export interface ParsedSpec {
  options: RedisOptions;
  /** `host:port`, `unix:/path` or `tls:host:port` — never credentials. */
  address: string;
}

const DEFAULT_PORT = 6379;

/** Parse a backend string as php-resque does; `database` is used when the string names none. */
export function parseRedisSpec(spec: string, database?: number): ParsedSpec {
  const text = spec.trim();
  if (text === '') throw new OptionError('Redis backend is empty');
  let options: RedisOptions;
  if (/^unix:\/\//i.test(text)) {
    const path = decodeURIComponent(text.replace(/^unix:\/\//i, '').split('?')[0] ?? '');
    if (!path) throw new OptionError(`Redis backend "${text}" names no socket path`);
    options = { path };
  } else if (/^(redis|rediss|tcp):\/\//i.test(text)) {
    options = fromUrl(text);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    // Any other scheme (http://, …): refused, not read as an IPv6 host.
    const scheme = text.slice(0, text.indexOf('://') + 3);
    throw new OptionError(`Redis backend "${redact(text)}" has the scheme ${scheme}; use redis://, rediss://, tcp://, unix:// or host:port`);
  } else {
    options = fromHostPort(text);
  }
  if (options.db === undefined && database !== undefined) options.db = database;
  return { options, address: addressOf(options) };
}

function fromUrl(text: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(text.replace(/^tcp:/i, 'redis:'));
  } catch {
    throw new OptionError(`Redis backend "${redact(text)}" is not a valid URL`);
  }
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : DEFAULT_PORT,
  };
  if (url.username) options.username = decodeCredential(url.username, 'user name', text);
  if (url.password) options.password = decodeCredential(url.password, 'password', text);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '') options.db = parseDb(db, text);
  if (url.protocol === 'rediss:') options.tls = { servername: options.host };
  return options;
}

function fromHostPort(text: string): RedisOptions {
  // `[v6]:port`, `v6` (two or more colons), `host:port` or `host`.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:\[\]\s]+)(?::(\d+))?$/.exec(text);
  const m = bracketed ?? plain ?? ((text.match(/:/g) ?? []).length >= 2 ? [text, text, undefined] : null);
  if (!m || !m[1]) throw new OptionError(`Redis backend "${redact(text)}" is not host:port or a redis:// URL`);
  const port = m[2] ? Number(m[2]) : DEFAULT_PORT;
  if (port < 1 || port > 65535) throw new OptionError(`Redis backend "${redact(text)}" has no valid port`);
  return { host: m[1], port };
}

function decodeCredential(value: string, what: string, text: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new OptionError(`Redis backend "${redact(text)}": the ${what} is not valid percent-encoding`);
  }
}

function parseDb(db: string, text: string): number {
  const n = Number(db);
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`Redis database "${db}" in "${redact(text)}" is not a number`);
  return n;
}

/** Printable address, never credentials. */
export function addressOf(options: RedisOptions): string {
  if (options.path) return `unix:${options.path}`;
  const host = options.host ?? '127.0.0.1';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `${options.tls ? 'tls:' : ''}${hostPart}:${options.port ?? DEFAULT_PORT}${options.db ? `/${options.db}` : ''}`;
}

/** A URL with its password replaced by `***`. */
export function redact(text: string): string {
  return text.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/**
 * The backend to use when the caller gave none: REDIS_URL, else REDIS_BACKEND with
 * REDIS_BACKEND_DB (php-resque: used only when non-empty and not 0), else 127.0.0.1:6379.
 */
export function resolveRedisSpec(env: NodeJS.ProcessEnv = process.env): ParsedSpec {
  if (env['REDIS_URL']) return parseRedisSpec(env['REDIS_URL']);
  if (env['REDIS_BACKEND']) {
    const dbText = env['REDIS_BACKEND_DB'];
    const db = dbText && dbText !== '0' ? parseDb(dbText, 'REDIS_BACKEND_DB') : undefined;
    return parseRedisSpec(env['REDIS_BACKEND'], db);
  }
  return parseRedisSpec('127.0.0.1:6379');
}

function withDatabase(parsed: ParsedSpec, database: number | undefined): ParsedSpec {
  if (database === undefined || parsed.options.db !== undefined) return parsed;
  const options = { ...parsed.options, db: database };
  return { options, address: addressOf(options) };
}

/** Reconnects: 50 ms doubled per attempt, at most 2 s between attempts. */
const RECONNECT_BACKOFF = { baseMs: 50, maxMs: 2000 } as const;

/**
 * A worker's connections: a command fails at once while the connection is down (no offline queue,
 * one retry of a command in flight), so an outage surfaces as errors the worker counts against
 * --redis-timeout, and nothing waits for a reconnect past it.
 */
export const WORKER_CONNECTION: Readonly<RedisOptions> = { maxRetriesPerRequest: 1, enableOfflineQueue: false };

/** Options for connections we create: fail fast at first, reconnect with backoff after. */
function clientOptions(base: RedisOptions, state: { everReady: boolean }): RedisOptions {
  return {
    connectTimeout: 5000,
    maxRetriesPerRequest: 20,
    ...base,
    lazyConnect: true,
    retryStrategy: (times: number) => (state.everReady ? backoffMs(times, RECONNECT_BACKOFF) : null),
  };
}

/** A live client plus how to make more like it. */
export class Connection {
  readonly address: string;
  private readonly base: RedisOptions | undefined;
  private readonly borrowed: Redis | undefined;
  private readonly opened: Redis[] = [];
  private main: Promise<Redis> | undefined;
  /** The last socket error of any client of ours (its code, else its message), until one is ready again. */
  private socketError: string | undefined;

  /**
   * `spec` undefined → resolveRedisSpec(); a Redis instance is borrowed and never closed by us.
   * `overrides` apply to the connections we open (a worker sets maxRetriesPerRequest: 1 so that
   * an outage surfaces as errors it can count, instead of commands waiting in a queue).
   */
  constructor(spec?: RedisSpec, database?: number, private readonly overrides: RedisOptions = {}) {
    if (typeof spec === 'object' && spec instanceof ioredis()) {
      this.borrowed = spec;
      this.address = addressOf(spec.options);
    } else {
      const parsed =
        spec === undefined
          ? withDatabase(resolveRedisSpec(), database)
          : typeof spec === 'string'
            ? parseRedisSpec(spec, database)
            : { options: { ...spec, ...(database !== undefined ? { db: database } : {}) }, address: addressOf(spec) };
      this.base = parsed.options;
      this.address = parsed.address;
    }
  }

  /** The shared command client, connected (throws RedisConnectionError when unreachable). */
  client(): Promise<Redis> {
    if (!this.main) {
      this.main = this.borrowed ? this.ensureBorrowed(this.borrowed) : this.open();
      this.main.catch(() => { this.main = undefined; });
    }
    return this.main;
  }

  /** A new connected client of our own (for BLPOP, for a child), closed by close(). */
  async open(name?: string): Promise<Redis> {
    const state = { everReady: false };
    const base = this.base ?? this.borrowed?.options ?? {};
    const opts = clientOptions({ ...base, ...this.overrides, ...(name ? { connectionName: name } : {}) }, state);
    const client = new (ioredis())(opts);
    let lastError: unknown;
    client.on('error', (e: Error & { code?: string }) => {
      lastError = e;
      if (e.name !== 'ReplyError') this.socketError = e.code ?? e.message;
    });
    client.on('ready', () => { state.everReady = true; this.socketError = undefined; });
    this.opened.push(client);
    // connectTimeout covers the TCP connect only: a peer that accepts and never answers (a
    // frozen Redis, another service on the port) would hold the handshake forever.
    const limit = opts.connectTimeout ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply within ${limit / 1000} s (timeout)`)), limit);
    });
    try {
      await Promise.race([client.connect(), silent]);
    } catch (e) {
      client.disconnect();
      this.forget(client);
      const timedOut = (e as Error).message.startsWith('no reply within');
      throw new RedisConnectionError(this.address, timedOut ? (e as Error).message : redisCause(lastError ?? e).text);
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** `Redis at ADDR: CAUSE` — the real cause of `e` (a reply error, or the socket's last error). */
  explain(e: unknown): string {
    return describeRedisError(this.address, e, this.socketError);
  }

  /** `Redis at ADDR unreachable for more than N s: CAUSE` (or `refused commands`, for a reply error). */
  outage(seconds: number, e: unknown): string {
    return describeOutage(this.address, seconds, e, this.socketError);
  }

  private async ensureBorrowed(client: Redis): Promise<Redis> {
    if (client.status === 'wait') await client.connect();
    return client;
  }

  /** Close what we opened (not a borrowed client). */
  async close(): Promise<void> {
    const all = this.opened.splice(0);
    this.main = undefined;
    await Promise.all(
      all.map(async (c) => {
        if (c.status === 'end') return;
        // Not connected (Redis down): QUIT would wait for a reconnect that may never come.
        if (c.status !== 'ready') return c.disconnect();
        try {
          await c.quit();
        } catch {
          c.disconnect();
        }
      }),
    );
  }

  private forget(client: Redis): void {
    const i = this.opened.indexOf(client);
    if (i >= 0) this.opened.splice(i, 1);
  }
}
