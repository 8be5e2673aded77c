-- Adds one request-log record to its agent session's totals, which every node's records add to.
-- KEYS[1] the session's totals hash, KEYS[2] the sessions by last seen (sorted set of KEY/ID), KEYS[3] its timeline (list)
-- ARGV[1] KEY/ID, ARGV[2] time (millis), ARGV[3] team, ARGV[4] customer, ARGV[5] status,
-- ARGV[6..10] input, output, cached, cache-write and reasoning tokens, ARGV[11] cost in nanos ('' = unpriced),
-- ARGV[12] '1' when it carried a tool result, ARGV[13] model asked for, ARGV[14] client, ARGV[15] subagent,
-- ARGV[16] time to live (seconds), ARGV[17] most sessions indexed, ARGV[18] most models, clients or subagents kept each,
-- ARGV[19] the request's timeline row (JSON), ARGV[20] most rows the timeline keeps (the latest).
local h = KEYS[1]
local t = tonumber(ARGV[2])
local status = tonumber(ARGV[5])
redis.call('HINCRBY', h, 'requests', 1)
if status >= 400 then redis.call('HINCRBY', h, 'errors', 1) end
redis.call('HINCRBY', h, 'input', ARGV[6])
redis.call('HINCRBY', h, 'output', ARGV[7])
redis.call('HINCRBY', h, 'cached', ARGV[8])
redis.call('HINCRBY', h, 'cache_write', ARGV[9])
redis.call('HINCRBY', h, 'reasoning', ARGV[10])
if ARGV[11] == '' then
  if status < 400 then redis.call('HINCRBY', h, 'unpriced', 1) end
else
  redis.call('HINCRBY', h, 'cost', ARGV[11])
end
if ARGV[12] == '1' and status < 400 then redis.call('HINCRBY', h, 'tool_calls', 1) end
local f = redis.call('HMGET', h, 'first', 'last')
if not f[1] or t < tonumber(f[1]) then redis.call('HSET', h, 'first', ARGV[2]) end
local last = t
if f[2] and tonumber(f[2]) > t then last = tonumber(f[2]) end
redis.call('HSET', h, 'last', string.format('%d', last))
if ARGV[3] ~= '' then redis.call('HSET', h, 'team', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', h, 'customer', ARGV[4]) end
local most = tonumber(ARGV[18])
for i, kind in ipairs({'model', 'client', 'agent'}) do
  local v = ARGV[12 + i]
  if v ~= '' and redis.call('HEXISTS', h, kind .. ':' .. v) == 0 and tonumber(redis.call('HGET', h, 'n_' .. kind) or '0') < most then
    redis.call('HSET', h, kind .. ':' .. v, 1)
    redis.call('HINCRBY', h, 'n_' .. kind, 1)
  end
end
redis.call('EXPIRE', h, ARGV[16])
redis.call('RPUSH', KEYS[3], ARGV[19])
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[20]), -1)
redis.call('EXPIRE', KEYS[3], ARGV[16])
redis.call('ZADD', KEYS[2], last, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', t - tonumber(ARGV[16]) * 1000)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[17]) - 1)
return 1
