-- Whether a request of an agent session is at a switch point for its model (see Sessions.pace), for
-- every node sharing this Redis: a model not asked for before, the request after a compaction trigger,
-- or a compaction not sent before.
-- KEYS[1] the session's hash, KEYS[2] its lanes (model asked for -> the pacing kept, '' = stays on its model)
-- ARGV[1] model asked for, ARGV[2] a mark of the newest compaction ('' = none), ARGV[3] '1' when it asks for
-- a compaction, ARGV[4] idle time to live (millis).
-- Returns {0, lane} when the kept lane (or '') stands, {1, field, value, ...} (the hash) when to decide afresh.
local lane = redis.call('HGET', KEYS[2], ARGV[1])
local b = redis.call('HMGET', KEYS[1], 'compaction', 'after_trigger')
local compacted = ARGV[2] ~= '' and ARGV[2] ~= b[1]
local switch = (not lane) or b[2] == '1' or compacted
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'compaction', ARGV[2])
end
redis.call('HSET', KEYS[1], 'after_trigger', ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if (not switch) or ARGV[3] == '1' or (lane and lane ~= '') then
  return {0, lane or ''}
end
local out = {1}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do
  out[#out + 1] = v
end
return out
