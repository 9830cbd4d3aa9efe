import { Script } from '../script';

/**
 * A pruner fences a worker it found dead before settling its jobs, atomically with a look at its
 * heartbeat: when the heartbeat changed since the pruner judged it stale, the worker is alive
 * again (it beat in between) and is left alone. Once fenced, the worker's beats and reserves are
 * refused (beat.ts, reserve_batch), so the jobs settled without it are never taken by it again.
 *
 * KEYS[1] heartbeat       workers:heartbeat
 * KEYS[2] fence           resque-ts:fenced:WID
 * ARGV[1] id              the worker id
 * ARGV[2] seen            the heartbeat the pruner read ('' = none)
 * ARGV[3] by              the pruner's worker id
 * ARGV[4] ttl             seconds the fence is kept
 * Returns 1 (fenced), 0 (its heartbeat moved: not dead).
 */
export const fence = new Script(
  'fence',
  `
local beat = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if beat ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], 'by', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
`,
  { keys: ['heartbeat', 'fence'], args: ['id', 'seen', 'by', 'ttl'] } as const,
);
