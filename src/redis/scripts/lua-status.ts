/**
 * Lua for a status update, shared by every script that moves a job's status: only when the
 * key exists (the job is tracked), keeping `started`, writing php-resque 2.x's packet.
 * Defines `set_status(key, code, now, result_json)`; returns whether the key existed.
 */
export const SET_STATUS_LUA = `
local function set_status(key, code, now, result)
  local cur = redis.call('GET', key)
  if not cur then return false end
  local started = string.match(cur, '"started":(%-?%d+)') or 'null'
  redis.call('SET', key, '{"status":' .. code .. ',"updated":' .. now .. ',"started":' .. started .. ',"result":' .. result .. '}')
  return true
end
`;
