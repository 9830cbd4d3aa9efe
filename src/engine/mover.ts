/**
 * The scheduler's mover: delayed items onto their queues when they are due.
 *   1. each pass takes (or keeps) the leadership — ours, and the peers' scheduler locks so a fleet
 *      mixed with resque-scheduler or node-resque has one mover — and, leading, moves every due
 *      item in batches of BATCH (each batch one atomic script: no crash or race loses or doubles one);
 *   2. between passes it sleeps until the next due second (a timer from the earliest TS), woken
 *      early when a producer of ours schedules an earlier item (a token on the wake list, which
 *      the leader blocks on), at most INTERVAL (items written by the peers' producers) and at most
 *      REFRESH_MS (the leadership is renewed well within its TTL);
 *   3. Redis errors are logged and retried with backoff; stop() ends the wait at once and gives
 *      the leadership up.
 */
import * as os from 'node:os';
import type Redis from 'ioredis';
import type { Connection } from '../redis/connection';
import type { Keys } from '../redis/keys';
import type { Logger } from '../log';
import { moveDue, resignLead, takeLead } from '../store/delayed';
import { sleep } from '../time';
import { backoffMs } from '../backoff';
import type { AppHooks } from '../job/types';
import { decodePayload } from '../payload';
import { InvalidPayloadError } from '../errors';

/** Items per script call: 100,000 due at once is 100 round trips. */
export const BATCH = 1000;
/** How often the leadership is renewed (its TTL is LEAD_TTL_MS). */
const REFRESH_MS = 2000;

export interface MoverOptions {
  connection: Connection;
  keys: Keys;
  logger: Logger;
  /** Longest sleep between passes, seconds (php-resque's INTERVAL; items of the peers' producers wake nobody). */
  interval: number;
  /** Leadership value, `host:pid` by default. */
  id?: string;
  /** After each pass that moved something. */
  onMoved?: (moved: number) => void;
  /** Told about each job before the batch that moves it (php-resque's event; it cannot stop the move). */
  beforeDelayedEnqueue?: AppHooks['beforeDelayedEnqueue'];
}

export class DelayedMover {
  readonly id: string;
  private stopping = false;
  private readonly stopped = new AbortController();
  private blocker: Promise<Redis> | undefined;
  private blockerId: number | undefined;
  private leading = false;
  /** The last leadership state logged. */
  private state: 'leading' | 'ours' | 'peer' | undefined;
  private errors = 0;
  /** Items moved since start. */
  moved = 0;

  constructor(private readonly o: MoverOptions) {
    this.id = o.id ?? `${os.hostname()}:${process.pid}`;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Move due items until stop(). */
  async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const waitMs = await this.pass();
        this.errors = 0;
        if (!this.stopping) await this.wait(waitMs);
      } catch (e) {
        if (this.stopping) break;
        this.o.logger.warning(`Scheduler: ${this.o.connection.explain(e)}; retrying`);
        this.leading = false;
        this.state = undefined;
        await sleep(backoffMs(this.errors++, { baseMs: 100, maxMs: 2000 }), this.stopped.signal);
      }
    }
    await this.resign();
  }

  /** One pass: lead, move what is due; resolves how long to sleep. */
  private async pass(): Promise<number> {
    const redis = await this.o.connection.client();
    const state = await takeLead(redis, this.o.keys, this.id);
    this.leading = state === 'leading';
    if (state !== this.state) {
      this.state = state;
      this.o.logger.notice(this.leading ? `*** Scheduler ${this.id} leads: moving delayed jobs` : `*** Scheduler ${this.id} stands by (${state === 'peer' ? 'a resque-scheduler or node-resque scheduler holds its lock' : 'another scheduler leads'})`);
    }
    const cap = Math.min(this.o.interval * 1000, REFRESH_MS);
    if (!this.leading) return cap;
    let next: number | undefined;
    let movedNow = 0;
    for (;;) {
      const now = Math.floor(Date.now() / 1000);
      if (this.o.beforeDelayedEnqueue) await this.announce(redis, now);
      const r = await moveDue(redis, this.o.keys, now, BATCH);
      movedNow += r.moved;
      if (r.invalid > 0) this.o.logger.warning(`Scheduler: ${r.invalid} delayed item(s) were not jobs; kept in ${this.o.keys.delayedInvalid()}`);
      next = r.next;
      if (r.moved + r.invalid < BATCH || this.stopping) break;
    }
    if (movedNow > 0) {
      this.moved += movedNow;
      this.o.logger.info(`Scheduler: moved ${movedNow} delayed job(s) onto their queues`);
      this.o.onMoved?.(movedNow);
    }
    if (next === undefined) return cap;
    return Math.max(0, Math.min(cap, next * 1000 - Date.now()));
  }

  /** beforeDelayedEnqueue for the jobs the next batch takes (the leader is the only mover of ours). */
  private async announce(redis: Redis, now: number): Promise<void> {
    const hook = this.o.beforeDelayedEnqueue as NonNullable<AppHooks['beforeDelayedEnqueue']>;
    let left = BATCH;
    for (const ts of await redis.zrangebyscore(this.o.keys.delayedSchedule(), '-inf', now, 'LIMIT', 0, BATCH)) {
      const items = await redis.lrange(this.o.keys.delayed(Number(ts)), 0, left - 1);
      for (const raw of items) {
        try {
          const job = decodePayload(raw);
          const queue = job.fields['queue'];
          if (typeof queue === 'string') await hook(queue, job.className, job.args);
        } catch (e) {
          if (!(e instanceof InvalidPayloadError)) this.o.logger.warning(`Scheduler: the beforeDelayedEnqueue hook threw: ${(e as Error).message}`);
        }
      }
      left -= items.length;
      if (left <= 0) break;
    }
  }

  /** Sleep `ms`; the leader also wakes when a producer of ours schedules an earlier item. */
  private async wait(ms: number): Promise<void> {
    if (ms <= 0) return;
    if (!this.leading) return sleep(ms, this.stopped.signal);
    const c = await this.blocking();
    const unblock = (): void => {
      if (this.blockerId !== undefined) this.o.connection.client().then((r) => r.client('UNBLOCK', this.blockerId as number), () => undefined).catch(() => undefined);
    };
    const timer = setTimeout(unblock, ms);
    this.stopped.signal.addEventListener('abort', unblock, { once: true });
    try {
      // The timer ends the wait on time (CLIENT UNBLOCK); BLPOP's own timeout is a backstop.
      await c.blpop(this.o.keys.schedulerWake(), Math.ceil(ms / 1000) + 1);
    } finally {
      clearTimeout(timer);
      this.stopped.signal.removeEventListener('abort', unblock);
    }
  }

  private blocking(): Promise<Redis> {
    if (!this.blocker) {
      this.blocker = this.o.connection.open('resque-scheduler-wake').then(async (c) => {
        this.blockerId = Number(await c.client('ID'));
        return c;
      });
      this.blocker.catch(() => { this.blocker = undefined; });
    }
    return this.blocker;
  }

  /** End the loop (at once: the wait is cut short); run() resolves once the leadership is given up. */
  stop(): void {
    this.stopping = true;
    this.stopped.abort();
  }

  private async resign(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    try {
      await resignLead(await this.o.connection.client(), this.o.keys, this.id);
    } catch {
      /* the locks expire */
    }
  }
}
