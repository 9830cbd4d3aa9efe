/**
 * What went wrong with Redis, in an operator's words: the socket's error code or the server's
 * reply prefix (READONLY, OOM, NOPERM, …) rather than the client library's state ("Reached the max
 * retries per request limit", "Stream isn't writeable"), which only says a command was not sent.
 */

export interface RedisCause {
  /** `connection refused (ECONNREFUSED)`, `out of memory (OOM …)`, … */
  readonly text: string;
  /** false: Redis answered, and refused (a reply error); true: it could not be reached. */
  readonly unreachable: boolean;
}

/** Socket error codes and what they mean. */
const SOCKET: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed by Redis',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOENT: 'no such socket',
  EACCES: 'permission denied on the socket',
};

/** Reply error prefixes and what they mean. */
const REPLY: Readonly<Record<string, string>> = {
  READONLY: 'it is a read-only replica; point the worker at the primary',
  OOM: 'it is out of memory (maxmemory reached) and refuses writes',
  NOPERM: 'the Redis user lacks a permission',
  NOAUTH: 'it wants a password',
  WRONGPASS: 'the user name or password is wrong',
  LOADING: 'it is loading its data set',
  MISCONF: 'it cannot save to disk and refuses writes',
  BUSY: 'a script is running too long',
  MASTERDOWN: 'its primary is down',
  CLUSTERDOWN: 'the cluster is down',
  NOREPLICAS: 'not enough replicas are up',
};

/** ioredis messages that say only that a command was not sent: the socket's last error says why. */
const NOT_SENT = /max retries per request|Stream isn't writeable|Connection is closed|Connection in subscriber mode/i;

/**
 * The cause of `e`: a reply error by its prefix, a socket error by its code; for a command that was
 * not sent, `socketError` (the connection's last socket error code or message) when known.
 */
export function redisCause(e: unknown, socketError?: string): RedisCause {
  const err = e as { code?: unknown; message?: unknown; name?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const reason = (err as { reason?: unknown } | null)?.reason;
  if (err?.name === 'RedisConnectionError' && typeof reason === 'string') return { text: reason, unreachable: true };
  if (err?.name === 'ReplyError' || /^[A-Z]{4,}\b/.test(message)) {
    const prefix = /^([A-Z]+)/.exec(message)?.[1] ?? '';
    const meaning = REPLY[prefix];
    if (meaning) return { text: `${meaning} (${message})`, unreachable: false };
    if (err?.name === 'ReplyError') return { text: `it replied: ${message}`, unreachable: false };
  }
  if (code && SOCKET[code]) return { text: `${SOCKET[code]} (${code})`, unreachable: true };
  if (/Command timed out/i.test(message)) return { text: 'no reply in time (command timeout)', unreachable: true };
  if (NOT_SENT.test(message)) {
    if (socketError) return socketCause(socketError);
    return { text: 'the connection is closed', unreachable: true };
  }
  return { text: message, unreachable: true };
}

/** A socket error code (or message) as a cause. */
export function socketCause(codeOrMessage: string): RedisCause {
  const meaning = SOCKET[codeOrMessage];
  if (meaning) return { text: `${meaning} (${codeOrMessage})`, unreachable: true };
  const code = /\b(E[A-Z_]{3,})\b/.exec(codeOrMessage)?.[1];
  if (code && SOCKET[code]) return { text: `${SOCKET[code]} (${code})`, unreachable: true };
  return { text: codeOrMessage, unreachable: true };
}

/** `Redis at ADDR: CAUSE`. */
export function describeRedisError(address: string, e: unknown, socketError?: string): string {
  return `Redis at ${address}: ${redisCause(e, socketError).text}`;
}

/** Past --redis-timeout: `Redis at ADDR unreachable for more than N s (CAUSE)`, or `refused commands` for a reply error. */
export function describeOutage(address: string, seconds: number, e: unknown, socketError?: string): string {
  const cause = redisCause(e, socketError);
  return `Redis at ${address} ${cause.unreachable ? 'unreachable' : 'refused commands'} for more than ${seconds} s: ${cause.text}`;
}

/** Errors that mean Redis failed us (could not be reached, or refused), by name or code, not by class. */
export function isRedisFailure(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown; name?: unknown } | null;
  const name = typeof err?.name === 'string' ? err.name : '';
  if (['RedisConnectionError', 'RedisOutageError', 'ReplyError', 'MaxRetriesPerRequestError'].includes(name)) return true;
  if (typeof err?.code === 'string' && SOCKET[err.code]) return true;
  return typeof err?.message === 'string' && NOT_SENT.test(err.message);
}
