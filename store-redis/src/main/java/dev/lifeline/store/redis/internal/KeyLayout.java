package dev.lifeline.store.redis.internal;

import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a store's keys live. On one Redis primary: {@code PREFIX s:ID} and one index {@code PREFIX
 * sessions}, as since issue 7. On Redis Cluster every script must touch keys of one hash slot, so
 * the sessions are split into {@value #SHARDS} shards, and every key of a shard carries the
 * shard's hash tag: {@code PREFIX{TAG}:s:ID} and {@code PREFIX{TAG}:sessions} share a slot.
 *
 * <p>The layout is part of the stored data: every node must compute it the same way, forever. A
 * session's shard is the Redis Cluster slot of its id (CRC16 mod 16384, as Redis computes it)
 * divided by 64, so shard {@code i} holds the ids of slots {@code 64i..64i+63}. Shard {@code i}'s
 * tag is the first string {@code i.n} (n = 0, 1, ...) whose own slot lies in that same range: the
 * 256 shards are spread evenly over the slots, so a cluster whose primaries own equal slot ranges
 * (what {@code redis-cli --cluster create} makes) holds equal shares of the sessions.
 */
public abstract sealed class KeyLayout {
  /** Index shards on a cluster; more primaries than this would not share the sessions. */
  public static final int SHARDS = 256;

  private static final int SLOTS_PER_SHARD = SlotHash.SLOT_COUNT / SHARDS;

  final String prefix;

  private KeyLayout(String prefix) {
    this.prefix = prefix;
  }

  /** The layout on one Redis primary (or Sentinel-managed primaries). */
  public static KeyLayout single(String prefix) {
    return new Single(prefix);
  }

  /** The layout on Redis Cluster. */
  public static KeyLayout sharded(String prefix) {
    return new Sharded(prefix);
  }

  /** The hash holding session {@code id}'s record. */
  public abstract byte[] record(String id);

  /** The sorted set that indexes session {@code id} by its expiry time. */
  public abstract byte[] index(String id);

  /** Every index, each to be listed or swept on its own. */
  public abstract List<byte[]> indexes();

  /** The string holding the TLS ticket key ring. */
  public byte[] ticketKeys() {
    return utf8(prefix + "ticket-keys");
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static final class Single extends KeyLayout {
    private final byte[] index;

    Single(String prefix) {
      super(prefix);
      this.index = utf8(prefix + "sessions");
    }

    @Override
    public byte[] record(String id) {
      return utf8(prefix + "s:" + id);
    }

    @Override
    public byte[] index(String id) {
      return index;
    }

    @Override
    public List<byte[]> indexes() {
      return List.of(index);
    }
  }

  private static final class Sharded extends KeyLayout {
    private static final String[] TAGS = tags();
    private final List<byte[]> indexes;

    Sharded(String prefix) {
      super(prefix);
      List<byte[]> all = new ArrayList<>(SHARDS);
      for (String tag : TAGS) {
        all.add(utf8(prefix + "{" + tag + "}:sessions"));
      }
      this.indexes = List.copyOf(all);
    }

    @Override
    public byte[] record(String id) {
      return utf8(prefix + "{" + TAGS[shard(id)] + "}:s:" + id);
    }

    @Override
    public byte[] index(String id) {
      return indexes.get(shard(id));
    }

    @Override
    public List<byte[]> indexes() {
      return indexes;
    }

    /** The shard of a session: the slot its id hashes to, in 256 equal ranges. */
    static int shard(String id) {
      return SlotHash.getSlot(utf8(id)) / SLOTS_PER_SHARD;
    }

    private static String[] tags() {
      String[] tags = new String[SHARDS];
      for (int i = 0; i < SHARDS; i++) {
        for (int n = 0; tags[i] == null; n++) {
          String tag = i + "." + n;
          if (SlotHash.getSlot(utf8(tag)) / SLOTS_PER_SHARD == i) {
            tags[i] = tag;
          }
        }
      }
      return tags;
    }
  }
}
