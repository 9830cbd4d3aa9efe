/**
 * Requests to workers through Redis, so that they reach every host (README "Operating"):
 *   1. Ruby Resque's `pause-all-workers` ("true", any case, spaces ignored: what Ruby's
 *      `Resque::Worker#paused?` reads): every worker of the namespace stops taking jobs until it
 *      is cleared — ours, and Ruby's own;
 *   2. `resque-ts:restart`: unix ms of the last `resque restart`; a worker started before it
 *      finishes its job and starts again (think-queue's queue:restart);
 *   3. `resque-ts:control:WID`: `stop` or `pause` for one worker (a TTL, so a worker that never
 *      comes back leaves nothing).
 * Workers poll them every CONTROL_POLL_MS with one MGET (nothing on the job path).
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';

export const CONTROL_POLL_MS = 1000;
/** Seconds a per-worker request is kept. */
export const CONTROL_TTL = 86400;

export type WorkerRequest = 'stop' | 'pause';

export interface ControlState {
  /** `pause-all-workers` says true. */
  readonly pauseAll: boolean;
  /** The last restart request (unix ms), or 0. */
  readonly restartAt: number;
  /** This worker's own request, if any. */
  readonly request: WorkerRequest | undefined;
}

/** Ruby's reading of `pause-all-workers`: `to_s.strip.downcase == "true"`. */
export function pausedAll(value: string | null): boolean {
  return value !== null && value.trim().toLowerCase() === 'true';
}

export async function readControl(redis: Redis, keys: Keys, workerId: string): Promise<ControlState> {
  const [pause, restart, request] = await redis.mget(keys.pauseAll(), keys.restart(), keys.control(workerId));
  const at = Number(restart);
  return {
    pauseAll: pausedAll(pause ?? null),
    restartAt: Number.isFinite(at) && at > 0 ? at : 0,
    request: request === 'stop' || request === 'pause' ? request : undefined,
  };
}

/** Pause (true) or resume (false) every worker of the namespace, Ruby's way. */
export async function setPauseAll(redis: Redis, keys: Keys, paused: boolean): Promise<void> {
  if (paused) await redis.set(keys.pauseAll(), 'true');
  else await redis.del(keys.pauseAll());
}

/** Ask every worker started before now to finish its job and start again; resolves the time written. */
export async function requestRestart(redis: Redis, keys: Keys, now = Date.now()): Promise<number> {
  await redis.set(keys.restart(), String(now));
  return now;
}

/** Ask one worker to stop or pause; `undefined` withdraws the request (resume). */
export async function requestWorker(redis: Redis, keys: Keys, workerId: string, request: WorkerRequest | undefined): Promise<void> {
  if (request === undefined) await redis.del(keys.control(workerId));
  else await redis.set(keys.control(workerId), request, 'EX', CONTROL_TTL);
}

/** A stop request was carried out: withdraw it, so the worker's next start is not stopped too. */
export async function clearRequest(redis: Redis, keys: Keys, workerId: string): Promise<void> {
  await redis.del(keys.control(workerId));
}
