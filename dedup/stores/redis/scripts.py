"""The Lua scripts of the Redis store: the write lock, the commit, the creation of an index.

Redis runs a script without interleaving other clients, so each is atomic. The commit script's
arguments are built by :mod:`dedup.stores.redis.transaction`.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from redis.commands.core import Script

__all__ = ["Scripts"]

# KEYS: the lock, the fence, the generation. ARGV: the lock's time to live (ms). Returns
# {token, 0, generation} when the lock was free (now held with that token), else {0, its PTTL, 0}.
_ACQUIRE = """#!lua
if redis.call('EXISTS', KEYS[1]) == 1 then
    return {0, redis.call('PTTL', KEYS[1]), 0}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return {token, 0, tonumber(redis.call('GET', KEYS[3]) or '0')}
"""

# KEYS: the lock. ARGV: a token, a time to live (ms). Extends the lock if that token holds it.
_EXTEND = """#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS: the lock. ARGV: a token. Deletes the lock if that token holds it.
_RELEASE = """#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

# Splits a string of 8-byte fields (struct.unpack splits up to 4,000 in one C call).
_SPLIT = """
local function split(blob)
    local fields, pos, n = {}, 1, #blob / 8
    while n > 0 do
        local k = math.min(n, 4000)
        local part = {struct.unpack(string.rep('c8', k), blob, pos)}
        pos = part[k + 1]
        part[k + 1] = nil
        if k == n and #fields == 0 then
            return part
        end
        for x = 1, k do
            fields[#fields + 1] = part[x]
        end
        n = n - k
    end
    return fields
end
"""

# KEYS[1] is the lock, KEYS[2] the generation. ARGV: the lock's token ('' for an optimistic
# transaction: the lock must then be free), the generation at which every checked value was read
# ('' if they were not all read at one; when it is still the current one, nothing has been committed
# since and the checks are skipped), the number of arguments that hold checks, the checks, then
# commands as (name, key index, number of arguments, arguments...). A check is ('H', key index,
# 8-byte fields, their values joined by NUL, '' when absent) or ('Z', key index, n, n members, a '1'
# or '0' per member: present or not). Returns 1 when committed, 0 when an optimistic transaction
# finds the lock held or a check failing (nothing is written). HSETP sets fields to values given as
# one string of (8-byte field, value) pairs whose values all have the length given; HDELB deletes
# every 8-byte field of a string.
_COMMIT = (
    "#!lua\n"
    + _SPLIT
    + """
if ARGV[1] == '' then
    if redis.call('EXISTS', KEYS[1]) == 1 then
        return 0
    end
elseif redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return redis.error_reply('DEDUPLOCK the write lock expired before the commit')
end
local i = 4
local checked = 3 + tonumber(ARGV[3])
if ARGV[2] ~= '' and redis.call('GET', KEYS[2]) == ARGV[2] then
    i = checked + 1
end
while i <= checked do
    local key = KEYS[tonumber(ARGV[i + 1])]
    if ARGV[i] == 'H' then
        local fields = split(ARGV[i + 2])
        local seen = {}
        for s = 1, #fields, 4000 do
            local e = math.min(s + 3999, #fields)
            local values = redis.call('HMGET', key, unpack(fields, s, e))
            for x = 1, e - s + 1 do
                seen[#seen + 1] = values[x] or ''
            end
        end
        if table.concat(seen, '\\0') ~= ARGV[i + 3] then
            return 0
        end
        i = i + 4
    else
        local n = tonumber(ARGV[i + 2])
        local flags = {}
        for x = 1, n do
            flags[x] = redis.call('ZSCORE', key, ARGV[i + 2 + x]) and '1' or '0'
        end
        if table.concat(flags) ~= ARGV[i + 3 + n] then
            return 0
        end
        i = i + 4 + n
    end
end
while i <= #ARGV do
    local name, key, n = ARGV[i], KEYS[tonumber(ARGV[i + 1])], tonumber(ARGV[i + 2])
    if name == 'HSETP' then
        local blob, item = ARGV[i + 3], 'c8c' .. ARGV[i + 4]
        local n, pos = #blob / (8 + tonumber(ARGV[i + 4])), 1
        while n > 0 do
            local k = math.min(n, 2000)
            local args = {struct.unpack(string.rep(item, k), blob, pos)}
            pos = args[2 * k + 1]
            args[2 * k + 1] = nil
            redis.call('HSET', key, unpack(args))
            n = n - k
        end
    elseif name == 'HDELB' then
        local fields = split(ARGV[i + 3])
        for s = 1, #fields, 4000 do
            redis.call('HDEL', key, unpack(fields, s, math.min(s + 3999, #fields)))
        end
    else
        redis.call(name, key, unpack(ARGV, i + 3, i + 2 + n))
    end
    i = i + 3 + n
end
if ARGV[1] ~= '' then
    redis.call('DEL', KEYS[1])
end
return 1
"""
)

# KEYS: the metadata hash. ARGV: field, value, ... Writes them unless the hash exists (returns 0).
_CREATE_META = """#!lua
if redis.call('EXISTS', KEYS[1]) == 1 then
    return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""


@dataclass(frozen=True, slots=True)
class Scripts:
    """The scripts, registered with a client (each runs by its SHA, loaded again when Redis lost it)."""

    acquire: Script
    extend: Script
    release: Script
    commit: Script
    create_meta: Script

    @classmethod
    def register(cls, client: redis.Redis) -> Scripts:
        """Register every script with ``client`` (no round trip)."""
        return cls(
            acquire=client.register_script(_ACQUIRE),
            extend=client.register_script(_EXTEND),
            release=client.register_script(_RELEASE),
            commit=client.register_script(_COMMIT),
            create_meta=client.register_script(_CREATE_META),
        )
