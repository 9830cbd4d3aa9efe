/**
 * The client: what application code uses to push and inspect jobs.
 *   1. `new Resque(options)` holds one connection and namespace; `Resque.enqueue(...)` and the
 *      other statics use a lazily created default instance (php-resque's static API) that
 *      `Resque.setBackend` reconfigures and `Resque.close` releases.
 *   2. enqueue writes php-resque 2.x's payload, creates the status packet when tracked, and
 *      runs the beforeEnqueue (may cancel) / afterEnqueue hooks.
 *   3. Queue introspection with php-resque semantics: size, queues, peek, dequeue, removeQueue.
 */
import type Redis from 'ioredis';
import { Connection, type RedisSpec } from './redis/connection';
import { Keys } from './redis/keys';
import { BulkEnqueueError, DoNotCreate, OptionError } from './errors';
import { listHandlers, publishEvent, registerHandler, unregisterHandler, type EventHandler, type PublishedJob } from './store/events';
import { checkSchedule, listSchedules, readSchedules, removeSchedule, runScheduleNow, setSchedule, type ScheduleConfig, type ScheduleInfo } from './store/schedules';
import { assertJobArgs, decodePayload, encodeDelayedItem, encodePayload, microtime, newJobId, type DecodedJob, type JobArgs } from './payload';
import { delayedSize, delayedTimestamps, dueSecond, editMatching, peekDelayed, scheduleItems, type DelayedItem, type DelayedMatch } from './store/delayed';
import { dequeue, peekRaw, pushItems, pushOne, queueNames, queueSize, removeQueue, type DequeueFilter, type QueueItem } from './store/queues';
import { JobStatus, waitingPacket } from './store/status';

export interface ResqueOptions {
  /** Redis to use: `host:port`, `redis://…`, `rediss://…`, `unix:///…`, ioredis options or a client
   * (a client you pass is never closed by us). Default: REDIS_URL, else REDIS_BACKEND(+_DB), else 127.0.0.1:6379. */
  redis?: RedisSpec;
  /** Database number when `redis` does not name one. */
  database?: number;
  /** Key namespace; `:` is appended when missing. Default: the PREFIX env var, else `resque`. */
  namespace?: string;
}

/** Hook called before a job is pushed: throw DoNotCreate (or return false) to cancel it. */
export type BeforeEnqueueHook = (jobClass: string, args: JobArgs, queue: string, id: string) => unknown;
/** Hook called after a job is pushed. */
export type AfterEnqueueHook = (jobClass: string, args: JobArgs, queue: string, id: string) => unknown;

/** Hook called after a job was scheduled for later (php-resque's `afterSchedule`: at, queue, class, args). */
export type AfterScheduleHook = (at: number, queue: string, jobClass: string, args: JobArgs) => unknown;

export interface EnqueueHooks {
  beforeEnqueue: BeforeEnqueueHook;
  afterEnqueue: AfterEnqueueHook;
  afterSchedule: AfterScheduleHook;
}

/** Options of a job scheduled for later. */
export interface ScheduleOptions {
  /** Status WAITING from now on, under the id resolved; the job keeps it when our scheduler moves it. */
  trackStatus?: boolean;
  /** php-resque 2.x's status-key prefix. */
  prefix?: string;
}

/** One job for enqueueBulk. */
export interface BulkJob {
  class: string;
  args?: JobArgs;
  trackStatus?: boolean;
  prefix?: string;
}

/** Recurring schedules (resque-scheduler's `persistent_schedules`, which every scheduler fires). */
export interface ScheduleRegistry {
  /** Create or replace; the config is checked first (OptionError). */
  set(name: string, config: ScheduleConfig): Promise<void>;
  /** Resolves whether it existed. */
  remove(name: string): Promise<boolean>;
  /** Every schedule with its next and last run. */
  list(): Promise<ScheduleInfo[]>;
  /** Push its job now, outside its ticks; resolves the job's id. */
  run(name: string): Promise<string>;
}

/** Jobs registered for events, enqueued (or scheduled) together when one is published. */
export interface EventRegistry {
  /** Enqueue `jobClass` on `queue` for each `publish(event, params)` (with `delay`: schedule it that many seconds later). */
  register(event: string, jobClass: string, queue: string, options?: { delay?: number }): Promise<void>;
  /** Resolves whether it was registered. */
  unregister(event: string, jobClass: string, queue: string): Promise<boolean>;
  list(event: string): Promise<EventHandler[]>;
}

