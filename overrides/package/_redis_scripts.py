"""The gate of `_rate_gate.py` as Redis Lua scripts: each runs atomically on one hash per API key.

Fields of the hash (numbers as strings, times in seconds on Redis `TIME`'s clock, so the clocks of
the machines sharing it do not matter): `open_at` (a 429's hold ends), `reset_at`, `remaining`,
`limit`, `window`, `guessed` ("1": reset_at was rolled forward, not announced), `next_at` (the next
spacing slot). Nothing in it identifies the key beyond the hash's name, a digest of the key.
The constants the algorithm needs come in as arguments from `_rate_limits.py`, so the Python and
Lua versions cannot disagree about them.
"""

from __future__ import annotations

_PROLOGUE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local key = KEYS[1]
local function num(x) return string.format('%.6f', x) end
local function keep_until(reset_at, open_at, keep)
  redis.call('EXPIRE', key, math.ceil(math.max(reset_at or now, open_at, now) - now + keep))
end
"""

# ARGV: max_spacing, low_fraction, keep. Returns {wait (a string: Lua numbers become integers), reserved (0/1)}.
ACQUIRE = (
    _PROLOGUE
    + """
local max_spacing, low_fraction, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', key, 'open_at', 'reset_at', 'remaining', 'limit', 'window', 'next_at')
local open_at = tonumber(state[1]) or 0
if open_at > now then return {num(open_at - now), 0} end
local reset_at = tonumber(state[2])
if not reset_at then return {'0', 1} end
local remaining, limit, window = tonumber(state[3]), tonumber(state[4]), tonumber(state[5])
local next_at = tonumber(state[6]) or 0
if now >= reset_at then
  if not window then
    redis.call('HDEL', key, 'reset_at', 'remaining')
    return {'0', 1}
  end
  reset_at = reset_at + (math.floor((now - reset_at) / window) + 1) * window
  remaining, next_at = limit, 0
  redis.call('HSET', key, 'reset_at', num(reset_at), 'guessed', '1', 'next_at', '0')
  if remaining then redis.call('HSET', key, 'remaining', remaining) else redis.call('HDEL', key, 'remaining') end
  keep_until(reset_at, open_at, keep)
end
if not remaining then return {'0', 1} end
if remaining <= 0 then return {num(reset_at - now), 0} end
remaining = remaining - 1
local slot = math.max(now, next_at)
if slot - now > max_spacing then slot = now end
if remaining < math.max(1, (limit or 0) * low_fraction) then
  next_at = slot + (reset_at - slot) / (remaining + 1)
end
redis.call('HSET', key, 'remaining', remaining, 'next_at', num(next_at))
return {num(slot - now), 1}
"""
)

# ARGV: hold_for, limit, remaining, reset_in, window ("" when absent), same_window, keep.
OBSERVE = (
    _PROLOGUE
    + """
local hold, limit, remaining = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local reset_in, window = tonumber(ARGV[4]), tonumber(ARGV[5])
local same_window, keep = tonumber(ARGV[6]), tonumber(ARGV[7])
local state = redis.call('HMGET', key, 'open_at', 'reset_at', 'remaining', 'window', 'guessed')
local open_at = tonumber(state[1]) or 0
local reset_at = tonumber(state[2])
if hold then
  open_at = math.max(open_at, now + hold)
  redis.call('HSET', key, 'open_at', num(open_at))
  keep_until(reset_at, open_at, keep)
  return 1
end
if not remaining or not reset_in then return 0 end
if limit then redis.call('HSET', key, 'limit', limit) end
if reset_in <= 0 then
  keep_until(reset_at, open_at, keep)
  return 1
end
window = window or math.max(tonumber(state[4]) or 0, reset_in)
redis.call('HSET', key, 'window', window)
local announced, known, guessed = now + reset_in, tonumber(state[3]), state[5] == '1'
if not reset_at or announced > reset_at + same_window then
  known, reset_at = remaining, announced
elseif announced >= reset_at - same_window or (guessed and announced > now) then
  known = math.min(known or remaining, remaining)
  if guessed then reset_at = announced else reset_at = math.max(reset_at, announced) end
else
  keep_until(reset_at, open_at, keep)
  return 1
end
redis.call('HSET', key, 'remaining', known, 'reset_at', num(reset_at), 'guessed', '0')
keep_until(reset_at, open_at, keep)
return 1
"""
)
