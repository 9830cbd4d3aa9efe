import { Script } from '../script';
import { SET_STATUS_LUA } from './lua-lib';

/**
 * Update a job status packet, only if the key exists (php-resque: "updates only when the
 * key exists"), keeping its `started`, and set the TTL for final states — one round trip.
 *
 * KEYS[1] status      job:[PREFIX_]ID:status
 * ARGV[1] code        status code (1..4)
 * ARGV[2] now         updated, unix seconds
 * ARGV[3] result      already JSON-encoded (`null` when none)
 * ARGV[4] ttl         seconds, 0 for none
 * Returns 1 when updated, 0 when the job is not tracked.
 */
export const updateStatus = new Script(
  'update-status',
  `${SET_STATUS_LUA}
if not set_status(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
if tonumber(ARGV[4]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1
`,
  { keys: ['status'], args: ['code', 'now', 'result', 'ttl'] } as const,
);
