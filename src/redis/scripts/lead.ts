import { Script } from '../script';

/**
 * Take or keep the scheduler's leadership (one mover at a time, in a fleet mixed with the peers):
 * our lock is free or ours, and the peers' scheduler locks — resque-scheduler's master lock and
 * node-resque's leader lock — are free, ours, or left by our previous leader (whose value we
 * noted): then all three are (re)set to `me`, ours with a short TTL (failover in seconds), the
 * peers' with the 180 s they use. Returns 1 (leading), 0 (another scheduler of ours leads) or
 * -1 (a peer's scheduler holds its lock: it moves the items, we wait).
 *
 * KEYS[1] leader       resque-ts:scheduler:leader (ours)
 * KEYS[2] peerLocks    resque-ts:scheduler:peer-locks (ours: the value we wrote into theirs)
 * KEYS[3] rubyLock     resque:resque_scheduler_master_lock
 * KEYS[4] nodeLock     resque_scheduler_leader_lock
 * ARGV[1] me           host:pid
 * ARGV[2] ttlMs        our lock's TTL
 * ARGV[3] peerTtl      the peers' locks' TTL (seconds)
 */
export const lead = new Script(
  'lead',
  `
local me = ARGV[1]
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= me then return 0 end
local last = redis.call('GET', KEYS[2])
for i = 3, 4 do
  local v = redis.call('GET', KEYS[i])
  if v and v ~= me and v ~= last then return -1 end
end
redis.call('SET', KEYS[1], me, 'PX', ARGV[2])
for i = 2, 4 do redis.call('SET', KEYS[i], me, 'EX', ARGV[3]) end
return 1
`,
  { keys: ['leader', 'peerLocks', 'rubyLock', 'nodeLock'], args: ['me', 'ttlMs', 'peerTtl'] } as const,
);

/**
 * Give the leadership up: each of the four keys is deleted where it still holds `me`.
 *
 * KEYS[1] leader       resque-ts:scheduler:leader
 * KEYS[2] peerLocks    resque-ts:scheduler:peer-locks
 * KEYS[3] rubyLock     resque:resque_scheduler_master_lock
 * KEYS[4] nodeLock     resque_scheduler_leader_lock
 * ARGV[1] me           host:pid
 */
export const resign = new Script(
  'resign',
  `
for i = 1, 4 do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1
`,
  { keys: ['leader', 'peerLocks', 'rubyLock', 'nodeLock'], args: ['me'] } as const,
);
