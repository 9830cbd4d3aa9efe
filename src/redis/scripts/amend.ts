import { Script } from '../script';
import { EMBED_LUA, PRESENT_LUA, SET_STATUS_LUA } from './lua-lib';

/**
 * A fenced worker (pruned while it was frozen or cut off) that did finish a job the pruner
 * settled without it corrects what the pruner wrote, so the job is counted once with its real
 * outcome — while nobody has acted on the pruner's settlement yet:
 *   - the pruner failed it (`f` + record in the fence): that record is taken back (LREM from the
 *     tail, where it was pushed) and stat:failed with it (processed was counted once, by the
 *     pruner); a failure of ours is recorded instead;
 *   - the pruner requeued it (`q`): while it still waits in its queue it is taken out and counted.
 * When the record was retried or removed, or the requeued job was taken, it runs again (the
 * retry policy), and nothing is counted here. The fence's entry for the job goes either way.
 *
 * KEYS[1] fence           resque-ts:fenced:WID
 * KEYS[2] failed          the failure list
 * KEYS[3] failedCount     stat:failed
 * KEYS[4] processed       stat:processed
 * KEYS[5] queue           queue:Q
 * KEYS[6] status          job:[PREFIX_]ID:status, or Keys.absent()
 * ARGV[1] sha             SHA-1 of the job's bytes (the fence's field)
 * ARGV[2] bytes           the job's bytes
 * ARGV[3] recordHead      our failure record up to `"payload":` ('' = it did not fail)
 * ARGV[4] recordTail      the record from `,"exception":`
 * ARGV[5] verbatim        '1' = the payload is a strict JSON object
 * ARGV[6] countFailed     '1' = a failure to count in stat:failed
 * ARGV[7] finalStatus     3 or 4
 * ARGV[8] now             unix seconds
 * ARGV[9] result          JSON
 * ARGV[10] statusTtl      seconds
 * Returns 1 (corrected), 0 (nothing to correct, or too late).
 */
export const amend = new Script(
  'amend',
  `${PRESENT_LUA}${SET_STATUS_LUA}${EMBED_LUA}
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local kind = string.sub(entry, 1, 1)
if kind == 'f' then
  if redis.call('LREM', KEYS[2], -1, string.sub(entry, 2)) == 0 then return 0 end
  redis.call('INCRBY', KEYS[3], -1)
elseif kind == 'q' then
  if redis.call('LREM', KEYS[5], 1, ARGV[2]) == 0 then return 0 end
  redis.call('INCRBY', KEYS[4], 1)
else
  return 0
end
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3] .. embed(ARGV[2], ARGV[5] == '1') .. ARGV[4]) end
if ARGV[6] == '1' then redis.call('INCRBY', KEYS[3], 1) end
if present(KEYS[6]) and set_status(KEYS[6], ARGV[7], ARGV[8], ARGV[9]) then redis.call('EXPIRE', KEYS[6], ARGV[10]) end
return 1
`,
  {
    keys: ['fence', 'failed', 'failedCount', 'processed', 'queue', 'status'],
    args: ['sha', 'bytes', 'recordHead', 'recordTail', 'verbatim', 'countFailed', 'finalStatus', 'now', 'result', 'statusTtl'],
  } as const,
);
