import { Script } from '../script';
import { PRESENT_LUA } from './lua-lib';

/**
 * Fire one tick of a recurring schedule, exactly once whoever runs it: the schedule's state holds
 * the last tick fired or passed, and a tick at or before it is refused (another scheduler had it).
 * Otherwise, in the same step: with `overlapSkip` and the previous run's job still WAITING or
 * RUNNING, the tick is passed (noted `lastSkipped`); with no payload (a missed tick the misfire
 * policy drops), it is passed; else the job is pushed (its status first, when tracked) and noted.
 *
 * KEYS[1] state        resque-ts:schedule:NAME (ours)
 * KEYS[2] queues       the set of queue names
 * KEYS[3] queue        queue:Q
 * KEYS[4] status       the new job's status key (Keys.absent() when untracked)
 * KEYS[5] lastStatus   the previous run's status key (Keys.absent() when unknown)
 * ARGV[1] tick         the tick, epoch ms
 * ARGV[2] payload      the job's payload ('' to pass the tick)
 * ARGV[3] name         the queue name
 * ARGV[4] id           the job's id
 * ARGV[5] packet       its status packet
 * ARGV[6] now          epoch ms
 * ARGV[7] overlapSkip  '1' to pass the tick while the previous job waits or runs
 * Returns 1 fired, 0 already fired or passed, 2 passed (overlap), 3 passed (no payload).
 */
export const fireSchedule = new Script(
  'fire-schedule',
  `${PRESENT_LUA}
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '-1')
if last >= tonumber(ARGV[1]) then return 0 end
if ARGV[7] == '1' and present(KEYS[5]) then
  local st = redis.call('GET', KEYS[5])
  local code = st and tonumber(string.match(st, '"status":(%d+)'))
  if code == 1 or code == 2 then
    redis.call('HSET', KEYS[1], 'last', ARGV[1], 'lastSkipped', ARGV[1])
    return 2
  end
end
if ARGV[2] == '' then
  redis.call('HSET', KEYS[1], 'last', ARGV[1])
  return 3
end
if present(KEYS[4]) then redis.call('SET', KEYS[4], ARGV[5]) end
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[2])
redis.call('HSET', KEYS[1], 'last', ARGV[1], 'lastRunAt', ARGV[6], 'lastJob', ARGV[4])
return 1
`,
  { keys: ['state', 'queues', 'queue', 'status', 'lastStatus'], args: ['tick', 'payload', 'name', 'id', 'packet', 'now', 'overlapSkip'] } as const,
);
