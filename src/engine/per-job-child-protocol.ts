/**
 * The parent/child protocol: one typed union each way, sent over the fork IPC channel with
 * `serialization: 'advanced'` (so bigint args survive). The compiler checks every switch.
 */
import type { NormalizedError } from '../errors';

/** Parent → child. */
export type ToChild =
  /** Run one job. `raw` is the exact queue payload (the child decodes it itself). */
  | { type: 'run'; seq: number; queue: string; raw: string }
  /** Finish nothing more: exit 0 when idle. */
  | { type: 'shutdown' };

/** Child → parent. */
export type FromChild =
  /** Loaded (app module, TS support) and waiting for work. */
  | { type: 'ready'; pid: number }
  /**
   * The job class is loaded; `timeout` is its `static timeout` in seconds, if it declares one;
   * `retry`: should this child die running it, it runs again that many seconds later (its policy).
   */
  | { type: 'meta'; seq: number; timeout: number | null; retry?: number }
  /** perform() returned; `result` becomes the status result. */
  | { type: 'done'; seq: number; result: unknown }
  /** DontPerform thrown from setUp/beforePerform: skipped, not a failure. */
  | { type: 'skipped'; seq: number; reason: string }
  /** The job threw, or could not be loaded; `error` is already normalised; `retryIn`: it runs again that much later. */
  | { type: 'failed'; seq: number; error: NormalizedError; retryIn?: number }
  /** The job called this.release(delay). */
  | { type: 'released'; seq: number; delay: number }
  /** The child could not start (e.g. the app module failed to load); it exits right after. */
  | { type: 'fatal'; error: NormalizedError };

export function isFromChild(m: unknown): m is FromChild {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
