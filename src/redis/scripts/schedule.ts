import { Script } from '../script';
import { PRESENT_LUA } from './lua-lib';

/**
 * Schedule items for later, each in one atomic step with its index (WIRE.md §11.1): the status
 * packet of a tracked one first, then `RPUSH delayed:TS item`, `SADD timestamps:<item> delayed:TS`
 * (resque-scheduler's and node-resque's index) and `ZADD delayed_queue_schedule TS TS`. When an
 * item is due before everything else scheduled, the mover is woken (a token on our wake list).
 *
 * KEYS[1] schedule     delayed_queue_schedule
 * KEYS[2] wake         resque-ts:scheduler:wake (ours: a list the mover blocks on)
 * KEYS[3..] itemKeys   per item: delayed:TS, timestamps:<item>, its status key (Keys.absent() when untracked)
 * ARGV[1] count        number of items n
 * ARGV[2..] itemArgs   per item: TS, the item, its status packet ('' when untracked)
 * Returns the number of items scheduled.
 */
export const schedule = new Script(
  'schedule',
  `${PRESENT_LUA}
local n = tonumber(ARGV[1])
local before = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
local earliest = nil
for i = 0, n - 1 do
  local ts, item, packet = ARGV[2 + 3 * i], ARGV[3 + 3 * i], ARGV[4 + 3 * i]
  local status = KEYS[5 + 3 * i]
  if present(status) then redis.call('SET', status, packet) end
  redis.call('RPUSH', KEYS[3 + 3 * i], item)
  redis.call('SADD', KEYS[4 + 3 * i], 'delayed:' .. ts)
  redis.call('ZADD', KEYS[1], ts, ts)
  if earliest == nil or tonumber(ts) < earliest then earliest = tonumber(ts) end
end
if earliest ~= nil and (before == nil or earliest < tonumber(before)) then
  redis.call('LPUSH', KEYS[2], '1')
  redis.call('LTRIM', KEYS[2], 0, 0)
end
return n
`,
  { keys: ['schedule', 'wake'], args: ['count'], restKeys: 'itemKeys', restArgs: 'itemArgs' } as const,
);
