package dev.lifeline;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Where the server keeps its ring of TLS session ticket keys, so that tickets stay valid across a
 * restart and, with a shared implementation, across the nodes of a cluster.
 *
 * <p>The ring is an ordered list, newest key first: the first key encrypts new tickets, every key
 * in the list still decrypts. The server loads the ring at start, and on every rotation saves the
 * new ring as a whole. Implementations must make {@link #save} atomic (a reader sees the old or the
 * new ring, never a mix) and must protect the material: anyone holding it can decrypt the tickets.
 *
 * <pre>{@code
 * TicketKeyStore store = new FileTicketKeyStore(dataDir.resolve("tls/ticket-keys"));
 * ServerTlsConfig config = ServerTlsConfig.builder()
 *     .certificate(chainPem, keyPem)
 *     .ticketKeyStore(store)
 *     .build();
 * }</pre>
 */
public interface TicketKeyStore {
  /** The saved ring, newest first; an empty list when nothing was saved yet. */
  List<TicketKey> load() throws IOException;

  /** Replaces the saved ring with {@code ring} (newest first, never empty). */
  void save(List<TicketKey> ring) throws IOException;

  /**
   * How often a server re-reads the ring to pick up keys that other servers added; {@link
   * Duration#ZERO} (the default) for a store that only this server writes.
   *
   * <p>A store shared by several servers returns a positive interval. Each server then re-reads
   * the ring that often, rotates through {@link #replace} so that only one server adds a key,
   * and treats a new key as decrypt-only until three intervals after its creation, when every
   * server has read it: only then does it encrypt with it. So a rotation never sends a client to
   * a server that cannot decrypt its ticket.
   */
  default Duration refreshInterval() {
    return Duration.ZERO;
  }

  /**
   * Saves {@code ring} only if the saved ring still equals {@code expected} (empty: nothing
   * saved); returns whether it did. The default compares and saves under this object's lock,
   * which is atomic within one process only; a shared store overrides it with an atomic
   * operation of its own.
   */
  default boolean replace(List<TicketKey> expected, List<TicketKey> ring) throws IOException {
    synchronized (this) {
      if (!load().equals(expected)) {
        return false;
      }
      save(ring);
      return true;
    }
  }

  /**
   * A store that keeps the ring in memory only: tickets survive a key rotation but not a restart.
   * Useful for tests and for servers that must not write to disk.
   */
  static TicketKeyStore inMemory() {
    return new TicketKeyStore() {
      private final List<TicketKey> ring = new CopyOnWriteArrayList<>();

      @Override
      public List<TicketKey> load() {
        return List.copyOf(ring);
      }

      @Override
      public synchronized void save(List<TicketKey> newRing) {
        ring.clear();
        ring.addAll(newRing);
      }

      @Override
      public String toString() {
        return "TicketKeyStore.inMemory()";
      }
    };
  }
}
