-- Compare-and-set of the live pointer. KEYS: live, previous (one hash tag). ARGV: expected live
-- ('' = none yet), new version. Returns {1 | 0, live before the call ('' = none)}. Switching to the
-- version that is already live succeeds without touching `previous`, so previous never equals live.
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {0, current} end
if current ~= ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2])
  if current ~= '' then redis.call('SET', KEYS[2], current) end
end
return {1, current}
