-- Drops the pending outcome batch once the database holds it. KEYS: pending batch hash, pending
-- batch id. ARGV: the batch id stored. Another id (a newer batch) is left alone. Returns 1 if dropped.
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
