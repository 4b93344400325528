package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.TicketKey;
import dev.lifeline.TicketKeyStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two servers sharing one ticket key ring (a store with a refresh interval): a new key reaches
 * every server as decrypt-only before any server encrypts with it, and concurrent rotations add
 * one key, not two.
 */
class SharedTicketKeyRingTest {
  private static final Duration INTERVAL = Duration.ofHours(12);
  private static final Duration REFRESH = Duration.ofSeconds(10);

  private Instant now = Instant.parse("2025-01-01T00:00:00Z");
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  };

  /** The in-memory store, shared: every server re-reads it each REFRESH. */
  private final TicketKeyStore shared = new TicketKeyStore() {
    private final TicketKeyStore ring = TicketKeyStore.inMemory();

    @Override
    public List<TicketKey> load() throws java.io.IOException {
      return ring.load();
    }

    @Override
    public void save(List<TicketKey> keys) throws java.io.IOException {
      ring.save(keys);
    }

    @Override
    public Duration refreshInterval() {
      return REFRESH;
    }
  };

  private final List<List<TicketKey>> appliedA = new ArrayList<>();
  private final List<List<TicketKey>> appliedB = new ArrayList<>();

  @Test
  void aNewKeyDecryptsEverywhereBeforeAnyServerEncryptsWithIt() throws Exception {
    TicketKeyRing a = ring(appliedA);
    TicketKeyRing b = ring(appliedB);
    TicketKey first = a.open().get(0);
    assertEquals(List.of(first), b.open(), "the second server adopts the first one's ring");
    assertEquals(first, a.encryptingKey());
    assertEquals(first, b.encryptingKey());

    now = now.plusSeconds(60);
    List<TicketKey> rotated = a.rotate();
    TicketKey fresh = rotated.get(0);
    assertEquals(List.of(fresh, first), rotated);
    assertEquals(first, a.encryptingKey(), "the rotating server keeps encrypting with the old key");
    assertEquals(List.of(first, fresh), last(appliedA), "but decrypts with the new one at once");

    now = now.plus(REFRESH);
    b.refresh();
    assertEquals(List.of(first, fresh), last(appliedB), "one refresh later: decrypt-only on B");
    assertEquals(first, b.encryptingKey());

    now = now.plus(REFRESH.multipliedBy(2)); // three refresh intervals after the rotation
    a.refresh();
    b.refresh();
    assertEquals(fresh, a.encryptingKey());
    assertEquals(fresh, b.encryptingKey());
    assertEquals(List.of(fresh, first), last(appliedB), "the old key still decrypts");
  }

  @Test
  void serversRotatingAtOnceAddOneKey() throws Exception {
    TicketKeyRing a = ring(appliedA);
    TicketKeyRing b = ring(appliedB);
    a.open();
    b.open();
    now = now.plus(INTERVAL);
    assertTrue(a.rotateIfDue());
    b.rotateIfDue(); // sees A's new key, which is not due: adopts it
    assertEquals(2, shared.load().size(), "one key added, not two: " + shared.load());
    assertEquals(a.keys(), b.keys());
    assertFalse(b.rotateIfDue());
  }

  @Test
  void aLostRaceAdoptsTheWinnersRing() throws Exception {
    TicketKeyRing a = ring(appliedA);
    a.open();
    now = now.plusSeconds(1);
    List<TicketKey> winner = new ArrayList<>();
    // B's store lets another server replace the ring between B's read and B's write.
    TicketKeyStore racing = new TicketKeyStore() {
      @Override
      public List<TicketKey> load() throws java.io.IOException {
        return shared.load();
      }

      @Override
      public void save(List<TicketKey> keys) throws java.io.IOException {
        shared.save(keys);
      }

      @Override
      public Duration refreshInterval() {
        return REFRESH;
      }

      @Override
      public boolean replace(List<TicketKey> expected, List<TicketKey> ring)
          throws java.io.IOException {
        if (winner.isEmpty()) {
          winner.add(TicketKey.generate(new SecureRandom(), now));
          winner.addAll(shared.load());
          assertTrue(shared.replace(shared.load(), List.copyOf(winner)));
        }
        return shared.replace(expected, ring);
      }
    };
    TicketKeyRing b = new TicketKeyRing(racing, clock, INTERVAL, 2, new SecureRandom(),
        appliedB::add);
    assertEquals(winner, b.rotate(), "B's replace failed, so B took the winner's ring");
    assertEquals(winner, shared.load());
  }

  private TicketKeyRing ring(List<List<TicketKey>> applied) {
    return new TicketKeyRing(shared, clock, INTERVAL, 2, new SecureRandom(), applied::add);
  }

  private static List<TicketKey> last(List<List<TicketKey>> applied) {
    return applied.get(applied.size() - 1);
  }
}
