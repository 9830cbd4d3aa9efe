import { Script } from '../script';

/**
 * A worker's heartbeat (WIRE.md §5: `workers`, `worker:WID:started`, Ruby's `workers:heartbeat`),
 * refused once the worker is fenced (pruned as dead while it was frozen or cut off): a process
 * that comes back must not re-register the id whose jobs were settled without it. An entry that
 * vanished otherwise (a Redis restart without persistence) is written again, so the registry heals.
 *
 * KEYS[1] workers         the set of worker ids
 * KEYS[2] started         worker:WID:started (set only when missing)
 * KEYS[3] heartbeat       workers:heartbeat
 * KEYS[4] fence           resque-ts:fenced:WID
 * ARGV[1] id              the worker id
 * ARGV[2] now             php's date('c')
 * Returns 1, or 0 when the worker is fenced (nothing written).
 */
export const beat = new Script(
  'beat',
  `
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'NX')
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
`,
  { keys: ['workers', 'started', 'heartbeat', 'fence'], args: ['id', 'now'] } as const,
);
