/**
 * Event fan-out (Ebats' events): jobs registered for an event name, all enqueued (or scheduled)
 * in one atomic step when it is published. The registry is ours (`resque-ts:event:EVENT`, a hash),
 * additive to the wire; the jobs it makes are ordinary payloads and delayed items.
 */
import type Redis from 'ioredis';
import type { Keys } from '../redis/keys';
import { publish as publishScript } from '../redis/scripts/publish';
import { phpJsonEncode } from '../json';
import { microtime, newJobId, type JobArgs } from '../payload';
import { OptionError } from '../errors';

export interface EventHandler {
  readonly jobClass: string;
  readonly queue: string;
  /** Seconds: the job is scheduled this long after the event (0: enqueued at once). */
  readonly delay: number;
}

/** A job a publish made. */
export interface PublishedJob {
  readonly id: string;
  readonly queue: string;
  /** The unix second it is scheduled for, when its handler has a delay. */
  readonly at: number | undefined;
}

const field = (jobClass: string, queue: string): string => `${queue}\n${jobClass}`;

function checkName(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new OptionError(`${what} must be a non-empty string`);
}

export async function registerHandler(redis: Redis, keys: Keys, event: string, jobClass: string, queue: string, delay = 0): Promise<void> {
  checkName('An event name', event);
  checkName('A job class', jobClass);
  checkName('A queue name', queue);
  if (!(delay >= 0) || !Number.isFinite(delay)) throw new OptionError(`A delay must be a number of seconds ≥ 0, got ${String(delay)}`);
  await redis.hset(keys.eventHandlers(event), field(jobClass, queue), `{"class":${phpJsonEncode(jobClass)},"queue":${phpJsonEncode(queue)},"delay":${phpJsonEncode(delay)}}`);
}

export async function unregisterHandler(redis: Redis, keys: Keys, event: string, jobClass: string, queue: string): Promise<boolean> {
  return (await redis.hdel(keys.eventHandlers(event), field(jobClass, queue))) > 0;
}

export async function listHandlers(redis: Redis, keys: Keys, event: string): Promise<EventHandler[]> {
  return Object.values(await redis.hgetall(keys.eventHandlers(event))).map((text) => {
    const v = JSON.parse(text) as { class: string; queue: string; delay?: number };
    return { jobClass: v.class, queue: v.queue, delay: v.delay ?? 0 };
  });
}

/** Every handler's job, in one script; resolves the jobs made (none when nobody listens). */
export async function publishEvent(redis: Redis, keys: Keys, event: string, params: JobArgs): Promise<PublishedJob[]> {
  checkName('An event name', event);
  const encoded = phpJsonEncode(params);
  for (let want = (await redis.hlen(keys.eventHandlers(event))) + 4; ; want *= 2) {
    const now = Date.now();
    const reply = (await publishScript.call(redis, {
      keys: { handlers: keys.eventHandlers(event), queues: keys.queues(), schedule: keys.delayedSchedule(), wake: keys.schedulerWake() },
      args: { ns: keys.ns, params: encoded, queueTime: phpJsonEncode(microtime(now)), now: Math.floor(now / 1000) },
      restArgs: Array.from({ length: want }, () => newJobId()),
    })) as unknown[];
    if (reply[0] === -1) continue; // registered meanwhile: more ids
    return (reply as Array<[string, string, number]>).map(([id, queue, ts]) => ({ id, queue, at: Number(ts) > 0 ? Number(ts) : undefined }));
  }
}
