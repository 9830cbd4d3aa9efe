/**
 * Defines `top_fields(s)`: the top-level fields of a JSON object as their raw text (key → value
 * bytes, keys as written), or nil when `s` is not one. It never decodes or re-encodes a value, so
 * a mover can build a queue payload around a delayed item's `class` and `args` bytes.
 */
export const JSON_FIELDS_LUA = `
local function skip_string(s, i)
  i = i + 1
  while true do
    local c = string.find(s, '["\\\\]', i)
    if not c then return nil end
    if string.byte(s, c) == 92 then i = c + 2 else return c + 1 end
  end
end
local function skip_ws(s, i)
  return string.find(s, '[^ \\t\\r\\n]', i) or (#s + 1)
end
local function skip_value(s, i)
  local b = string.byte(s, i)
  if b == 34 then return skip_string(s, i) end
  if b == 123 or b == 91 then
    local depth = 0
    while true do
      local c = string.find(s, '["{}%[%]]', i)
      if not c then return nil end
      local ch = string.byte(s, c)
      if ch == 34 then
        i = skip_string(s, c)
        if not i then return nil end
      else
        if ch == 123 or ch == 91 then depth = depth + 1 else depth = depth - 1 end
        i = c + 1
        if depth == 0 then return i end
      end
    end
  end
  return string.find(s, '[,}%] \\t\\r\\n]', i)
end
local function top_fields(s)
  local i = skip_ws(s, 1)
  if string.byte(s, i) ~= 123 then return nil end
  local f = {}
  i = skip_ws(s, i + 1)
  if string.byte(s, i) == 125 then return f end
  while true do
    if string.byte(s, i) ~= 34 then return nil end
    local ke = skip_string(s, i)
    if not ke then return nil end
    local key = string.sub(s, i + 1, ke - 2)
    i = skip_ws(s, ke)
    if string.byte(s, i) ~= 58 then return nil end
    i = skip_ws(s, i + 1)
    local ve = skip_value(s, i)
    if not ve or ve <= i then return nil end
    f[key] = string.sub(s, i, ve - 1)
    i = skip_ws(s, ve)
    local b = string.byte(s, i)
    if b == 125 then return f end
    if b ~= 44 then return nil end
    i = skip_ws(s, i + 1)
  end
end
`;
