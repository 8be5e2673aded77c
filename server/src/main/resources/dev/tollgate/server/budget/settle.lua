-- Replaces a reservation's hold by its real cost, in the hashes of the periods it was made in, and
-- counts the request in the usage reports' hashes.
-- Once per reservation: its marker turns 'settled', and a replay finding that books nothing.
-- KEYS[1..n]  the reservation's account hashes; KEYS[n+1] its marker;
-- KEYS[n+2..n+1+u] usage hashes (fields r:NAME, s:NAME, i:NAME, o:NAME: requests, spent nanos,
-- input and output tokens), u/2 of its day then u/2 of all time, one per dimension.
-- ARGV[1] minus the held nanos, ARGV[2] cost in nanos, ARGV[3] marker TTL in seconds,
-- ARGV[4] n, ARGV[5] input tokens, ARGV[6] output tokens, ARGV[7] time to live of the day hashes (seconds),
-- ARGV[8..7+u/2] the name counted in each dimension, then n times to live of the account hashes (seconds, 0 = for ever).
-- A marker that is missing means the hold never reached Redis: only the cost is added.
-- Returns 1 when booked, 0 when it already was.
local n = tonumber(ARGV[4])
local marker = redis.call('GET', KEYS[n + 1])
if marker == 'settled' then
  return 0
end
local dims = (#KEYS - n - 1) / 2
for i = 1, n do
  if marker == 'held' then
    redis.call('HINCRBY', KEYS[i], 'held', ARGV[1])
  end
  redis.call('HINCRBY', KEYS[i], 'spent', ARGV[2])
  local ttl = tonumber(ARGV[7 + dims + i])
  if ttl > 0 then
    redis.call('EXPIRE', KEYS[i], ttl)
  end
end
for d = 1, dims do
  local name = ARGV[7 + d]
  for _, key in ipairs({KEYS[n + 1 + d], KEYS[n + 1 + dims + d]}) do
    redis.call('HINCRBY', key, 'r:' .. name, 1)
    redis.call('HINCRBY', key, 's:' .. name, ARGV[2])
    redis.call('HINCRBY', key, 'i:' .. name, ARGV[5])
    redis.call('HINCRBY', key, 'o:' .. name, ARGV[6])
  end
  redis.call('EXPIRE', KEYS[n + 1 + d], ARGV[7])
end
redis.call('SET', KEYS[n + 1], 'settled', 'EX', ARGV[3])
return 1
