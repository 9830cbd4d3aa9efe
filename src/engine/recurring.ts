/**
 * Recurring schedules, fired by every scheduler (no leader is needed: each tick is claimed in the
 * script that pushes its job, so two schedulers, a deploy or a failover neither double nor drop one).
 *   1. each pass reads the schedules (resque-scheduler's `persistent_schedules`), and for each one
 *      the ticks since its last: the misfire policy decides which fire (skip: only one on time;
 *      once: the latest; all: every one, up to maxMisfires), the rest are passed;
 *   2. a schedule seen for the first time counts from now (nothing fires for the time before it);
 *   3. it sleeps until the next tick of any schedule, at most 1 s (a schedule set or removed is
 *      seen within a second); a config that does not parse is logged once and left alone.
 */
import type { Connection } from '../redis/connection';
import type { Keys } from '../redis/keys';
import type { Logger } from '../log';
import { checkSchedule, dueTicks, fireTick, initSchedule, readSchedules } from '../store/schedules';
import { sleep } from '../time';
import { backoffMs } from '../backoff';

/** Longest sleep between passes: how soon a changed schedule is seen. */
const RELOAD_MS = 1000;

export interface RecurringOptions {
  connection: Connection;
  keys: Keys;
  logger: Logger;
}

export class RecurringFirer {
  private stopping = false;
  private readonly stopped = new AbortController();
  private readonly warned = new Map<string, string>();
  private errors = 0;
  /** Jobs pushed since start. */
  fired = 0;

  constructor(private readonly o: RecurringOptions) {}

  async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const waitMs = await this.pass();
        this.errors = 0;
        await sleep(waitMs, this.stopped.signal);
      } catch (e) {
        if (this.stopping) break;
        this.o.logger.warning(`Scheduler (recurring): ${this.o.connection.explain(e)}; retrying`);
        await sleep(backoffMs(this.errors++, { baseMs: 100, maxMs: 2000 }), this.stopped.signal);
      }
    }
  }

  stop(): void {
    this.stopping = true;
    this.stopped.abort();
  }

  /** One pass over every schedule; resolves how long to sleep. */
  private async pass(): Promise<number> {
    const { keys, logger } = this.o;
    const redis = await this.o.connection.client();
    const now = Date.now();
    let next = now + RELOAD_MS;
    for (const [name, config] of await readSchedules(redis, keys)) {
      if (this.stopping) break;
      let ticks;
      try {
        if (!config) throw new Error(`Schedule ${name}: the stored config is not JSON`);
        ticks = checkSchedule(name, config);
      } catch (e) {
        const message = (e as Error).message;
        if (this.warned.get(name) !== message) logger.warning(`Scheduler: ${message}; it does not run`);
        this.warned.set(name, message);
        continue;
      }
      this.warned.delete(name);
      const state = await redis.hgetall(keys.scheduleState(name));
      if (state['last'] === undefined) {
        await initSchedule(redis, keys, name, now);
      } else {
        const { fire, latest } = dueTicks(ticks, Number(state['last']), now, config.misfire ?? 'once', config.maxMisfires ?? 100);
        let lastJob = state['lastJob'];
        for (const tick of fire) {
          const { result, id } = await fireTick(redis, keys, name, config, tick, { lastJob, now });
          if (result === 'fired') {
            this.fired++;
            lastJob = id;
            logger.info(`Scheduler: ${name} fired (${ticks.text}, tick ${new Date(tick).toISOString()}): ${config.class} on ${config.queue}, job ${id}`);
          } else if (result === 'overlap') {
            logger.notice(`Scheduler: ${name} skipped the tick ${new Date(tick).toISOString()}: its previous job is still waiting or running`);
          }
        }
        if (latest !== undefined && !fire.includes(latest)) await fireTick(redis, keys, name, config, latest, { pass: true, now });
      }
      const n = ticks.next(now);
      if (n !== undefined) next = Math.min(next, n);
    }
    return Math.max(0, next - Date.now());
  }
}
