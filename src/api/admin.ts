/**
 * ResqueAdmin: the read and admin API over one namespace, in the manner of Sidekiq's api.rb and
 * Ruby's `Resque.info`. The CLI, the dashboard and the metrics read only through it.
 *   1. Built from `{ redis?, database?, namespace? }` (the same rules as `new Resque(…)`: a client
 *      passed as `redis` is borrowed), or from an existing Resque (anything with its `keys` and
 *      `connection`), whose connection it shares and never closes.
 *   2. Reads: stats() / workerStats(), queues() / size() / peek(), workers() / worker(),
 *      failureCount() / failures(). Every result is typed, keeps the stored bytes next to what
 *      was decoded from them, and reports what it could not read instead of throwing.
 *   3. Admin: removeFailure(index, raw) and clearFailures() (./failures.ts says how they stay safe).
 */
import type Redis from 'ioredis';
import { Connection, type RedisSpec } from '../redis/connection';
import { Keys } from '../redis/keys';
import { failureCount } from '../store/failures';
import { queueSize } from '../store/queues';
import { clearFailures, readFailures, removeFailure, type FailureEntry } from './failures';
import { clearRetried, countFailed, getFailed, listFailed, removeFailed, retryFailed, type FailedChange, type FailedFilter, type FailedRecord } from './failed-admin';
import { listQueues, peekQueue, type PeekedItem, type QueueSummary } from './queues';
import { readStats, readWorkerCounters, type ResqueStats, type WorkerCounters } from './stats';
import { readWorker, readWorkers, type RegisteredWorker } from './workers';
import { readInfo, type ResqueInfo } from './info';
import { delayedSize, dueSecond, editItem, peekDelayed } from '../store/delayed';
import { listSchedules, removeSchedule, readSchedules, runScheduleNow, type ScheduleInfo } from '../store/schedules';
import { readJobStatus, type JobStatusView } from './job-status';
import { clearQueue, removeQueue } from '../store/queues';
import { pausedAll, requestRestart, requestWorker, setPauseAll, type WorkerRequest } from '../store/control';
import { readDurations, readHistory, readQueueCounters, type DurationHistogram, type HistoryMinute, type QueueCounters } from './history';

/** The delayed queue's admin (ResqueAdmin#delayed): items by their exact bytes, as any peer wrote them. */
export interface DelayedAdmin {
  /** Delayed jobs in all. */
  size(): Promise<number>;
  /** Due seconds (unix), in order, a window of them. */
  timestamps(offset?: number, limit?: number): Promise<number[]>;
  /** The items due at `ts`, as stored. */
  items(ts: number, offset?: number, limit?: number): Promise<string[]>;
  /** Remove the item `raw` due at `ts`; resolves how many copies went (0: gone already). */
  remove(ts: number, raw: string): Promise<number>;
  /** Make the item `raw` due now (the scheduler moves it within its next pass). */
  promote(ts: number, raw: string): Promise<number>;
}

/** Recurring schedules (resque-scheduler's persistent_schedules). */
export interface SchedulesAdmin {
  list(): Promise<ScheduleInfo[]>;
  /** Enqueue the schedule's job now (its next ticks are unchanged); resolves the job id. */
  run(name: string): Promise<string | undefined>;
  remove(name: string): Promise<boolean>;
}

/** The failed list's admin (ResqueAdmin#failed). */
export interface FailedAdmin {
  list(filter?: FailedFilter & { offset?: number; limit?: number }): Promise<FailedRecord[]>;
  count(filter?: FailedFilter): Promise<number>;
  /** The record a reference names (found by its bytes if it moved), or null. */
  get(ref: string): Promise<FailedRecord | null>;
  /** Re-enqueue the payloads (bytes and id kept; status WAITING again) and remove the records, or with `keep` stamp retried_at. */
  retry(target: string | readonly string[] | FailedFilter, options?: { keep?: boolean }): Promise<FailedChange>;
  remove(target: string | readonly string[] | FailedFilter): Promise<FailedChange>;
  /** Every record; resolves how many there were. */
  clear(): Promise<number>;
  /** The records retried and kept (retried_at set). */
  clearRetried(): Promise<number>;
}