export class Resque {
  readonly keys: Keys;
  readonly connection: Connection;
  /** Recurring schedules. */
  readonly schedules: ScheduleRegistry;
  /** Event handlers (see publish). */
  readonly events: EventRegistry;
  private readonly hooks: { [K in keyof EnqueueHooks]: EnqueueHooks[K][] } = { beforeEnqueue: [], afterEnqueue: [], afterSchedule: [] };

  constructor(options: ResqueOptions = {}) {
    this.connection = new Connection(options.redis, options.database);
    this.keys = new Keys(options.namespace ?? (process.env['PREFIX'] || 'resque'));
    const redis = (): Promise<Redis> => this.redis();
    const keys = this.keys;
    this.events = {
      register: async (event, jobClass, queue, options = {}) => registerHandler(await redis(), keys, event, jobClass, queue, options.delay ?? 0),
      unregister: async (event, jobClass, queue) => unregisterHandler(await redis(), keys, event, jobClass, queue),
      list: async (event) => listHandlers(await redis(), keys, event),
    };
    this.schedules = {
      set: async (name, config) => setSchedule(await redis(), keys, name, config),
      remove: async (name) => removeSchedule(await redis(), keys, name),
      list: async () => listSchedules(await redis(), keys),
      run: async (name) => {
        const config = (await readSchedules(await redis(), keys)).get(name);
        if (!config) throw new OptionError(`No schedule named ${name}`);
        checkSchedule(name, config);
        return runScheduleNow(await redis(), keys, config);
      },
    };
  }

  /** The connected command client. */
  redis(): Promise<Redis> {
    return this.connection.client();
  }

