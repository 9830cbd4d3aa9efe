/**
 * Reading the wall-clock strings the peers write (WIRE.md §5.3, §7) back into instants.
 *   1. Each format is matched by its own pattern, never by Date.parse's guesses (which read an
 *      unknown zone as local time): php-resque 2.x `date('c')`, Ruby's ISO-8601 with `Z`, Ruby's
 *      `Time#to_s`, Ruby's failed_at `%Y/%m/%d %H:%M:%S %Z`, php-resque 1.x's strftime, JS
 *      `Date#toString()`, and node-resque's unix seconds.
 *   2. The raw text is always kept; `at` is null when the format or its zone is not understood
 *      (a zone abbreviation other than UTC/GMT cannot be resolved without a zone database).
 */

/** Which spelling a time was written in. */
export type WireTimeFormat =
  | 'iso8601' // 2026-11-21T09:07:52+00:00 (php-resque 2.x, resque-ts), 2026-11-21T09:08:15Z (Ruby run_at)
  | 'ruby-time' // 2026-11-21 09:08:15 +0000 (Ruby Time#to_s: worker started)
  | 'ruby-failed-at' // 2026/11/21 09:08:22 UTC (Ruby failed_at, retried_at)
  | 'strftime' // Sat Nov 21 09:08:11 UTC 2026 (php-resque 1.x)
  | 'js-date' // Sat Nov 21 2026 09:08:38 GMT+0000 (Coordinated Universal Time) (node-resque)
  | 'unix' // 1795252119 (node-resque started, ping time)
  | 'unknown';

/** A time as a peer stored it, and the instant it names when that could be worked out. */
export interface WireTime {
  /** The text as stored (a number is given as its decimal text). */
  readonly raw: string;
  /** The instant, or null when the text is not understood. */
  readonly at: Date | null;
  readonly format: WireTimeFormat;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const ISO = /^(\d{4})-(\d\d)-(\d\d)([T ])(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? ?(Z|[+-]\d\d:?\d\d)$/;
const RUBY_FAILED_AT = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) (\S+)$/;
const STRFTIME = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\S+) (\d{4})$/;
const JS_DATE = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d\d) (\d{4}) (\d\d):(\d\d):(\d\d) GMT([+-]\d{4})(?: \(.*\))?$/;
const UNIX = /^\d{1,12}(?:\.\d+)?$/;

interface Parts {
  y: number;
  mo: number; // 1-12
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
  /** Minutes east of UTC, or null when the zone is unknown. */
  offset: number | null;
}

/** Parse any of the peers' time strings (see module comment). Never throws. */
export function parseWireTime(raw: string): WireTime {
  const text = raw.trim();
  if (UNIX.test(text)) return fromUnixSeconds(Number(text), raw);
  for (const parse of PARSERS) {
    const found = parse(text);
    if (found) return { raw, at: instant(found.parts), format: found.format };
  }
  return { raw, at: null, format: 'unknown' };
}

/** A unix-seconds value (node-resque's ping `time`, its `started`). */
export function fromUnixSeconds(seconds: number, raw: string = String(seconds)): WireTime {
  return { raw, at: Number.isFinite(seconds) ? new Date(seconds * 1000) : null, format: 'unix' };
}

interface Found {
  parts: Parts;
  format: WireTimeFormat;
}

const PARSERS: ReadonlyArray<(text: string) => Found | null> = [parseIso, parseRubyFailedAt, parseStrftime, parseJsDate];

/** `date('c')` and ISO-8601 with `Z` (separator `T`), or Ruby's Time#to_s (separator space). */
function parseIso(text: string): Found | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const ms = m[8] ? Math.floor(Number(`0.${m[8]}`) * 1000) : 0;
  const parts = { y: +m[1]!, mo: +m[2]!, d: +m[3]!, h: +m[5]!, mi: +m[6]!, s: +m[7]!, ms, offset: zoneOffset(m[9]!) };
  return { parts, format: m[4] === 'T' ? 'iso8601' : 'ruby-time' };
}

function parseRubyFailedAt(text: string): Found | null {
  const m = RUBY_FAILED_AT.exec(text);
  if (!m) return null;
  const parts = { y: +m[1]!, mo: +m[2]!, d: +m[3]!, h: +m[4]!, mi: +m[5]!, s: +m[6]!, ms: 0, offset: zoneOffset(m[7]!) };
  return { parts, format: 'ruby-failed-at' };
}

function parseStrftime(text: string): Found | null {
  const m = STRFTIME.exec(text);
  const mo = m ? MONTHS.indexOf(m[1]!) + 1 : 0;
  if (!m || mo === 0) return null;
  const parts = { y: +m[7]!, mo, d: +m[2]!, h: +m[3]!, mi: +m[4]!, s: +m[5]!, ms: 0, offset: zoneOffset(m[6]!) };
  return { parts, format: 'strftime' };
}

function parseJsDate(text: string): Found | null {
  const m = JS_DATE.exec(text);
  const mo = m ? MONTHS.indexOf(m[1]!) + 1 : 0;
  if (!m || mo === 0) return null;
  const parts = { y: +m[3]!, mo, d: +m[2]!, h: +m[4]!, mi: +m[5]!, s: +m[6]!, ms: 0, offset: zoneOffset(m[7]!) };
  return { parts, format: 'js-date' };
}

/** Minutes east of UTC for `Z`, `UTC`, `GMT`, `+hh:mm`, `+hhmm`; null for any other name. */
function zoneOffset(zone: string): number | null {
  if (/^(Z|UTC|GMT|UT)$/i.test(zone)) return 0;
  const m = /^([+-])(\d\d):?(\d\d)$/.exec(zone);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

/** The instant, or null for an unknown zone or an impossible date (month 13, Feb 30, hour 25). */
function instant(p: Parts): Date | null {
  if (p.offset === null) return null;
  const local = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s, p.ms);
  const check = new Date(local);
  if (check.getUTCMonth() !== p.mo - 1 || check.getUTCDate() !== p.d || check.getUTCHours() !== p.h || check.getUTCMinutes() !== p.mi || p.s > 60) {
    return null;
  }
  return new Date(local - p.offset * 60000);
}
