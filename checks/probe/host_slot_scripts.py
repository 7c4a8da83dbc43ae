"""The Lua scripts the Redis host limiter (host_slots.py) runs, each one atomic in Redis."""

# KEYS[1]: the holders; ARGV: holder id, limit, lease (ms). Returns 1 if the slot was taken.
# Running it twice for one holder (a retried command) takes one slot, not two.
ACQUIRE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
-- The set lives as long as its longest lease, whatever lease each process uses.
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], tonumber(last[2]) - now + 1)
return 1
"""

# KEYS[1]: the holders, KEYS[2]: the wake-up list; ARGV: holder id, limit, token lifetime (ms).
# A holder whose lease lapsed frees nothing, so it wakes nobody.
RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
    redis.call('LPUSH', KEYS[2], '1')
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 0
"""

# KEYS[i]: the holders of slot i (a key repeats for each slot of its host); ARGV[2i-1], ARGV[2i]:
# that slot's holder id and lease (ms). Returns how many were renewed. A holder no longer in the
# set stays out: its lease lapsed (no renewal came for a whole lease: the process stalled, or
# Redis was out of reach) and a taker dropped it, so rejoining could make one holder too many.
# Its request runs on uncounted until it ends; we accept that rare overshoot rather than stop a
# request half-way. A lapsed holder still in the set is renewed: nobody has taken a slot since it
# lapsed, or they would have dropped it.
RENEW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local renewed = 0
for i, key in ipairs(KEYS) do
    local holder = ARGV[2 * i - 1]
    if redis.call('ZSCORE', key, holder) then
        redis.call('ZADD', key, 'XX', now + tonumber(ARGV[2 * i]), holder)
        local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
        redis.call('PEXPIRE', key, tonumber(last[2]) - now + 1)
        renewed = renewed + 1
    end
end
return renewed
"""


# KEYS[1]: the holders, KEYS[2]: the wake-up list; ARGV[1]: token lifetime (ms), then the holder
# id prefixes of processes that are gone. Returns how many slots were freed.
RELEASE_OWNERS = """
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local freed = 0
for _, member in ipairs(members) do
    for i = 2, #ARGV do
        if string.sub(member, 1, #ARGV[i]) == ARGV[i] then
            redis.call('ZREM', KEYS[1], member)
            redis.call('LPUSH', KEYS[2], '1')
            freed = freed + 1
            break
        end
    end
end
if freed > 0 then
    redis.call('LTRIM', KEYS[2], 0, #members - 1)
    redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return freed
"""
