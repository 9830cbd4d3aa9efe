import { Script } from '../script';

/**
 * Take one exact delayed item out of `delayed:TS` (every copy of it), with its index entry; an
 * emptied list leaves the schedule. With `toTs` (promote), the copies are scheduled again at
 * that second (and the mover woken), in the same step. Returns how many copies were taken.
 *
 * KEYS[1] delayed      delayed:TS
 * KEYS[2] schedule     delayed_queue_schedule
 * KEYS[3] timestamps   timestamps:<item>
 * KEYS[4] target       delayed:TOTS (Keys.absent() to remove)
 * KEYS[5] wake         resque-ts:scheduler:wake
 * ARGV[1] item         the item's exact bytes
 * ARGV[2] ts           TS
 * ARGV[3] toTs         the second to move it to ('' to remove)
 */
export const editDelayed = new Script(
  'delayed-edit',
  `
local n = redis.call('LREM', KEYS[1], 0, ARGV[1])
if n == 0 then return 0 end
redis.call('SREM', KEYS[3], 'delayed:' .. ARGV[2])
if redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
end
if ARGV[3] ~= '' then
  for _ = 1, n do redis.call('RPUSH', KEYS[4], ARGV[1]) end
  redis.call('SADD', KEYS[3], 'delayed:' .. ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[3])
  redis.call('LPUSH', KEYS[5], '1')
  redis.call('LTRIM', KEYS[5], 0, 0)
end
return n
`,
  { keys: ['delayed', 'schedule', 'timestamps', 'target', 'wake'], args: ['item', 'ts', 'toTs'] } as const,
);
