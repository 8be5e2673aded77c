-- Lifts a session's pause for every node: the brake's counts start again.
-- KEYS[1] the session's hash, KEYS[2] its requests of the last minute, KEYS[3] its spend of the last minute,
-- KEYS[4] the paused sessions; ARGV[1] KEY/ID. Returns 1 when it was paused.
redis.call('ZREM', KEYS[4], ARGV[1])
if not redis.call('HGET', KEYS[1], 'p_rule') then
  return 0
end
redis.call('HDEL', KEYS[1], 'p_rule', 'p_tool', 'p_count', 'p_allow', 'p_since', 'p_until', 'agents')
-- Every agent's repeat streak ('sig', 'pos', 'repeats', each with its agent's suffix).
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 3) == 'sig' or string.sub(f, 1, 3) == 'pos' or string.sub(f, 1, 7) == 'repeats' then
    redis.call('HDEL', KEYS[1], f)
  end
end
redis.call('DEL', KEYS[2], KEYS[3])
return 1
