import { createHash } from 'node:crypto';

/** What the store needs of a connection to run a Lua script (an ioredis `Redis` or `Cluster`). */
export interface ScriptRunner {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

export interface LuaScript {
  readonly source: string;
  readonly sha: string;
  readonly numKeys: number;
}

function script(source: string, numKeys: number): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex'), numKeys };
}

/**
 * Keeps the LATER deadline of a cooldown and tells every replica about it.
 * KEYS[1] cooldown key; ARGV[1] deadline (epoch ms); ARGV[2] TTL in ms (deadline - now);
 * ARGV[3] events channel; ARGV[4] event message. Returns 1 when the deadline was stored
 * (and published), 0 when a later or equal one was already in force.
 */
export const SHARE_COOLDOWN = script(
  `local current = tonumber(redis.call('GET', KEYS[1]))
if current and current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`,
  1,
);

/** Redis's own clock (ms): every replica's deadlines are measured on one clock. */
const NOW = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * Counts one breaker outcome of a key for all replicas and opens or closes the shared circuit.
 * KEYS[1] breaker hash. ARGV[1] outcome (failure, success, probe_success,
 * probe_failure, probe_ignored); ARGV[2] failureThreshold ('' in ratio mode); ARGV[3]
 * failureRatio ('' in consecutive mode); ARGV[4] minimumThroughput; ARGV[5]
 * samplingDurationMs; ARGV[6] halfOpenAfterMs; ARGV[7] maxHalfOpenAfterMs; ARGV[8] events
 * channel; ARGV[9] source (this replica); ARGV[10] successes since the last report (ratio
 * mode); ARGV[11] the upstream key (for events); ARGV[12] TTL of the hash in ms.
 * Hash fields: state (closed | open; open past openUntil is half-open), openUntil (Redis ms),
 * failures (consecutive mode), reopenings (failed probes since it last closed), probe and
 * probeUntil (the replica holding the half-open probe, and until when), and in ratio mode
 * f:<bucket> / t:<bucket> (failures / calls per tenth of the sampling window). One key per
 * upstream, so a Redis Cluster handles each script on one slot.
 * Returns the shared state after the outcome.
 */
export const CIRCUIT_OUTCOME = script(
  `${NOW}
local outcome = ARGV[1]
local threshold = tonumber(ARGV[2])
local ratio = tonumber(ARGV[3])
local sampling = tonumber(ARGV[5])
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
local openUntil = tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0')
local reopenings = tonumber(redis.call('HGET', KEYS[1], 'reopenings') or '0')
local function publish(event)
  event.key = ARGV[11]
  event.source = ARGV[9]
  redis.call('PUBLISH', ARGV[8], cjson.encode(event))
end
local function clearWindow()
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 2, 2) == ':' then redis.call('HDEL', KEYS[1], field) end
  end
end
local function open(failures)
  local wait = math.floor(math.min(tonumber(ARGV[7]), tonumber(ARGV[6]) * 2 ^ math.min(reopenings, 52)))
  redis.call('HSET', KEYS[1], 'state', 'open', 'openUntil', now + wait, 'failures', 0, 'reopenings', reopenings)
  clearWindow()
  publish({ type = 'circuit', state = 'open', openForMs = wait, failures = failures })
  state = 'open'
end
local function releaseProbe()
  if redis.call('HGET', KEYS[1], 'probe') == ARGV[9] then redis.call('HDEL', KEYS[1], 'probe', 'probeUntil') end
end
local function countFailure()
  if threshold then
    local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
    if failures == 1 then publish({ type = 'failing' }) end
    if failures >= threshold then open(failures) end
    return
  end
  local width = math.max(1, math.ceil(sampling / 10))
  local bucket = math.floor(now / width)
  redis.call('HINCRBY', KEYS[1], 'f:' .. bucket, 1)
  redis.call('HINCRBY', KEYS[1], 't:' .. bucket, 1 + (tonumber(ARGV[10]) or 0))
  local failures, total = 0, 0
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    local kind, index = string.sub(field, 1, 1), tonumber(string.sub(field, 3))
    if index and string.sub(field, 2, 2) == ':' then
      if index <= bucket - 10 then
        redis.call('HDEL', KEYS[1], field)
      else
        local count = tonumber(redis.call('HGET', KEYS[1], field))
        if kind == 'f' then failures = failures + count else total = total + count end
      end
    end
  end
  if total >= tonumber(ARGV[4]) and failures / total >= ratio then open(failures) end
end
if outcome == 'probe_success' then
  releaseProbe()
  if state == 'open' then
    redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', 0, 'reopenings', 0)
    clearWindow()
    publish({ type = 'circuit', state = 'closed' })
    state = 'closed'
  end
elseif outcome == 'probe_failure' then
  releaseProbe()
  if state == 'closed' then
    countFailure()
  elseif now >= openUntil then
    reopenings = reopenings + 1
    open(1)
  end
elseif outcome == 'probe_ignored' then
  releaseProbe()
elseif outcome == 'success' then
  if state == 'closed' and threshold then redis.call('HSET', KEYS[1], 'failures', 0) end
elseif outcome == 'failure' then
  if state == 'closed' then countFailure() end
end
redis.call('PEXPIRE', KEYS[1], ARGV[12])
return state`,
  1,
);

