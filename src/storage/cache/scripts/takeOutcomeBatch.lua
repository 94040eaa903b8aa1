-- The outcome counters a flush stores. KEYS: counters hash, pending batch hash, pending batch id
-- (one hash tag). ARGV: the id for a new batch, TTL seconds. A batch still pending from a flush that
-- did not finish is returned again (same id, so the database stores it at most once); otherwise
-- the counters are renamed into the pending batch, and increments from now on start afresh.
-- Returns {id, HGETALL of the batch}, or false when there is nothing to flush.
local id = redis.call('GET', KEYS[3])
if not id then
  if redis.call('EXISTS', KEYS[1]) == 0 then return false end
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('SET', KEYS[3], ARGV[1], 'EX', tonumber(ARGV[2]))
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
  id = ARGV[1]
end
return {id, redis.call('HGETALL', KEYS[2])}
