-- Keeps a session's pacing decision for a model; a downgrade already kept wins (once downgraded, it stays so).
-- KEYS[1] the session's lanes; ARGV[1] model, ARGV[2] the decision ('' = stays), ARGV[3] most lanes kept,
-- ARGV[4] idle time to live (millis). Returns the decision that stands.
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cur ~= '' then
  return cur
end
if cur or redis.call('HLEN', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return ARGV[2]
