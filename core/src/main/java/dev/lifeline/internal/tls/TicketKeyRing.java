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
 * The server's session ticket keys, newest first; all decrypt, one encrypts. A rotation puts a
 * fresh key in front and drops the oldest beyond the retained ones; every change is saved to the
 * {@link TicketKeyStore} before it is applied, so a restart sees what the server last used.
 *
 * <p>With a store only this server writes ({@link TicketKeyStore#refreshInterval()} zero) the
 * newest key encrypts at once. With a shared store (positive refresh interval R) several servers
 * use one ring: {@link #refresh()} re-reads it every R, a rotation adds its key with an atomic
 * {@link TicketKeyStore#replace} (only one server wins; the others adopt its ring), and a key
 * encrypts only from {@code 3 R} after its creation, when every server has read it. Until then it
 * only decrypts, so a client sent to another server right after a rotation still resumes.
 *
 * <p>What is applied ({@code apply}) is the ring with the encrypting key first. Time comes from an
 * injectable {@link Clock}; scheduling is left to the owner.
 */
final class TicketKeyRing {
  private final TicketKeyStore store;
  private final Clock clock;
  private final Duration interval;
  private final int retained;
  private final SecureRandom random;
  private final Consumer<List<TicketKey>> apply;
  private final Duration activation; // zero when not shared

  private volatile List<TicketKey> keys = List.of(); // as saved, newest first; writes under this
  private volatile List<TicketKey> applied = List.of(); // encrypting key first

  TicketKeyRing(TicketKeyStore store, Clock clock, Duration interval, int retained,
      SecureRandom random, Consumer<List<TicketKey>> apply) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.interval = Objects.requireNonNull(interval, "interval");
    this.retained = retained;
    this.random = Objects.requireNonNull(random, "random");
    this.apply = Objects.requireNonNull(apply, "apply");
    this.activation = store.refreshInterval().multipliedBy(3);
  }

  /** Whether several servers share the ring (the store has a refresh interval). */
  boolean shared() {
    return !activation.isZero();
  }

  /** Loads the saved ring (rotating first if it is empty or its newest key is due) and applies it. */
  synchronized List<TicketKey> open() throws IOException {
    List<TicketKey> loaded = store.load();
    if (loaded.isEmpty() || isDue(loaded.get(0))) {
      return rotate(loaded);
    }
    use(shared() ? loaded : trim(loaded));
    return keys;
  }

  /** Re-reads a shared ring and applies it, also when a pending key became the encrypting one. */
  synchronized void refresh() throws IOException {
    if (shared()) {
      List<TicketKey> loaded = store.load();
      use(loaded.isEmpty() ? keys : loaded);
    }
  }

  /** Rotates now, whatever the age of the newest key. */
  synchronized List<TicketKey> rotate() throws IOException {
    return rotate(shared() ? store.load() : keys);
  }

  /** Rotates when the newest key is at least one interval old; returns whether it did. */
  synchronized boolean rotateIfDue() throws IOException {
    List<TicketKey> current = shared() ? store.load() : keys;
    if (!current.isEmpty() && !isDue(current.get(0))) {
      if (shared()) {
        use(current);
      }
      return false;
    }
    rotate(current);
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

  /** The ring as saved, newest first. */
  List<TicketKey> keys() {
    return keys;
  }

  /** The key new tickets are encrypted with. */
  TicketKey encryptingKey() {
    List<TicketKey> a = applied;
    return a.isEmpty() ? null : a.get(0);
  }

  private List<TicketKey> rotate(List<TicketKey> current) throws IOException {
    List<TicketKey> next = new ArrayList<>(retained + 2);
    next.add(TicketKey.generate(random, clock.instant()));
    next.addAll(current.subList(0, Math.min(shared() ? retained + 1 : retained, current.size())));
    List<TicketKey> ring = List.copyOf(next);
    if (!shared()) {
      store.save(ring);
    } else if (!store.replace(current, ring)) {
      // Another server changed the ring meanwhile (it rotated too): adopt its ring.
      List<TicketKey> theirs = store.load();
      use(theirs.isEmpty() ? keys : theirs);
      return keys;
    }
    use(ring);
    return ring;
  }

  /** Makes {@code ring} current and gives it to the TLS engine, encrypting key first. */
  private void use(List<TicketKey> ring) {
    List<TicketKey> ordered = shared() ? encryptingFirst(ring) : ring;
    keys = List.copyOf(ring);
    if (!ordered.equals(applied)) {
      applied = ordered;
      apply.accept(ordered);
    }
  }

  /**
   * The newest key that every server has had time to read encrypts; while none has (a brand new
   * ring), the oldest key does.
   */
  private List<TicketKey> encryptingFirst(List<TicketKey> ring) {
    if (ring.isEmpty()) {
      return ring;
    }
    Instant now = clock.instant();
    int encrypting = ring.size() - 1;
    for (int i = 0; i < ring.size(); i++) {
      if (!ring.get(i).createdAt().plus(activation).isAfter(now)) {
        encrypting = i;
        break;
      }
    }
    List<TicketKey> ordered = new ArrayList<>(ring.size());
    ordered.add(ring.get(encrypting));
    for (int i = 0; i < ring.size(); i++) {
      if (i != encrypting) {
        ordered.add(ring.get(i));
      }
    }
    return List.copyOf(ordered);
  }

  private List<TicketKey> trim(List<TicketKey> ring) {
    return List.copyOf(ring.subList(0, Math.min(retained + 1, ring.size())));
  }

  private boolean isDue(TicketKey newest) {
    Instant due = newest.createdAt().plus(interval);
    return !clock.instant().isBefore(due);
  }
}
