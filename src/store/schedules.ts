/**
 * Recurring schedules, where resque-scheduler keeps them: `persistent_schedules` (hash name →
 * JSON config) and `schedules_changed` (set of names), so every scheduler and dashboard sees one
 * list; plus our state per schedule (`resque-ts:schedule:NAME`: the last tick fired or passed).
 *   1. setSchedule / removeSchedule / listSchedules, with the config checked (class, queue, a cron
 *      or every that parses, the policies);
 *   2. dueTicks: what a misfire policy makes of the ticks since the last one;
 *   3. fireTick: one tick, exactly once across any number of schedulers (src/redis/scripts/fire-schedule.ts).
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { fireSchedule } from '../redis/scripts/fire-schedule';
import { encodePayload, microtime, newJobId, type JobArgs } from '../payload';
import { ticksOf, type TickSource } from '../schedule-ticks';
import { waitingPacket } from './status';
import { OptionError } from '../errors';

/** What to do with ticks missed while no scheduler ran: none, the latest once (default), or all (up to `maxMisfires`). */
export type MisfirePolicy = 'skip' | 'once' | 'all';
/** Whether a tick fires while the previous run's job still waits or runs. */
export type OverlapPolicy = 'allow' | 'skip';

/** A recurring schedule as stored (resque-scheduler's fields, and ours after them). */
export interface ScheduleConfig {
  /** 5 fields, or 6 with seconds first; a trailing time zone name is allowed (`0 5 * * * Europe/Paris`). */
  cron?: string;
  /** Instead of cron: `30s`, `5m`, `1h30m`, `2d`, or seconds; ticks at multiples of it since the epoch. */
  every?: string | number;
  class: string;
  queue: string;
  /** php-resque's `$args` (the job gets `[args]`); an array is taken as positional args, as resque-scheduler does. */
  args?: JobArgs;
  description?: string;
  /** IANA zone for `cron` (default: the host's). */
  timezone?: string;
  misfire?: MisfirePolicy;
  overlap?: OverlapPolicy;
  /** With misfire 'all': at most this many missed ticks fire (default 100). */
  maxMisfires?: number;
}

/** A schedule with its state. */
export interface ScheduleInfo {
  readonly name: string;
  readonly config: ScheduleConfig;
  /** `cron "…" (zone)` or `every …`; undefined when the config does not parse. */
  readonly when: string | undefined;
  /** The next tick after now (epoch ms). */
  readonly nextRunAt: number | undefined;
  /** When the last tick fired a job (epoch ms), its id. */
  readonly lastRunAt: number | undefined;
  readonly lastJob: string | undefined;
  /** Why it cannot run (a bad config written by hand or by a peer). */
  readonly error: string | undefined;
}

const POLICIES: readonly MisfirePolicy[] = ['skip', 'once', 'all'];

/** The config checked; throws OptionError naming the schedule and the field. */
export function checkSchedule(name: string, config: ScheduleConfig): TickSource {
  if (typeof name !== 'string' || name === '') throw new OptionError('A schedule needs a name');
  const c = config as Partial<ScheduleConfig> | null;
  if (!c || typeof c !== 'object') throw new OptionError(`Schedule ${name}: the config must be an object`);
  if (typeof c.class !== 'string' || c.class === '') throw new OptionError(`Schedule ${name}: "class" must be a class name`);
  if (typeof c.queue !== 'string' || c.queue === '') throw new OptionError(`Schedule ${name}: "queue" must be a queue name (the scheduler loads no classes)`);
  if (c.misfire !== undefined && !POLICIES.includes(c.misfire)) throw new OptionError(`Schedule ${name}: "misfire" must be skip, once or all`);
  if (c.overlap !== undefined && c.overlap !== 'allow' && c.overlap !== 'skip') throw new OptionError(`Schedule ${name}: "overlap" must be allow or skip`);
  try {
    return ticksOf(c);
  } catch (e) {
    throw new OptionError(`Schedule ${name}: ${(e as Error).message}`);
  }
}

export async function setSchedule(redis: Redis, keys: Keys, name: string, config: ScheduleConfig): Promise<void> {
  checkSchedule(name, config);
  await redis.multi().hset(keys.persistentSchedules(), name, JSON.stringify(config)).sadd(keys.schedulesChanged(), name).exec();
}

/** Resolves whether it existed. Its state goes too. */
export async function removeSchedule(redis: Redis, keys: Keys, name: string): Promise<boolean> {
  const replies = await redis.multi().hdel(keys.persistentSchedules(), name).sadd(keys.schedulesChanged(), name).del(keys.scheduleState(name)).exec();
  return Number(replies?.[0]?.[1] ?? 0) > 0;
}

/** Every stored schedule: name → config as stored (undefined when it is not JSON). */
export async function readSchedules(redis: Redis, keys: Keys): Promise<Map<string, ScheduleConfig | undefined>> {
  const all = await redis.hgetall(keys.persistentSchedules());
  const out = new Map<string, ScheduleConfig | undefined>();
  for (const [name, text] of Object.entries(all)) {
    try {
      const v = JSON.parse(text) as unknown;
      // resque-scheduler: without "class", the name is the class.
      out.set(name, v && typeof v === 'object' ? { ...(v as ScheduleConfig), class: (v as { class?: string }).class ?? name } : undefined);
    } catch {
      out.set(name, undefined);
    }
  }
  return out;
}

