/**
 * When a recurring schedule fires: its ticks, as epoch milliseconds.
 *   1. parseEvery: rufus-scheduler's durations (`1s`, `30s`, `5m`, `1h30m`, `2d`, `1w`) or seconds;
 *   2. ticksOf: `cron` (5 fields, or 6 with seconds first; a trailing time zone name as
 *      resque-scheduler allows, or `timezone`) through croner, or `every` — aligned to the epoch
 *      (tick = k × period), so that every scheduler computes the same ticks.
 */
import { Cron } from 'croner';

export interface TickSource {
  /** The first tick strictly after `afterMs`, or undefined when there is none. */
  next(afterMs: number): number | undefined;
  /** A short description: `cron "*\/5 * * * *" (Europe/Berlin)`, `every 30s`. */
  readonly text: string;
}

const UNITS: Readonly<Record<string, number>> = {
  ms: 1, s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000, w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

/** A duration in milliseconds: `1s`, `1h30m`, `15mins`, or a number of seconds. Throws TypeError. */
export function parseEvery(every: string | number): number {
  if (typeof every === 'number') {
    if (!(every > 0) || !Number.isFinite(every)) throw new TypeError(`every: ${every} is not a positive number of seconds`);
    return Math.round(every * 1000);
  }
  const text = every.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return parseEvery(Number(text));
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/.exec(rest);
    const unit = m ? UNITS[m[2] as string] : undefined;
    if (!m || unit === undefined) throw new TypeError(`every: "${every}" is not a duration like 30s, 5m, 1h30m or 2d`);
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  if (!(total >= 1)) throw new TypeError(`every: "${every}" is shorter than 1 ms`);
  return Math.round(total);
}

/** A cron string with a trailing zone (`0 5 * * * America/New_York`) split into the two. */
function splitZone(cron: string): { pattern: string; zone: string | undefined } {
  const parts = cron.trim().split(/\s+/);
  const last = parts[parts.length - 1] ?? '';
  if (parts.length >= 6 && /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(last) && !/^(mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/i.test(last)) {
    return { pattern: parts.slice(0, -1).join(' '), zone: last };
  }
  return { pattern: parts.join(' '), zone: undefined };
}

/** The ticks of a schedule's `cron` (or `every`). Throws TypeError for a bad one. */
export function ticksOf(config: { cron?: string | undefined; every?: string | number | undefined; timezone?: string | undefined }): TickSource {
  if (typeof config.cron === 'string' && config.cron.trim() !== '') {
    const { pattern, zone } = splitZone(config.cron);
    const fields = pattern.split(/\s+/).length;
    if (fields !== 5 && fields !== 6) throw new TypeError(`cron "${config.cron}": 5 fields (minute hour day month weekday), or 6 with seconds first`);
    const timezone = config.timezone ?? zone;
    let cron: Cron;
    try {
      cron = new Cron(pattern, timezone ? { timezone } : {});
    } catch (e) {
      throw new TypeError(`cron "${config.cron}": ${(e as Error).message}`);
    }
    return {
      text: `cron "${pattern}"${timezone ? ` (${timezone})` : ''}`,
      next: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime(),
    };
  }
  if (config.every !== undefined && config.every !== '') {
    const period = parseEvery(config.every);
    return { text: `every ${typeof config.every === 'number' ? `${config.every}s` : config.every}`, next: (afterMs) => (Math.floor(afterMs / period) + 1) * period };
  }
  throw new TypeError('a schedule needs "cron" or "every"');
}
