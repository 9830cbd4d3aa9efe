/**
 * Job status tracking, php-resque's `Status` (WIRE.md §6): a whole-value JSON packet
 * `{"status","updated","started","result"}` under `job:[PREFIX_]ID:status`, created at
 * enqueue, updated only while it exists, expiring 86400 s after a final state.
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { updateStatus } from '../redis/scripts/update-status';
import { parseJson, phpJsonEncode } from '../json';
import { unixNow as unixSeconds } from '../time';

export { STATUS_WAITING, STATUS_RUNNING, STATUS_FAILED, STATUS_COMPLETE, STATUS_TTL, type StatusCode } from '../status-codes';
import { STATUS_WAITING, STATUS_RUNNING, STATUS_FAILED, STATUS_COMPLETE, STATUS_TTL, type StatusCode } from '../status-codes';

/** The packet as stored. P1 packets lack `started` and `result`. */
export interface StatusPacket {
  status: StatusCode;
  updated: number;
  started?: number;
  result?: unknown;
}

/** The packet of a newly enqueued tracked job. */
export function waitingPacket(now: number = unixSeconds()): string {
  return `{"status":${STATUS_WAITING},"updated":${now},"started":${now},"result":null}`;
}

/** Set a status if (and only if) it is tracked; TTL on final states. Resolves whether it was. */
export async function setStatus(
  redis: Redis, keys: Keys, id: string, prefix: string, status: StatusCode, result: unknown = null,
): Promise<boolean> {
  const ttl = status === STATUS_FAILED || status === STATUS_COMPLETE ? STATUS_TTL : 0;
  const reply = await updateStatus.call(redis, { keys: { status: keys.status(id, prefix) }, args: { code: status, now: unixSeconds(), result: phpJsonEncode(result ?? null), ttl } });
  return reply === 1;
}

/** php-resque's Status object for one job id (and optional status prefix). */
export class JobStatus {
  static readonly WAITING = STATUS_WAITING;
  static readonly RUNNING = STATUS_RUNNING;
  static readonly FAILED = STATUS_FAILED;
  static readonly COMPLETE = STATUS_COMPLETE;

  constructor(
    private readonly redis: () => Promise<Redis>,
    private readonly keys: Keys,
    readonly id: string,
    readonly prefix = '',
  ) {}

  /** The status key name. */
  get key(): string {
    return this.keys.status(this.id, this.prefix);
  }

  /** Whether this job's status is being tracked (its key exists). */
  async isTracking(): Promise<boolean> {
    return (await (await this.redis()).exists(this.key)) === 1;
  }

  /** The status code, or null when the job is not tracked. */
  async get(): Promise<StatusCode | null> {
    const packet = await this.fetch();
    return packet ? packet.status : null;
  }

  /** The whole packet, or null. */
  async fetch(): Promise<StatusPacket | null> {
    const raw = await (await this.redis()).get(this.key);
    if (raw === null) return null;
    const packet = parseJson(raw) as StatusPacket;
    return typeof packet === 'object' && packet !== null ? packet : null;
  }

  /** php-resque `update()`: only when tracked; final states get the 24 h TTL. */
  async update(status: StatusCode, result: unknown = null): Promise<boolean> {
    return setStatus(await this.redis(), this.keys, this.id, this.prefix, status, result);
  }

  /** Stop tracking: delete the key. */
  async stop(): Promise<void> {
    await (await this.redis()).del(this.key);
  }
}
