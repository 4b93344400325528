package dev.lifeline.internal.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.FileTicketKeyStore;
import dev.lifeline.TicketKey;
import dev.lifeline.TicketKeyStore;
import dev.lifeline.TlsConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key ring's rotation rules with a hand-moved clock, and the file store it persists to. */
class TicketKeyRingTest {
  private static final Duration INTERVAL = Duration.ofHours(12);

  @TempDir
  Path dir;

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
  private final List<List<TicketKey>> applied = new ArrayList<>();

  @Test
  void rotatesOnIntervalKeepingRetainedKeysNewestFirst() throws Exception {
    TicketKeyStore store = new FileTicketKeyStore(dir.resolve("ticket-keys"));
    TicketKeyRing ring = newRing(store, 2);
    List<TicketKey> first = ring.open();
    assertEquals(1, first.size());
    assertEquals(first, applied.get(0));

    now = now.plus(INTERVAL).minusSeconds(1);
    assertFalse(ring.rotateIfDue());
    assertEquals(Duration.ofSeconds(1), ring.untilNextRotation());
    now = now.plusSeconds(1);
    assertTrue(ring.rotateIfDue());
    assertEquals(2, ring.keys().size());
    assertEquals(first.get(0), ring.keys().get(1));
    assertEquals(now, ring.keys().get(0).createdAt());

    ring.rotate();
    ring.rotate();
    assertEquals(3, ring.keys().size(), "1 current + 2 retained");
    assertFalse(ring.keys().contains(first.get(0)), "oldest key dropped");
    assertEquals(ring.keys(), store.load(), "every change is saved");
    assertEquals(ring.keys(), applied.get(applied.size() - 1), "every change is applied");
  }

  @Test
  void reopeningReusesSavedRingUnlessItIsDue() throws Exception {
    TicketKeyStore store = new FileTicketKeyStore(dir.resolve("ticket-keys"));
    List<TicketKey> saved = newRing(store, 2).open();

    now = now.plus(Duration.ofHours(1));
    assertEquals(saved, newRing(store, 2).open(), "restart within the interval keeps the ring");

    now = now.plus(INTERVAL);
    List<TicketKey> rotated = newRing(store, 2).open();
    assertEquals(2, rotated.size());
    assertEquals(saved.get(0), rotated.get(1), "overdue ring rotated at start, old key retained");
  }

  @Test
  void fileStoreRoundTripsWithOwnerOnlyPermissions() throws Exception {
    Path file = dir.resolve("tls/ticket-keys");
    FileTicketKeyStore store = new FileTicketKeyStore(file);
    assertEquals(List.of(), store.load());
    SecureRandom random = new SecureRandom();
    List<TicketKey> ring = List.of(TicketKey.generate(random, now),
        TicketKey.generate(random, now.minusSeconds(60)));
    store.save(ring);
    assertEquals(ring, new FileTicketKeyStore(file).load());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    try (var files = Files.list(file.getParent())) {
      assertEquals(1, files.count(), "no temporary file left behind");
    }
    assertNotEquals(ring.get(0).toString().length(), 0);
    assertFalse(ring.get(0).toString().contains(
        java.util.HexFormat.of().formatHex(ring.get(0).aesKey())), "toString leaks the AES key");
  }

  @Test
  void corruptFileIsReportedWithItsName() throws Exception {
    Path file = Files.writeString(dir.resolve("ticket-keys"), "# lifeline ticket keys v1\nnonsense\n");
    TlsConfigurationException e = assertThrows(TlsConfigurationException.class,
        () -> new FileTicketKeyStore(file).load());
    assertTrue(e.getMessage().startsWith("ticket key file " + file + " line 2 is corrupt"),
        e.getMessage());
  }

  @Test
  void ticketKeyValidatesItsLength() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TicketKey.of(new byte[48], now));
    assertEquals("material: 48 bytes (expected: 80)", e.getMessage());
  }

  private TicketKeyRing newRing(TicketKeyStore store, int retained) {
    return new TicketKeyRing(store, clock, INTERVAL, retained, new SecureRandom(), applied::add);
  }
}
