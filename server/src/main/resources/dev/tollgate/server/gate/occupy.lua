-- Takes one of a key's slots in flight, shared by every node. A sorted set of requests by start
-- time: a slot a crashed node never freed drops out once older than the safety window.
-- KEYS[1] the key's set; ARGV[1] now (ms), ARGV[2] safety window (ms), ARGV[3] max, ARGV[4] this request
-- Returns 1 when taken, 0 when all slots are.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
