import { Script } from '../script';
import { HISTORY_LUA, HISTORY_SPEC, PRESENT_LUA } from './lua-lib';

/**
 * Write history a worker held back (add_history in lua-lib.ts): what its settles collected since
 * their last write, at its shutdown.
 *
 * KEYS[1] history         resque-ts:history:MINUTE
 * KEYS[2] durations       resque-ts:durations
 * KEYS[3] queueProcessed  resque-ts:stat:processed:Q
 * KEYS[4] queueFailed     resque-ts:stat:failed:Q
 * ARGV[1] historyJson     add_history's entries
 * ARGV[2] historyTtl      the minute hash's TTL
 */
export const writeHistory = new Script('history', `${PRESENT_LUA}${HISTORY_LUA}\nadd_history(0, 0)\nreturn 1\n`, HISTORY_SPEC);
