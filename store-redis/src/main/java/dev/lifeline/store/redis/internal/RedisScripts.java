package dev.lifeline.store.redis.internal;

/**
 * The Lua scripts that make each change of a session record atomic on the Redis server. Written
 * down once here; {@code docs/deployment.md} describes the layout.
 *
 * <pre>
 * PREFIX s:ID       hash: secret identity created active pos state attrs epoch owner
 *                   (pos zero-padded to 19 digits so it compares exactly; Lua numbers are doubles)
 * PREFIX sessions   sorted set: ID scored by active + ttl (when it expires), for ids() and sweeps
 * PREFIX ticket-keys  string: the TLS ticket key ring (see RedisTicketKeyStore)
 * </pre>
 *
 * <p>On Redis Cluster the record and index keys carry their shard's hash tag ({@code
 * PREFIX{TAG}:s:ID}, {@code PREFIX{TAG}:sessions}; see {@link KeyLayout}): each script's two keys
 * are in one hash slot, as Redis Cluster requires of a script.
 *
 * <p>Every write carries the fencing pair (epoch, owner) the writing node holds: {@code epoch}
 * grows by one on every claim, {@code owner} names the claiming node. A write whose pair no longer
 * matches answers {@code TAKEN}: another node resumed the session since.
 */
public final class RedisScripts {
  private RedisScripts() {}

  /** Compares two 19-digit positions exactly, as two halves that each fit a double. */
  private static final String LESS = """
      local function less(a, b)
        local ah, bh = tonumber(string.sub(a, 1, 10)), tonumber(string.sub(b, 1, 10))
        if ah ~= bh then return ah < bh end
        return tonumber(string.sub(a, 11)) < tonumber(string.sub(b, 11))
      end
      """;

  /**
   * Replaces a whole record. KEYS: record, index. ARGV: mode (put: fenced by ARGV 2 and 3;
   * claim or create: takes a new epoch), epoch, owner, secret, identity, created, active, pos,
   * state, attrs, pexpire millis, index score, id. Answers {OK, epoch} or {TAKEN, epoch, owner}.
   */
  public static final String PUT = """
      local cur = redis.call('HMGET', KEYS[1], 'epoch', 'owner')
      local epoch = tonumber(cur[1] or '0')
      if ARGV[1] == 'put' then
        if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] then
          return {'TAKEN', cur[1] or '', cur[2] or ''}
        end
      else
        epoch = epoch + 1
      end
      redis.call('DEL', KEYS[1])
      redis.call('HSET', KEYS[1], 'secret', ARGV[4], 'identity', ARGV[5], 'created', ARGV[6],
        'active', ARGV[7], 'pos', ARGV[8], 'state', ARGV[9], 'attrs', ARGV[10],
        'epoch', string.format('%.0f', epoch), 'owner', ARGV[3])
      redis.call('PEXPIRE', KEYS[1], ARGV[11])
      redis.call('ZADD', KEYS[2], ARGV[12], ARGV[13])
      return {'OK', string.format('%.0f', epoch)}
      """;

  /**
   * Stores a checkpoint. KEYS: record, index. ARGV: epoch ('' = not fenced), owner, now, ttl,
   * pos, state, pexpire millis, index score, id. Answers {OK}, {UNKNOWN}, {TAKEN, epoch, owner}
   * or {OLDER, stored pos}.
   */
  public static final String COMMIT = LESS + """
      local f = redis.call('HMGET', KEYS[1], 'active', 'pos', 'epoch', 'owner')
      if not f[1] then return {'UNKNOWN'} end
      if tonumber(ARGV[3]) - tonumber(f[1]) >= tonumber(ARGV[4]) then return {'UNKNOWN'} end
      if ARGV[1] ~= '' and (f[3] ~= ARGV[1] or f[4] ~= ARGV[2]) then
        return {'TAKEN', f[3] or '', f[4] or ''}
      end
      if less(ARGV[5], f[2]) then return {'OLDER', f[2]} end
      redis.call('HSET', KEYS[1], 'pos', ARGV[5], 'state', ARGV[6], 'active', ARGV[3])
      redis.call('PEXPIRE', KEYS[1], ARGV[7])
      redis.call('ZADD', KEYS[2], ARGV[8], ARGV[9])
      return {'OK'}
      """;

  /**
   * Removes a record. KEYS: record, index. ARGV: epoch ('' = not fenced), owner, id. Answers {OK}
   * or {TAKEN, epoch, owner}.
   */
  public static final String DELETE = """
      if ARGV[1] ~= '' then
        local f = redis.call('HMGET', KEYS[1], 'epoch', 'owner')
        if f[1] and (f[1] ~= ARGV[1] or f[2] ~= ARGV[2]) then
          return {'TAKEN', f[1], f[2] or ''}
        end
      end
      redis.call('DEL', KEYS[1])
      redis.call('ZREM', KEYS[2], ARGV[3])
      return {'OK'}
      """;

  /**
   * Removes one record if it has expired. KEYS: record, index. ARGV: now, ttl, id. Answers
   * {GONE} (no record: index entry removed), {LIVE} (index entry corrected) or {EXPIRED, secret,
   * identity, created, active, pos, state, attrs}.
   */
  public static final String SWEEP_ONE = """
      local f = redis.call('HMGET', KEYS[1], 'secret', 'identity', 'created', 'active', 'pos',
        'state', 'attrs')
      if not f[4] then
        redis.call('ZREM', KEYS[2], ARGV[3])
        return {'GONE'}
      end
      if tonumber(ARGV[1]) - tonumber(f[4]) < tonumber(ARGV[2]) then
        redis.call('ZADD', KEYS[2], string.format('%.0f', tonumber(f[4]) + tonumber(ARGV[2])),
          ARGV[3])
        return {'LIVE'}
      end
      redis.call('DEL', KEYS[1])
      redis.call('ZREM', KEYS[2], ARGV[3])
      return {'EXPIRED', f[1], f[2], f[3], f[4], f[5], f[6], f[7]}
      """;

  /**
   * Replaces a string only if it still holds the expected value. KEYS: key. ARGV: expected (''
   * = absent), new value. Answers 1 if replaced, 0 if not.
   */
  public static final String COMPARE_AND_SET = """
      local cur = redis.call('GET', KEYS[1])
      if (cur or '') ~= ARGV[1] then return 0 end
      redis.call('SET', KEYS[1], ARGV[2])
      return 1
      """;
}
