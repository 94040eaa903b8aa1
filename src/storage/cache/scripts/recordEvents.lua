-- One user's API events, atomically. KEYS: session list, bought set (one hash tag). ARGV: maxEvents,
-- sessionTtl, boughtTtl, n, then n session entries oldest first (so the newest ends at the head),
-- then the purchased item ids. Loops instead of unpack() to stay clear of Lua's stack limit.
local maxEvents = tonumber(ARGV[1])
local n = tonumber(ARGV[4])
for i = 5, 4 + n do redis.call('LPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], 0, maxEvents - 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
if #ARGV > 4 + n then
  for i = 5 + n, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
end
return 1
