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

/** Runs `lua` by its SHA, loading it with EVAL when the server does not know it (NOSCRIPT). */
export function runScript(runner: ScriptRunner, lua: LuaScript, args: Array<string | number>): Promise<unknown> {
  return runner.evalsha(lua.sha, lua.numKeys, ...args).catch((error: unknown) => {
    if (String((error as { message?: unknown } | null)?.message).startsWith('NOSCRIPT')) {
      return runner.eval(lua.source, lua.numKeys, ...args);
    }
    throw error;
  });
}
