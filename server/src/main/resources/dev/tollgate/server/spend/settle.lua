-- Replaces a reservation's hold by its real cost, in the hashes of the periods it was made in.
-- Once per reservation: its marker turns 'settled', and a replay finding that books nothing.
-- KEYS[1..n]  the reservation's account hashes; KEYS[n+1] its marker
-- ARGV[1] minus the held nanos, ARGV[2] cost in nanos, ARGV[3] marker TTL in seconds,
-- ARGV[4..] expiry times of the hashes (Unix seconds; 0 = never).
-- A marker that is missing means the hold never reached Redis: only the cost is added.
-- Returns 1 when booked, 0 when it already was.
local n = #KEYS - 1
local marker = redis.call('GET', KEYS[n + 1])
if marker == 'settled' then
  return 0
end
for i = 1, n do
  if marker == 'held' then
    redis.call('HINCRBY', KEYS[i], 'held', ARGV[1])
  end
  redis.call('HINCRBY', KEYS[i], 'spent', ARGV[2])
  local at = tonumber(ARGV[3 + i])
  if at > 0 then
    redis.call('EXPIREAT', KEYS[i], at)
  end
end
redis.call('SET', KEYS[n + 1], 'settled', 'EX', ARGV[3])
return 1
