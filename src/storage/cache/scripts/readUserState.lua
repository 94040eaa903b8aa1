-- Everything a recommendation request reads, in one call on a standalone server. KEYS: the user's
-- list bucket, session list, bought set, catalogue revision. ARGV: the user id. Returns {list or
-- false, revision or false, session entries, bought item ids}. Most users have no API session, so
-- one EXISTS spares the two collection reads then (each redis.call costs the server ~2 us).
-- The keys carry different hash tags: on a Cluster the same reads go out as concurrent commands.
local list = redis.call('HGET', KEYS[1], ARGV[1])
local rev = redis.call('GET', KEYS[4])
local session, bought = {}, {}
if redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then
  session = redis.call('LRANGE', KEYS[2], 0, -1)
  bought = redis.call('SMEMBERS', KEYS[3])
end
return {list, rev, session, bought}
