-- Holds a request's estimate on every account of its chain, unless a budget along it would go over.
-- Atomic: two nodes cannot together pass a budget that each alone would fit.
-- KEYS[1..n]  one hash per account and period the request counts in (fields: spent, held)
-- KEYS[n+1]   the reservation's marker (node and reservation id), set to 'held'
-- ARGV[1] nanos to hold, ARGV[2] marker TTL in seconds, ARGV[3] m = budgets to check,
-- then m pairs (index of the budget's hash in KEYS, limit in nanos), then n times to live
-- (seconds; 0 = for ever) for the hashes.
-- Returns {0, 0, 0} when held, else {i, spent, held} of the i-th checked budget, the first to go over.
local nanos = tonumber(ARGV[1])
local m = tonumber(ARGV[3])
for i = 1, m do
  local key = KEYS[tonumber(ARGV[2 + 2 * i])]
  local limit = tonumber(ARGV[3 + 2 * i])
  local v = redis.call('HMGET', key, 'spent', 'held')
  local spent = tonumber(v[1] or '0')
  local held = tonumber(v[2] or '0')
  local used = spent + held
  if used + nanos > limit or (nanos == 0 and used >= limit) then
    return {i, spent, held}
  end
end
local n = #KEYS - 1
local expiries = 3 + 2 * m
for i = 1, n do
  redis.call('HINCRBY', KEYS[i], 'held', ARGV[1])
  local ttl = tonumber(ARGV[expiries + i])
  if ttl > 0 then
    redis.call('EXPIRE', KEYS[i], ttl)
  end
end
redis.call('SET', KEYS[n + 1], 'held', 'EX', ARGV[2])
return {0, 0, 0}
