-- Replaces a session's hold by the request's cost (or gives it back), for every node sharing this Redis.
-- KEYS[1] the session's hash, KEYS[2] its spend of the last minute (sorted set of 'NONCE:NANOS', score = millis)
-- ARGV[1] minus the nanos held (negated by the caller: Lua would write -0), ARGV[2] cost in nanos (-1 = released unspent), ARGV[3] model, ARGV[4] now (millis),
-- ARGV[5] a nonce, ARGV[6] idle time to live (millis).
-- A hash gone meanwhile (idle past its time to live) holds nothing any more: only the cost is added.
local h = KEYS[1]
local cost = tonumber(ARGV[2])
local model = ARGV[3]
if redis.call('EXISTS', h) == 1 then
  redis.call('HINCRBY', h, 'held', ARGV[1])
  redis.call('HINCRBY', h, 'h:' .. model, ARGV[1])
end
if cost >= 0 then
  redis.call('HINCRBY', h, 'spent', cost)
  redis.call('HINCRBY', h, 's:' .. model, cost)
  if cost > 0 then
    local now = tonumber(ARGV[4])
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
    redis.call('ZADD', KEYS[2], now, ARGV[5] .. ':' .. ARGV[2])
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -10001)
    redis.call('PEXPIRE', KEYS[2], 60000)
  end
end
redis.call('HSET', h, 'seen', ARGV[4])
if redis.call('PTTL', h) < tonumber(ARGV[6]) then
  redis.call('PEXPIRE', h, ARGV[6])
end
return 1
