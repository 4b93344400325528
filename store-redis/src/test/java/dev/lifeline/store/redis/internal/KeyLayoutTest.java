package dev.lifeline.store.redis.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyLayoutTest {
  private final KeyLayout sharded = KeyLayout.sharded("lifeline:");

  @Test
  void aSessionsRecordAndIndexShareOneSlotOnACluster() {
    for (int i = 0; i < 10_000; i++) {
      String id = "session-" + i;
      assertEquals(SlotHash.getSlot(sharded.record(id)), SlotHash.getSlot(sharded.index(id)),
          id);
    }
  }

  @Test
  void theShardsSpreadEvenlyOverTheSlots() {
    List<byte[]> indexes = sharded.indexes();
    assertEquals(KeyLayout.SHARDS, indexes.size());
    Set<Integer> slots = new HashSet<>();
    for (int i = 0; i < indexes.size(); i++) {
      int slot = SlotHash.getSlot(indexes.get(i));
      assertTrue(slot / 64 == i, "shard " + i + " lies in slots 64i..64i+63: " + slot);
      slots.add(slot);
    }
    // Three primaries with equal slot ranges (redis-cli --cluster create) hold 85 or 86 each.
    long[] perPrimary = new long[3];
    for (int slot : slots) {
      perPrimary[Math.min(2, slot / 5461)]++;
    }
    assertTrue(perPrimary[0] >= 85 && perPrimary[1] >= 85 && perPrimary[2] >= 85,
        java.util.Arrays.toString(perPrimary));
  }

  @Test
  void sessionsSpreadOverTheShards() {
    int[] perShard = new int[KeyLayout.SHARDS];
    for (int i = 0; i < 256_000; i++) {
      perShard[SlotHash.getSlot(sharded.index("session-" + i)) / 64]++;
    }
    for (int s = 0; s < perShard.length; s++) {
      assertTrue(perShard[s] > 800 && perShard[s] < 1200, "shard " + s + ": " + perShard[s]);
    }
  }

  /** The layout is stored data: a change would strand every session already in a cluster. */
  @Test
  void theLayoutStaysWhatItWas() {
    // redis-cli cluster keyslot: "lifeline:{0.178}:sessions" 54 (shard 0), "abc" 7638 (119).
    assertEquals("lifeline:{0.178}:sessions", str(sharded.indexes().get(0)));
    assertEquals(119, SlotHash.getSlot(sharded.index("abc")) / 64);
    assertEquals(str(sharded.index("abc")).replace(":sessions", ":s:abc"),
        str(sharded.record("abc")));
    assertEquals("lifeline:ticket-keys", str(sharded.ticketKeys()));
  }

  @Test
  void theSinglePrimaryLayoutIsUnchanged() {
    KeyLayout single = KeyLayout.single("p:");
    assertEquals("p:s:abc", str(single.record("abc")));
    assertEquals("p:sessions", str(single.index("abc")));
    assertEquals(1, single.indexes().size());
    assertArrayEquals(single.index("x"), single.indexes().get(0));
    assertEquals("p:ticket-keys", str(single.ticketKeys()));
  }

  private static String str(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