export interface ResqueAdminOptions {
  /** As for `new Resque`: `host:port`, `redis://…`, `unix:///…`, ioredis options, or a client (borrowed, never closed). */
  redis?: RedisSpec;
  /** Database number when `redis` does not name one. */
  database?: number;
  /** Key namespace; default the PREFIX env var, else `resque`. */
  namespace?: string;
}

/** What ResqueAdmin needs from an existing client: a `Resque` instance fits. */
export interface ResqueClientLike {
  readonly keys: Keys;
  readonly connection: Connection;
}

export class ResqueAdmin {
  readonly keys: Keys;
  readonly connection: Connection;
  private readonly owned: boolean;

  constructor(source: ResqueAdminOptions | ResqueClientLike = {}) {
    if (isClientLike(source)) {
      this.keys = source.keys;
      this.connection = source.connection;
      this.owned = false;
    } else {
      this.connection = new Connection(source.redis, source.database);
      this.keys = new Keys(source.namespace ?? (process.env['PREFIX'] || 'resque'));
      this.owned = true;
    }
  }

  /** The connected command client. */
  redis(): Promise<Redis> {
    return this.connection.client();
  }

  /** Totals, like Ruby's `Resque.info`. */
  async stats(): Promise<ResqueStats> {
    return readStats(await this.redis(), this.keys, this.connection.address);
  }

  /** One worker's processed/failed counters (an id, or node-resque's `host:pid`). */
  async workerStats(id: string): Promise<WorkerCounters> {
    return readWorkerCounters(await this.redis(), this.keys, id);
  }

  /** Every known queue with its size, sorted by name. */
  async queues(): Promise<QueueSummary[]> {
    return listQueues(await this.redis(), this.keys);
  }

  /** Jobs waiting in one queue. */
  async size(queue: string): Promise<number> {
    return queueSize(await this.redis(), this.keys, queue);
  }

  /** `count` items of a queue from position `start`, decoded or with the reason they are not jobs. */
  async peek(queue: string, start = 0, count = 1): Promise<PeekedItem[]> {
    return peekQueue(await this.redis(), this.keys, queue, start, count);
  }

  /** Every registered worker, sorted by id. */
  async workers(): Promise<RegisteredWorker[]> {
    return readWorkers(await this.redis(), this.keys);
  }

  /** One worker by id (also an unregistered one whose keys remain), or null when nothing is stored. */
  async worker(id: string): Promise<RegisteredWorker | null> {
    return readWorker(await this.redis(), this.keys, id);
  }

  /** Per queue waiting / delayed / reserved / done / failed and the oldest job's age, the workers busy and idle (`resque info`). */
  async info(o: { queue?: string } = {}): Promise<ResqueInfo> {
    return readInfo(await this.redis(), this.keys, this.connection.address, o);
  }

  /** A job's php-resque status (`id` as in its key: `ID`, or `PREFIX_ID`), or null when none is stored. */
  async jobStatus(id: string): Promise<JobStatusView | null> {
    return readJobStatus(await this.redis(), this.keys, id);
  }

  /** Empty a queue (its name stays known); resolves how many jobs it held. */
  async clearQueue(queue: string): Promise<number> {
    return clearQueue(await this.redis(), this.keys, queue);
  }

  /** Remove one job from a queue by its exact bytes (the first copy); resolves whether one went. */
  async removeQueued(queue: string, raw: string): Promise<boolean> {
    return (await (await this.redis()).lrem(this.keys.queue(queue), 1, raw)) > 0;
  }

  /** Delete a queue and forget its name; resolves how many jobs it held. */
  async removeQueue(queue: string): Promise<number> {
    return removeQueue(await this.redis(), this.keys, queue);
  }

  /** Pause (true) or resume (false) every worker of the namespace: Ruby's `pause-all-workers`, which Ruby workers honour too. */
  async pauseAll(paused: boolean): Promise<void> {
    await setPauseAll(await this.redis(), this.keys, paused);
  }

  /** Whether `pause-all-workers` is set. */
  async pausedAll(): Promise<boolean> {
    return pausedAll(await (await this.redis()).get(this.keys.pauseAll()));
  }

  /** Every worker of ours started before now finishes its current job and starts again (think-queue's queue:restart). */
  async restartWorkers(): Promise<number> {
    return requestRestart(await this.redis(), this.keys);
  }