/**
 * Asks for the one half-open probe all replicas may send. KEYS[1] breaker hash. ARGV[1]
 * source; ARGV[2] how long the probe may be held (ms); ARGV[3] TTL of the hash (ms); ARGV[4]
 * the longest the asking replica lets the shared circuit stay open from now (ms); ARGV[5]
 * the longest it lets another replica's probe be held from now (ms). Returns { -1, 0 } when
 * granted, else { the ms to wait, 1 when a stored deadline lay further ahead than its bound
 * (cut to it, for every replica), else 0 }. A stored deadline that is not a number counts as passed.
 */
export const CLAIM_PROBE = script(
  `${NOW}
local maxOpen = tonumber(ARGV[4])
local maxHeld = tonumber(ARGV[5])
local cut = 0
if redis.call('HGET', KEYS[1], 'state') == 'open' then
  local openUntil = tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0') or 0
  if openUntil - now > maxOpen then
    openUntil = now + maxOpen
    cut = 1
    redis.call('HSET', KEYS[1], 'openUntil', openUntil)
  end
  if now < openUntil then return { openUntil - now, cut } end
end
local holder = redis.call('HGET', KEYS[1], 'probe')
local heldUntil = tonumber(redis.call('HGET', KEYS[1], 'probeUntil') or '0') or 0
if holder and holder ~= ARGV[1] and now < heldUntil then
  if heldUntil - now > maxHeld then
    heldUntil = now + maxHeld
    cut = 1
    redis.call('HSET', KEYS[1], 'probeUntil', heldUntil)
  end
  return { heldUntil - now, cut }
end
redis.call('HSET', KEYS[1], 'probe', ARGV[1], 'probeUntil', now + tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return { -1, cut }`,
  1,
);

/**
 * Adds tokens to the retry budget all replicas share (negative: withdrawals). KEYS[1] budget
 * hash. ARGV[1] delta; ARGV[2] capacity; ARGV[3] retryCost; ARGV[4] TTL (ms); ARGV[5]
 * events channel; ARGV[6] source; ARGV[7] the upstream key. A missing bucket is full. Tells
 * every replica the balance when it crosses the cost of a retry or leaves or reaches full.
 * Returns the balance (a string: it may be fractional).
 */
export const ADJUST_BUDGET = script(
  `local capacity = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local before = tonumber(redis.call('HGET', KEYS[1], 'tokens') or ARGV[2])
local tokens = math.max(0, math.min(capacity, before + tonumber(ARGV[1])))
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if (before >= cost) ~= (tokens >= cost) or (before >= capacity) ~= (tokens >= capacity) then
  redis.call('PUBLISH', ARGV[5], cjson.encode({ type = 'budget', key = ARGV[7], tokens = tokens, source = ARGV[6] }))
end
return tostring(tokens)`,
  1,
);

/**
 * Records that a replica sends to a paced key. KEYS[1] sorted set (member: replica, score:
 * last announcement, Redis ms). ARGV[1] source; ARGV[2] how long an announcement counts (ms);
 * ARGV[3] events channel; ARGV[4] the upstream key; ARGV[5] TTL (ms). Tells every replica
 * the count when a replica joins or drops out. Returns the count.
 */
export const ANNOUNCE_ACTIVE = script(
  `${NOW}
local joined = redis.call('ZADD', KEYS[1], now, ARGV[1])
local left = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local count = redis.call('ZCARD', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if joined > 0 or left > 0 then
  redis.call('PUBLISH', ARGV[3], cjson.encode({ type = 'replicas', key = ARGV[4], count = count, source = ARGV[1] }))
end
return count`,
  1,
);

/**
 * Stores the rate limit a replica learned for a key and tells the others when it changed.
 * KEYS[1] limit key. ARGV[1] requests per minute; ARGV[2] TTL (ms); ARGV[3] events channel;
 * ARGV[4] source; ARGV[5] the upstream key. Returns 1 when it changed, else 0.
 */
export const SHARE_LIMIT = script(
  `local changed = redis.call('GET', KEYS[1]) ~= ARGV[1]
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if changed then
  redis.call('PUBLISH', ARGV[3], cjson.encode({ type = 'limit', key = ARGV[5], limitPerMinute = tonumber(ARGV[1]), source = ARGV[4] }))
  return 1
end
return 0`,
  1,
);

/** Runs `lua` by its SHA, loading it with EVAL when the server does not know it (NOSCRIPT). */
export function runScript(runner: ScriptRunner, lua: LuaScript, args: Array<string | number>): Promise<unknown> {
  return runner.evalsha(lua.sha, lua.numKeys, ...args).catch((error: unknown) => {
    if (String((error as { message?: unknown } | null)?.message).startsWith('NOSCRIPT')) {
      return runner.eval(lua.source, lua.numKeys, ...args);
    }
    throw error;
  });
}
