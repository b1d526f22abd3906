// The Redis side of shared rooms, as Lua scripts: each runs atomically, so the per-room cap and the
// one-id-per-room rule hold across processes, and each publishes its own join/leave notice with the
// room's sequence number, so notices reach every process in the order the changes were made.
//
// Keys (under a prefix, default `dynamo:sig:`):
//   room:<room>   HASH peer -> process id holding it          seq:<room>  INCR per change of the room
//   procs         SET of registered process ids              alive:<proc> expires unless refreshed
//   peers:<proc>  SET of "<room> <peer>" a process holds      channels ev:<room>, proc:<proc>

/** Removes every peer `proc` holds, publishing a leave for each; returns how many. */
const REAP_ONE = `
local function reap(p, proc)
  local n = 0
  for _, e in ipairs(redis.call('SMEMBERS', p .. 'peers:' .. proc)) do
    local room, peer = string.match(e, '^(%S+) (%S+)$')
    if room and redis.call('HGET', p .. 'room:' .. room, peer) == proc then
      redis.call('HDEL', p .. 'room:' .. room, peer)
      local seq = redis.call('INCR', p .. 'seq:' .. room)
      redis.call('PUBLISH', p .. 'ev:' .. room, cjson.encode({t = 'leave', peer = peer, proc = proc, seq = seq}))
      n = n + 1
    end
  end
  redis.call('DEL', p .. 'peers:' .. proc)
  redis.call('SREM', p .. 'procs', proc)
  return n
end
`;

/** ARGV: prefix, proc, ttlMs. Registers a process as alive. */
export const REGISTER = `
redis.call('SADD', ARGV[1] .. 'procs', ARGV[2])
redis.call('SET', ARGV[1] .. 'alive:' .. ARGV[2], '1', 'PX', ARGV[3])
return 1
`;

/**
 * ARGV: prefix, proc, ttlMs, maxProcs. Refreshes this process's liveness and reaps every registered
 * process whose liveness expired. Returns -1 if this process was itself reaped, else how many peers
 * were reaped.
 */
export const SWEEP = `${REAP_ONE}
local p, self = ARGV[1], ARGV[2]
if redis.call('SISMEMBER', p .. 'procs', self) == 0 then return -1 end
redis.call('SET', p .. 'alive:' .. self, '1', 'PX', ARGV[3])
local reaped, seen = 0, 0
for _, proc in ipairs(redis.call('SMEMBERS', p .. 'procs')) do
  seen = seen + 1
  if seen > tonumber(ARGV[4]) then break end
  if redis.call('EXISTS', p .. 'alive:' .. proc) == 0 then reaped = reaped + reap(p, proc) end
end
return reaped
`;

/** ARGV: prefix, proc. A process closing: its peers leave now, not after its liveness expires. */
export const UNREGISTER = `${REAP_ONE}
redis.call('DEL', ARGV[1] .. 'alive:' .. ARGV[2])
return reap(ARGV[1], ARGV[2])
`;

/**
 * ARGV: prefix, room, peer, proc, maxPeers. Returns {'ok', seq, [peer, proc, ...]} or {code}: 'reaped'
 * (this process is no longer registered), 'id-taken', 'room-full'.
 */
export const JOIN = `
local p, room, peer, proc = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local rk = p .. 'room:' .. room
if redis.call('SISMEMBER', p .. 'procs', proc) == 0 then return {'reaped'} end
if redis.call('HEXISTS', rk, peer) == 1 then return {'id-taken'} end
if redis.call('HLEN', rk) >= tonumber(ARGV[5]) then return {'room-full'} end
redis.call('HSET', rk, peer, proc)
redis.call('SADD', p .. 'peers:' .. proc, room .. ' ' .. peer)
local seq = redis.call('INCR', p .. 'seq:' .. room)
redis.call('PUBLISH', p .. 'ev:' .. room, cjson.encode({t = 'join', peer = peer, proc = proc, seq = seq}))
return {'ok', seq, redis.call('HGETALL', rk)}
`;

/** ARGV: prefix, room, peer, proc. Removes the peer if `proc` still holds it; returns the seq or 0. */
export const LEAVE = `
local p, room, peer, proc = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local rk = p .. 'room:' .. room
if redis.call('HGET', rk, peer) ~= proc then return 0 end
redis.call('HDEL', rk, peer)
redis.call('SREM', p .. 'peers:' .. proc, room .. ' ' .. peer)
local seq = redis.call('INCR', p .. 'seq:' .. room)
redis.call('PUBLISH', p .. 'ev:' .. room, cjson.encode({t = 'leave', peer = peer, proc = proc, seq = seq}))
return seq
`;
