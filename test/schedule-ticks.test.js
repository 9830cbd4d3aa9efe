'use strict';
// src/schedule-ticks.ts and the misfire arithmetic of src/store/schedules.ts, without Redis.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { parseEvery, ticksOf } = require('../dist/schedule-ticks');
const { dueTicks, schedulePayload } = require('../dist/store/schedules');

test('parseEvery: rufus-scheduler durations and seconds', () => {
  assert.equal(parseEvery('1s'), 1000);
  assert.equal(parseEvery('30s'), 30000);
  assert.equal(parseEvery('5m'), 300000);
  assert.equal(parseEvery('15mins'), 900000);
  assert.equal(parseEvery('1h30m'), 5400000);
  assert.equal(parseEvery('2d'), 172800000);
  assert.equal(parseEvery('1w'), 604800000);
  assert.equal(parseEvery(2.5), 2500);
  assert.equal(parseEvery('10'), 10000);
  for (const bad of ['', 'soon', '5x', '-1s', 0, -3]) assert.throws(() => parseEvery(bad), TypeError, String(bad));
});

test('ticks: every is aligned to the epoch; cron takes 5 or 6 fields, a trailing zone, or timezone', () => {
  const every = ticksOf({ every: '10s' });
  assert.equal(every.next(1795252089123), 1795252090000);
  assert.equal(every.next(1795252090000), 1795252100000, 'strictly after');
  const six = ticksOf({ cron: '*/15 * * * * *' });
  assert.equal(six.next(Date.UTC(2026, 11, 3, 9, 0, 1)), Date.UTC(2026, 11, 3, 9, 0, 15), 'seconds field');
  const zoned = ticksOf({ cron: '0 5 * * * America/New_York' });
  assert.equal(zoned.text, 'cron "0 5 * * *" (America/New_York)');
  assert.equal(zoned.next(Date.UTC(2026, 11, 3, 0, 0, 0)), Date.UTC(2026, 11, 3, 10, 0, 0), '05:00 EST is 10:00 UTC');
  const field = ticksOf({ cron: '0 5 * * *', timezone: 'Asia/Tokyo' });
  assert.equal(field.next(Date.UTC(2026, 11, 3, 0, 0, 0)), Date.UTC(2026, 11, 3, 20, 0, 0), '05:00 JST is 20:00 UTC of the day before');
  const dow = ticksOf({ cron: '30 6 * * mon' });
  assert.equal(new Date(dow.next(Date.UTC(2026, 11, 3))).getUTCDay(), 1, 'a weekday name is no zone');
  assert.throws(() => ticksOf({ cron: '* * *' }), /5 fields/);
  assert.throws(() => ticksOf({ cron: '61 * * * *' }), TypeError);
  assert.throws(() => ticksOf({}), /"cron" or "every"/);
});

test('dueTicks: skip / once / all, with the bound and the grace', () => {
  const s = ticksOf({ every: '1m' });
  const M = 60000;
  const last = 100 * M;
  const now = 105 * M + 30000; // 5 ticks missed, the latest 30 s ago
  assert.deepEqual(dueTicks(s, last, now, 'skip'), { fire: [], latest: 105 * M });
  assert.deepEqual(dueTicks(s, last, now, 'once'), { fire: [105 * M], latest: 105 * M });
  assert.deepEqual(dueTicks(s, last, now, 'all'), { fire: [101, 102, 103, 104, 105].map((m) => m * M), latest: 105 * M });
  assert.deepEqual(dueTicks(s, last, now, 'all', 2).fire, [104 * M, 105 * M], 'at most maxMisfires, the newest');
  assert.deepEqual(dueTicks(s, last, 105 * M + 1500, 'skip').fire, [105 * M], 'on time (within 2 s) is not a misfire');
  assert.deepEqual(dueTicks(s, last, last + 10, 'all'), { fire: [], latest: undefined });
});

test('the job a schedule pushes: php args [args]; an array of args is positional, as resque-scheduler splats it', () => {
  const php = JSON.parse(schedulePayload({ class: 'A', queue: 'q', args: { x: 1 } }, 'ab'.repeat(16), 1795252089000));
  assert.deepEqual([php.class, php.args, php.id, php.prefix, php.queue_time], ['A', [{ x: 1 }], 'ab'.repeat(16), '', 1795252089]);
  assert.deepEqual(JSON.parse(schedulePayload({ class: 'A', queue: 'q', args: ['a', 1] }, 'cd'.repeat(16), 0)).args, ['a', 1]);
  assert.deepEqual(JSON.parse(schedulePayload({ class: 'A', queue: 'q' }, 'ef'.repeat(16), 0)).args, [{}]);
});
