-- One request of an agent session, decided atomically for every node sharing this Redis: the pause,
-- the runaway brake, then the session budgets, then the hold.
-- KEYS[1] the session's hash (spent, held, s:MODEL, h:MODEL, seen, the brake's sig/pos/repeats, a pause's p_*)
-- KEYS[2] its requests of the last minute (sorted set, score = millis)
-- KEYS[3] its spend of the last minute (sorted set of 'NONCE:NANOS', score = millis)
-- KEYS[4] the paused sessions (sorted set of KEY/ID, score = pause end)
-- ARGV[1] now (millis), ARGV[2] nanos to hold, ARGV[3] model, ARGV[4] idle time to live (millis),
-- ARGV[5] repeated_tool_call (0 = none), ARGV[6] requests_per_minute (0), ARGV[7] usd_per_minute in nanos (0),
-- ARGV[8] pause (millis), ARGV[9] tool call signature ('' = none), ARGV[10] its position, ARGV[11] its tool's name,
-- ARGV[12] KEY/ID, ARGV[13] a nonce, ARGV[14] m = session budgets, then m pairs (1 = of the model, 0 = of all; limit in nanos),
-- then the agent's streak suffix ('' the main agent, ':ID' a subagent; at most 32 kept apart, the rest share ':*').
-- Returns {0, used_1 .. used_m} when held (each budget's spent + held before this request),
-- {1, rule, tool, count, allow, since, until} when paused already, {2, ...} the same when the brake trips now,
-- {3, i, used} when budget i would go over.
local now = tonumber(ARGV[1])
local nanos = tonumber(ARGV[2])
local model = ARGV[3]
local ttl = tonumber(ARGV[4])
local repeated, rpm, usd = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local pause = tonumber(ARGV[8])
local h = KEYS[1]
-- Whole numbers as Redis and Java read them (tostring would write 1e+15).
local function int(x) return string.format('%d', x) end

local p = redis.call('HMGET', h, 'p_rule', 'p_tool', 'p_count', 'p_allow', 'p_since', 'p_until')
if p[6] and tonumber(p[6]) > now then
  return {1, p[1], p[2] or '', p[3], p[4], p[5], p[6]}
end
if p[1] then
  redis.call('HDEL', h, 'p_rule', 'p_tool', 'p_count', 'p_allow', 'p_since', 'p_until')
end

local function trip(rule, tool, count, allow)
  local untl = now + pause
  redis.call('HSET', h, 'p_rule', rule, 'p_tool', tool, 'p_count', int(count), 'p_allow', int(allow), 'p_since', int(now),
    'p_until', int(untl), 'seen', int(now))
  redis.call('PEXPIRE', h, ttl + pause)
  redis.call('ZADD', KEYS[4], untl, ARGV[12])
  return {2, rule, tool, int(count), int(allow), int(now), int(untl)}
end

if repeated > 0 or rpm > 0 or usd > 0 then
  if ARGV[9] ~= '' then
    local sfx = ARGV[15 + 2 * tonumber(ARGV[14])] or ''
    if sfx ~= '' and redis.call('HEXISTS', h, 'pos' .. sfx) == 0 then
      if tonumber(redis.call('HGET', h, 'agents') or '0') >= 32 then
        sfx = ':*'
      else
        redis.call('HINCRBY', h, 'agents', 1)
      end
    end
    local b = redis.call('HMGET', h, 'sig' .. sfx, 'pos' .. sfx, 'repeats' .. sfx)
    local repeats = tonumber(b[3] or '0')
    if tonumber(ARGV[10]) ~= tonumber(b[2] or '-1') then -- a retried request repeats its position, and is no new call
      if ARGV[9] == b[1] then repeats = repeats + 1 else repeats = 1 end
      redis.call('HSET', h, 'sig' .. sfx, ARGV[9], 'pos' .. sfx, ARGV[10], 'repeats' .. sfx, int(repeats))
    end
    if repeated > 0 and repeats >= repeated then
      return trip('repeated_tool_call', ARGV[11], repeats, repeated - 1)
    end
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 60000)
  if rpm > 0 then
    local requests = redis.call('ZCARD', KEYS[2]) + 1
    if requests > rpm then
      return trip('requests_per_minute', '', requests, rpm)
    end
  end
  if usd > 0 then
    local spent = 0
    for _, m in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
      spent = spent + tonumber(string.match(m, ':(%d+)$'))
    end
    if spent > usd then
      return trip('usd_per_minute', '', spent, usd)
    end
  end
end

local v = redis.call('HMGET', h, 'spent', 'held', 's:' .. model, 'h:' .. model)
local all = tonumber(v[1] or '0') + tonumber(v[2] or '0')
local one = tonumber(v[3] or '0') + tonumber(v[4] or '0')
local m = tonumber(ARGV[14])
local out = {0}
for i = 1, m do
  local used = all
  if ARGV[13 + 2 * i] == '1' then used = one end
  local limit = tonumber(ARGV[14 + 2 * i])
  if used + nanos > limit or (nanos == 0 and used >= limit) then
    return {3, i, int(used)}
  end
  out[i + 1] = int(used)
end
redis.call('HINCRBY', h, 'held', nanos)
redis.call('HINCRBY', h, 'h:' .. model, nanos)
redis.call('HSET', h, 'seen', ARGV[1])
redis.call('PEXPIRE', h, ttl)
if repeated > 0 or rpm > 0 or usd > 0 then
  redis.call('ZADD', KEYS[2], now, ARGV[13])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -10001)
  redis.call('PEXPIRE', KEYS[2], 60000)
end
return out
