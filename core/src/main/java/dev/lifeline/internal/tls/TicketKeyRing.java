package dev.lifeline.internal.tls;

import dev.lifeline.TicketKey;
import dev.lifeline.TicketKeyStore;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The server's session ticket keys: newest first, the first encrypts, all decrypt. A rotation puts
 * a fresh key in front and drops keys beyond {@code 1 + retained}; every change is saved to the
 * {@link TicketKeyStore} before it is applied, so a restart sees what the server last used.
 *
 * <p>Time comes from an injectable {@link Clock}; scheduling is left to the owner, which asks
 * {@link #untilNextRotation()} when to call {@link #rotateIfDue()}.
 */
final class TicketKeyRing {
  private final TicketKeyStore store;
  private final Clock clock;
  private final Duration interval;
  private final int retained;
  private final SecureRandom random;
  private final Consumer<List<TicketKey>> apply;

  private volatile List<TicketKey> keys = List.of(); // guarded by this for writes

  TicketKeyRing(TicketKeyStore store, Clock clock, Duration interval, int retained,
      SecureRandom random, Consumer<List<TicketKey>> apply) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.interval = Objects.requireNonNull(interval, "interval");
    this.retained = retained;
    this.random = Objects.requireNonNull(random, "random");
    this.apply = Objects.requireNonNull(apply, "apply");
  }

  /** Loads the saved ring (rotating first if it is empty or its newest key is due) and applies it. */
  synchronized List<TicketKey> open() throws IOException {
    List<TicketKey> loaded = store.load();
    if (loaded.isEmpty() || isDue(loaded.get(0))) {
      return rotate(loaded);
    }
    List<TicketKey> trimmed = trim(loaded);
    keys = trimmed;
    apply.accept(trimmed);
    return trimmed;
  }

  /** Rotates now, whatever the age of the newest key. */
  synchronized List<TicketKey> rotate() throws IOException {
    return rotate(keys);
  }

  /** Rotates when the newest key is at least one interval old; returns whether it did. */
  synchronized boolean rotateIfDue() throws IOException {
    if (!keys.isEmpty() && !isDue(keys.get(0))) {
      return false;
    }
    rotate(keys);
    return true;
  }

  /** How long until the newest key is due for rotation; zero when it already is. */
  Duration untilNextRotation() {
    List<TicketKey> current = keys;
    if (current.isEmpty()) {
      return Duration.ZERO;
    }
    Duration left = Duration.between(clock.instant(), current.get(0).createdAt().plus(interval));
    return left.isNegative() ? Duration.ZERO : left;
  }

  List<TicketKey> keys() {
    return keys;
  }

  private List<TicketKey> rotate(List<TicketKey> current) throws IOException {
    List<TicketKey> next = new ArrayList<>(retained + 1);
    next.add(TicketKey.generate(random, clock.instant()));
    next.addAll(current.subList(0, Math.min(retained, current.size())));
    List<TicketKey> ring = List.copyOf(next);
    store.save(ring);
    keys = ring;
    apply.accept(ring);
    return ring;
  }

  private List<TicketKey> trim(List<TicketKey> ring) {
    return List.copyOf(ring.subList(0, Math.min(retained + 1, ring.size())));
  }

  private boolean isDue(TicketKey newest) {
    Instant due = newest.createdAt().plus(interval);
    return !clock.instant().isBefore(due);
  }
}