  /** Ask one worker of ours (by id) to stop or pause after its current job; undefined withdraws the request (resume). */
  async requestWorker(id: string, request: WorkerRequest | undefined): Promise<void> {
    await requestWorker(await this.redis(), this.keys, id, request);
  }

  /** Our per-minute history, oldest first (default the last 60 minutes; one queue's with `queue`). */
  async history(o: { minutes?: number; queue?: string } = {}): Promise<HistoryMinute[]> {
    return readHistory(await this.redis(), this.keys, o);
  }

  /** Our all-time counters of these queues (processed, failed, retried attempts our workers settled). */
  async queueCounters(queues: readonly string[]): Promise<Map<string, QueueCounters>> {
    return readQueueCounters(await this.redis(), this.keys, queues);
  }

  /** Job-duration histograms per queue and class (cumulative buckets, seconds). */
  async durations(): Promise<DurationHistogram[]> {
    return readDurations(await this.redis(), this.keys);
  }

  /** Records in the `failed` list. */
  async failureCount(): Promise<number> {
    return failureCount(await this.redis(), this.keys);
  }

  /** `count` failure records from position `start`, normalised across peers. */
  async failures(start = 0, count = 100): Promise<FailureEntry[]> {
    return readFailures(await this.redis(), this.keys, start, count);
  }

  /**
   * Remove the failure record read as `raw` at `index` (pass both from a FailureEntry). If the
   * list moved since, the first record with exactly those bytes goes. Resolves whether one went.
   */
  async removeFailure(index: number, raw: string): Promise<boolean> {
    return removeFailure(await this.redis(), this.keys, index, raw);
  }

  /** Delete every failure record; resolves how many there were. */
  async clearFailures(): Promise<number> {
    return clearFailures(await this.redis(), this.keys);
  }

  /**
   * Failed-job admin (src/api/failed-admin.ts): records named by reference (`INDEX:SHA16`), each
   * change checked against the record's bytes in one script; filters for bulk changes.
   */
  get failed(): FailedAdmin {
    const redis = (): Promise<Redis> => this.redis();
    const keys = this.keys;
    return {
      list: async (filter = {}) => listFailed(await redis(), keys, filter),
      count: async (filter = {}) => countFailed(await redis(), keys, filter),
      get: async (ref) => getFailed(await redis(), keys, ref),
      retry: async (target, options = {}) => retryFailed(await redis(), keys, target, options),
      remove: async (target) => removeFailed(await redis(), keys, target),
      clear: async () => clearFailures(await redis(), keys),
      clearRetried: async () => clearRetried(await redis(), keys),
    };
  }

  /** The delayed queue (src/store/delayed.ts). */
  get delayed(): DelayedAdmin {
    const redis = (): Promise<Redis> => this.redis();
    const keys = this.keys;
    return {
      size: async () => delayedSize(await redis(), keys),
      timestamps: async (offset = 0, limit = 100) => (await (await redis()).zrange(keys.delayedSchedule(), offset, offset + limit - 1)).map(Number),
      items: async (ts, offset = 0, limit = 100) => peekDelayed(await redis(), keys, ts, offset, limit),
      remove: async (ts, raw) => editItem(await redis(), keys, ts, raw),
      promote: async (ts, raw) => editItem(await redis(), keys, ts, raw, dueSecond(new Date())),
    };
  }

  /** Recurring schedules. */
  get schedules(): SchedulesAdmin {
    const redis = (): Promise<Redis> => this.redis();
    const keys = this.keys;
    return {
      list: async () => listSchedules(await redis(), keys),
      run: async (name) => {
        const r = await redis();
        const config = (await readSchedules(r, keys)).get(name);
        return config ? runScheduleNow(r, keys, config) : undefined;
      },
      remove: async (name) => removeSchedule(await redis(), keys, name),
    };
  }

  /** Close the connection, unless it was borrowed (a client passed in, or a Resque's). */
  async close(): Promise<void> {
    if (this.owned) await this.connection.close();
  }
}

function isClientLike(source: ResqueAdminOptions | ResqueClientLike): source is ResqueClientLike {
  const s = source as Partial<ResqueClientLike>;
  return s.keys instanceof Keys && s.connection instanceof Connection;
}