export async function listSchedules(redis: Redis, keys: Keys, now: number = Date.now()): Promise<ScheduleInfo[]> {
  const out: ScheduleInfo[] = [];
  for (const [name, config] of [...(await readSchedules(redis, keys))].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const state = await redis.hgetall(keys.scheduleState(name));
    let when: string | undefined;
    let nextRunAt: number | undefined;
    let error: string | undefined;
    if (!config) {
      error = 'the stored config is not JSON';
    } else {
      try {
        const ticks = checkSchedule(name, config);
        when = ticks.text;
        nextRunAt = ticks.next(now);
      } catch (e) {
        error = (e as Error).message;
      }
    }
    out.push({
      name, config: config ?? ({} as ScheduleConfig), when, nextRunAt,
      lastRunAt: state['lastRunAt'] ? Number(state['lastRunAt']) : undefined, lastJob: state['lastJob'] || undefined, error,
    });
  }
  return out;
}

/**
 * The ticks to fire after `last` up to `now` under `policy`, and the latest due tick (to pass when
 * none fires). 'skip' fires a tick only while it is on time (within `graceMs`).
 */
export function dueTicks(ticks: TickSource, last: number, now: number, policy: MisfirePolicy, maxMisfires = 100, graceMs = 2000): { fire: number[]; latest: number | undefined } {
  const due: number[] = [];
  for (let t = ticks.next(last); t !== undefined && t <= now; t = ticks.next(t)) {
    due.push(t);
    if (due.length > maxMisfires) due.shift(); // only the newest ones can fire
  }
  const latest = due[due.length - 1];
  if (latest === undefined) return { fire: [], latest };
  if (policy === 'all') return { fire: due, latest };
  if (policy === 'skip') return { fire: now - latest <= graceMs ? [latest] : [], latest };
  return { fire: [latest], latest };
}

/** The job a schedule pushes: php-resque's payload; an array of args is positional (resque-scheduler's splat). */
export function schedulePayload(config: ScheduleConfig, id: string, nowMs: number): string {
  const args = config.args === undefined ? {} : config.args;
  const base = { className: config.class, id, prefix: '', queueTime: microtime(nowMs) };
  return Array.isArray(args) ? encodePayload({ ...base, args: null, positional: args }) : encodePayload({ ...base, args });
}

/** Fire (or pass, payload-less) one tick; resolves what the script did. */
export async function fireTick(
  redis: Redis, keys: Keys, name: string, config: ScheduleConfig, tick: number, opts: { pass?: boolean; lastJob?: string | undefined; now?: number } = {},
): Promise<{ result: 'fired' | 'taken' | 'overlap' | 'passed'; id: string }> {
  const now = opts.now ?? Date.now();
  const id = newJobId();
  const tracked = config.overlap === 'skip';
  const r = Number(await fireSchedule.call(redis, {
    keys: {
      state: keys.scheduleState(name), queues: keys.queues(), queue: keys.queue(config.queue),
      status: tracked ? keys.status(id) : keys.absent(),
      lastStatus: tracked && opts.lastJob ? keys.status(opts.lastJob) : keys.absent(),
    },
    args: {
      tick, payload: opts.pass ? '' : schedulePayload(config, id, now), name: config.queue, id,
      packet: waitingPacket(Math.floor(now / 1000)), now, overlapSkip: tracked ? '1' : '0',
    },
  }));
  return { result: r === 1 ? 'fired' : r === 0 ? 'taken' : r === 2 ? 'overlap' : 'passed', id };
}

/** Push a schedule's job now, outside its ticks (`resque schedules run NAME`). Resolves its id. */
export async function runScheduleNow(redis: Redis, keys: Keys, config: ScheduleConfig): Promise<string> {
  const id = newJobId();
  await redis.multi().sadd(keys.queues(), config.queue).rpush(keys.queue(config.queue), schedulePayload(config, id, Date.now())).exec();
  return id;
}

/** A schedule seen for the first time: its ticks count from now (no run for the time before it existed). */
export async function initSchedule(redis: Redis, keys: Keys, name: string, now: number): Promise<number> {
  await redis.hsetnx(keys.scheduleState(name), 'last', String(now));
  return Number(await redis.hget(keys.scheduleState(name), 'last'));
}

/** Schedules declared in a file (`--schedule=FILE`): name → config, from JSON or YAML. */
export function parseScheduleFile(file: string, text: string): Record<string, ScheduleConfig> {
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(file) ? (require('yaml') as typeof import('yaml')).parse(text) : JSON.parse(text);
  } catch (e) {
    throw new OptionError(`Schedule file ${file}: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new OptionError(`Schedule file ${file}: expected a map of schedule names to configs`);
  const out: Record<string, ScheduleConfig> = {};
  for (const [name, config] of Object.entries(value as Record<string, unknown>)) {
    const c = { ...(config as ScheduleConfig), class: (config as { class?: string } | null)?.class ?? name };
    checkSchedule(name, c);
    out[name] = c;
  }
  return out;
}

/**
 * Store a file's schedules (each marked with `file`), and remove the ones an earlier version of
 * that file declared and this one no longer does. Resolves the names stored.
 */
export async function syncScheduleFile(redis: Redis, keys: Keys, file: string, schedules: Record<string, ScheduleConfig>): Promise<string[]> {
  for (const [name, config] of Object.entries(schedules)) await setSchedule(redis, keys, name, { ...config, file } as ScheduleConfig);
  for (const [name, config] of await readSchedules(redis, keys)) {
    if ((config as { file?: unknown } | undefined)?.file === file && !(name in schedules)) await removeSchedule(redis, keys, name);
  }
  return Object.keys(schedules);
}