  /** Register an enqueue hook. Returns a function that removes it. */
  on<K extends keyof EnqueueHooks>(event: K, hook: EnqueueHooks[K]): () => void {
    const list = this.hooks[event] as EnqueueHooks[K][];
    list.push(hook);
    return () => {
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /**
   * Push a job for any Resque worker. Resolves its id, or `false` when a beforeEnqueue hook
   * cancelled it. `args` is php-resque's `$args`: a plain object, an array or null.
   */
  async enqueue(queue: string, jobClass: string, args: JobArgs = {}, trackStatus = false, prefix = ''): Promise<string | false> {
    if (this.hooks.beforeEnqueue.length > 0 || this.hooks.afterEnqueue.length > 0 || trackStatus) {
      const [id] = await this.enqueueBulk(queue, [{ class: jobClass, args, trackStatus, prefix }]);
      return id ?? false;
    }
    // The common case, kept short: one round trip, and everything here adds to its latency.
    assertQueueName(queue);
    const job = { class: jobClass, args, prefix };
    const id = newJobId();
    await pushOne(await this.redis(), this.keys, queue, payloadOf(job, checkedArgs(job), id, performance.timeOrigin + performance.now()));
    return id;
  }

  /**
   * Push many jobs (one round trip per 4,000). Resolves one entry per job: its id, or false if a
   * hook cancelled it. Stopped part-way (Redis out of memory, …): rejects with BulkEnqueueError,
   * which names the ids pushed and the inputs not pushed (each chunk is all or nothing).
   */
  async enqueueBulk(queue: string, jobs: readonly BulkJob[]): Promise<Array<string | false>> {
    assertQueueName(queue);
    const ids: Array<string | false> = [];
    const items: QueueItem[] = [];
    const pushed: Array<{ job: BulkJob; args: JobArgs; id: string; index: number }> = [];
    const now = performance.timeOrigin + performance.now();
    for (const [index, job] of jobs.entries()) {
      const args = checkedArgs(job);
      const id = newJobId();
      if (this.hooks.beforeEnqueue.length > 0 && !(await this.runBefore(job.class, args, queue, id))) {
        ids.push(false);
        continue;
      }
      const raw = payloadOf(job, args, id, now);
      items.push(job.trackStatus ? { raw, status: { key: this.keys.status(id, job.prefix ?? ''), packet: waitingPacket(Math.floor(now / 1000)) } } : { raw });
      pushed.push({ job, args, id, index });
      ids.push(id);
    }
    const stop = await pushItems(await this.redis(), this.keys, queue, items);
    const landed = stop ? pushed.slice(0, stop.pushed) : pushed;
    if (this.hooks.afterEnqueue.length > 0) for (const p of landed) await this.runHooks('afterEnqueue', p.job.class, p.args, queue, p.id);
    if (stop) {
      const uncertain = pushed.slice(stop.pushed, stop.pushed + stop.uncertain);
      throw new BulkEnqueueError({
        pushed: landed.map((p) => p.id),
        notPushed: pushed.slice(stop.pushed + stop.uncertain).map((p) => p.index),
        uncertain: uncertain.map((p) => ({ index: p.index, id: p.id })),
        cause: stop.error,
      });
    }
    return ids;
  }

  /**
   * Schedule a job for `at` (a Date or unix seconds; php-resque's `Scheduler::enqueueAt` order).
   * It is written as php-resque writes it (`delayed:TS`, `delayed_queue_schedule`, and the
   * `timestamps:` index resque-scheduler and node-resque keep), TS rounded up to the second so
   * it never runs early. Resolves the job's id (tracked: the id its status and payload will have).
   */
  async enqueueAt(at: Date | number, queue: string, jobClass: string, args: JobArgs = {}, options: ScheduleOptions = {}): Promise<string> {
    const [id] = await this.enqueueBulkAt(at, queue, [{ class: jobClass, args, ...options }]);
    return id as string;
  }

  /** Schedule a job `seconds` from now (php-resque's `Scheduler::enqueueIn`). */
  enqueueIn(seconds: number, queue: string, jobClass: string, args: JobArgs = {}, options: ScheduleOptions = {}): Promise<string> {
    if (!Number.isFinite(seconds)) throw new TypeError(`A delay must be a number of seconds, got ${String(seconds)}`);
    return this.enqueueAt((Date.now() + seconds * 1000) / 1000, queue, jobClass, args, options);
  }

  /** Schedule many jobs for `at` (one round trip per 1,000); resolves their ids in order. */
  async enqueueBulkAt(at: Date | number, queue: string, jobs: readonly BulkJob[]): Promise<string[]> {
    assertQueueName(queue);
    const ts = dueSecond(at);
    const now = Math.floor(Date.now() / 1000);
    const ids: string[] = [];
    const items: DelayedItem[] = [];
    const scheduled: Array<{ job: BulkJob; args: JobArgs }> = [];
    for (const job of jobs) {
      const args = checkedArgs(job);
      const id = newJobId();
      const raw = encodeDelayedItem({ className: job.class, args, queue, ...(job.trackStatus ? { id, prefix: job.prefix ?? '' } : {}) });
      items.push(job.trackStatus ? { ts, raw, status: { key: this.keys.status(id, job.prefix ?? ''), packet: waitingPacket(now) } } : { ts, raw });
      scheduled.push({ job, args });
      ids.push(id);
    }
    await scheduleItems(await this.redis(), this.keys, items);
    for (const { job, args } of scheduled) for (const hook of this.hooks.afterSchedule) await hook(ts, queue, job.class, args);
    return ids;
  }

  /**
   * Publish `event`: every job registered for it (events.register) is enqueued with `params` as
   * its args — or scheduled, for a handler with a delay — all in one atomic step. Resolves the jobs.
   */
  async publish(event: string, params: JobArgs = {}): Promise<PublishedJob[]> {
    assertJobArgs(params);
    return publishEvent(await this.redis(), this.keys, event, params);
  }

  /** How many jobs wait for their time (items, not timestamps). */
  async delayedSize(): Promise<number> {
    return delayedSize(await this.redis(), this.keys);
  }

  /** The unix seconds that have jobs waiting, in order. */
  async delayedTimestamps(): Promise<number[]> {
    return delayedTimestamps(await this.redis(), this.keys);
  }

  /** The items due at second `ts`, decoded where they are jobs (php, Ruby and node-resque items alike). */
  async peekDelayed(ts: number, start = 0, count = 100): Promise<DecodedJob[]> {
    const jobs: DecodedJob[] = [];
    for (const raw of await peekDelayed(await this.redis(), this.keys, ts, start, count)) {
      try {
        jobs.push(decodePayload(raw));
      } catch {
        /* not a job: skipped in this view, left where it is */
      }
    }
    return jobs;
  }

  /**
   * Remove delayed jobs of `queue` and `jobClass` (and `args`, when given: php-resque's `$args`, or
   * a Ruby / node-resque item's positional list), whoever scheduled them; items are compared
   * decoded, not by bytes. Resolves how many were removed.
   */
  async removeDelayed(queue: string, jobClass: string, args?: unknown): Promise<number> {
    return editMatching(await this.redis(), this.keys, matchOf(queue, jobClass, args));
  }

  /** removeDelayed, for the jobs scheduled at `at` only. */
  async removeDelayedAt(at: Date | number, queue: string, jobClass: string, args?: unknown): Promise<number> {
    return editMatching(await this.redis(), this.keys, matchOf(queue, jobClass, args), { only: dueSecond(at) });
  }

  /** Make matching delayed jobs due now (the scheduler moves them at once). Resolves how many. */
  async enqueueDelayedNow(queue: string, jobClass: string, args?: unknown): Promise<number> {
    return editMatching(await this.redis(), this.keys, matchOf(queue, jobClass, args), { toTs: Math.floor(Date.now() / 1000) });
  }

  /** Status of a job enqueued with trackStatus (prefix as given to enqueue). */
  status(id: string, prefix = ''): JobStatus {
    return new JobStatus(() => this.redis(), this.keys, id, prefix);
  }

  /** Number of jobs waiting in a queue. */
  async size(queue: string): Promise<number> {
    return queueSize(await this.redis(), this.keys, queue);
  }

  /** Every known queue name, sorted. */
  async queues(): Promise<string[]> {
    return (await queueNames(await this.redis(), this.keys)).sort();
  }

  /** Decoded jobs from a queue without removing them (malformed items are skipped). */
  async peek(queue: string, start = 0, count = 1): Promise<DecodedJob[]> {
    const raws = await peekRaw(await this.redis(), this.keys, queue, start, count);
    const jobs: DecodedJob[] = [];
    for (const raw of raws) {
      try {
        jobs.push(decodePayload(raw));
      } catch {
        /* not a job: skipped in this view, left in the queue */
      }
    }
    return jobs;
  }

  /** Remove every job (no filters) or the matching ones; resolves the number removed. */
  async dequeue(queue: string, filters: readonly DequeueFilter[] = []): Promise<number> {
    return dequeue(await this.redis(), this.keys, queue, filters);
  }

  /** Delete a queue and its name; resolves the number of jobs it held. */
  async removeQueue(queue: string): Promise<number> {
    return removeQueue(await this.redis(), this.keys, queue);
  }

  /** Release every connection this instance opened. */
  async close(): Promise<void> {
    await this.connection.close();
  }

  private async runBefore(jobClass: string, args: JobArgs, queue: string, id: string): Promise<boolean> {
    try {
      return await this.runHooks('beforeEnqueue', jobClass, args, queue, id);
    } catch (e) {
      if (e instanceof DoNotCreate) return false;
      throw e;
    }
  }

  private async runHooks(event: 'beforeEnqueue' | 'afterEnqueue', ...a: Parameters<BeforeEnqueueHook>): Promise<boolean> {
    for (const hook of this.hooks[event as 'beforeEnqueue' | 'afterEnqueue']) {
      if ((await hook(...a)) === false && event === 'beforeEnqueue') return false;
    }
    return true;
  }

  // ---- php-resque style static API over a default instance ----

  private static defaultOptions: ResqueOptions = {};
  private static instance: Resque | undefined;

  /** Hooks registered through the static API: global like php-resque's Event::listen, so they
   * survive setBackend / setNamespace / close, which replace the default instance. */
  private static readonly staticHooks: Array<{ [K in keyof EnqueueHooks]: [K, EnqueueHooks[K]] }[keyof EnqueueHooks]> = [];

  /** The default instance used by the static methods (created on first use). */
  static get default(): Resque {
    if (!Resque.instance) {
      const inst = new Resque(Resque.defaultOptions);
      for (const [event, hook] of Resque.staticHooks) inst.hooks[event].push(hook as never);
      Resque.instance = inst;
    }
    return Resque.instance;
  }

  /** Point the static API at another Redis (php-resque `Resque::setBackend`). */
  static setBackend(server: RedisSpec, database?: number): void {
    Resque.reset({ ...Resque.defaultOptions, redis: server, ...(database !== undefined ? { database } : { database: undefined }) });
  }

  /** Change the static API's namespace (php-resque `Redis::prefix`). */
  static setNamespace(namespace: string): void {
    Resque.reset({ ...Resque.defaultOptions, namespace });
  }

  private static reset(options: ResqueOptions): void {
    const old = Resque.instance;
    Resque.instance = undefined;
    Resque.defaultOptions = options;
    if (old) old.close().catch(() => undefined);
  }

  static enqueue(queue: string, jobClass: string, args: JobArgs = {}, trackStatus = false, prefix = ''): Promise<string | false> {
    return Resque.default.enqueue(queue, jobClass, args, trackStatus, prefix);
  }
  static enqueueBulk(queue: string, jobs: readonly BulkJob[]): Promise<Array<string | false>> {
    return Resque.default.enqueueBulk(queue, jobs);
  }
  static enqueueAt(at: Date | number, queue: string, jobClass: string, args: JobArgs = {}, options: ScheduleOptions = {}): Promise<string> {
    return Resque.default.enqueueAt(at, queue, jobClass, args, options);
  }
  static enqueueIn(seconds: number, queue: string, jobClass: string, args: JobArgs = {}, options: ScheduleOptions = {}): Promise<string> {
    return Resque.default.enqueueIn(seconds, queue, jobClass, args, options);
  }
  static enqueueBulkAt(at: Date | number, queue: string, jobs: readonly BulkJob[]): Promise<string[]> {
    return Resque.default.enqueueBulkAt(at, queue, jobs);
  }
  static delayedSize(): Promise<number> {
    return Resque.default.delayedSize();
  }
  static delayedTimestamps(): Promise<number[]> {
    return Resque.default.delayedTimestamps();
  }
  static peekDelayed(ts: number, start = 0, count = 100): Promise<DecodedJob[]> {
    return Resque.default.peekDelayed(ts, start, count);
  }
  static removeDelayed(queue: string, jobClass: string, args?: unknown): Promise<number> {
    return Resque.default.removeDelayed(queue, jobClass, args);
  }
  static removeDelayedAt(at: Date | number, queue: string, jobClass: string, args?: unknown): Promise<number> {
    return Resque.default.removeDelayedAt(at, queue, jobClass, args);
  }
  static enqueueDelayedNow(queue: string, jobClass: string, args?: unknown): Promise<number> {
    return Resque.default.enqueueDelayedNow(queue, jobClass, args);
  }
  /** The default instance's event handlers. */
  static get events(): EventRegistry {
    return Resque.default.events;
  }
  static publish(event: string, params: JobArgs = {}): Promise<PublishedJob[]> {
    return Resque.default.publish(event, params);
  }
  /** The default instance's recurring schedules. */
  static get schedules(): ScheduleRegistry {
    return Resque.default.schedules;
  }
  static status(id: string, prefix = ''): JobStatus {
    return Resque.default.status(id, prefix);
  }
  static size(queue: string): Promise<number> {
    return Resque.default.size(queue);
  }
  static queues(): Promise<string[]> {
    return Resque.default.queues();
  }
  static peek(queue: string, start = 0, count = 1): Promise<DecodedJob[]> {
    return Resque.default.peek(queue, start, count);
  }
  static dequeue(queue: string, filters: readonly DequeueFilter[] = []): Promise<number> {
    return Resque.default.dequeue(queue, filters);
  }
  static removeQueue(queue: string): Promise<number> {
    return Resque.default.removeQueue(queue);
  }
  static on<K extends keyof EnqueueHooks>(event: K, hook: EnqueueHooks[K]): () => void {
    const entry = [event, hook] as (typeof Resque.staticHooks)[number];
    const current = Resque.default; // created (and given the earlier static hooks) before we add this one
    Resque.staticHooks.push(entry);
    const offCurrent = current.on(event, hook);
    return () => {
      const i = Resque.staticHooks.indexOf(entry);
      if (i >= 0) Resque.staticHooks.splice(i, 1);
      offCurrent();
      const list = Resque.instance?.hooks[event] as EnqueueHooks[K][] | undefined;
      const j = list?.indexOf(hook) ?? -1;
      if (list && j >= 0) list.splice(j, 1);
    };
  }
  /** Close the default instance's connections so the process can exit. */
  static async close(): Promise<void> {
    const old = Resque.instance;
    Resque.instance = undefined;
    if (old) await old.close();
  }
}

/** A job's args ({} when omitted), after checking them and its class. */
function checkedArgs(job: Pick<BulkJob, 'class' | 'args'>): JobArgs {
  const args = job.args === undefined ? {} : job.args;
  assertJobArgs(args);
  if (typeof job.class !== 'string' || job.class === '') throw new TypeError('Job class must be a non-empty string');
  return args;
}

/** php-resque 2.x's payload for a new job enqueued at `nowMs`. */
function payloadOf(job: Pick<BulkJob, 'class' | 'prefix'>, args: JobArgs, id: string, nowMs: number): string {
  return encodePayload({ className: job.class, args, id, prefix: job.prefix ?? '', queueTime: microtime(nowMs) });
}

function matchOf(queue: string, jobClass: string, args: unknown): DelayedMatch {
  assertQueueName(queue);
  if (typeof jobClass !== 'string' || jobClass === '') throw new TypeError('Job class must be a non-empty string');
  return args === undefined ? { queue, jobClass } : { queue, jobClass, args };
}

function assertQueueName(queue: string): void {
  if (typeof queue !== 'string' || queue === '') throw new TypeError('Queue name must be a non-empty string');
}
