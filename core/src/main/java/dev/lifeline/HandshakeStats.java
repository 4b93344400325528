package dev.lifeline;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Thread-safe counters of full, resumed and failed TLS handshakes per side. Pass it wherever a
 * {@link HandshakeListener} is accepted; read it at any time with {@link #snapshot()}.
 *
 * <pre>{@code
 * HandshakeStats stats = new HandshakeStats();
 * // ... connections come and go ...
 * HandshakeStats.Snapshot s = stats.snapshot();
 * double resumedShare = (double) s.resumed(Side.SERVER) / (s.full(Side.SERVER) + s.resumed(Side.SERVER));
 * }</pre>
 */
public final class HandshakeStats implements HandshakeListener {
  private final Map<HandshakeEvent.Side, Counters> counters =
      new EnumMap<>(HandshakeEvent.Side.class);

  public HandshakeStats() {
    for (HandshakeEvent.Side side : HandshakeEvent.Side.values()) {
      counters.put(side, new Counters());
    }
  }

  @Override
  public void handshakeCompleted(HandshakeEvent event) {
    Counters c = counters.get(event.side());
    if (!event.succeeded()) {
      c.failed.increment();
    } else if (event.resumed()) {
      c.resumed.increment();
    } else {
      c.full.increment();
    }
  }

  /** The counters at this moment; each value is exact, the set is not one atomic cut. */
  public Snapshot snapshot() {
    Counters client = counters.get(HandshakeEvent.Side.CLIENT);
    Counters server = counters.get(HandshakeEvent.Side.SERVER);
    return new Snapshot(
        new long[] {client.full.sum(), client.resumed.sum(), client.failed.sum()},
        new long[] {server.full.sum(), server.resumed.sum(), server.failed.sum()});
  }

  @Override
  public String toString() {
    return snapshot().toString();
  }

  private static final class Counters {
    final LongAdder full = new LongAdder();
    final LongAdder resumed = new LongAdder();
    final LongAdder failed = new LongAdder();
  }

  /** Immutable counter values. */
  public static final class Snapshot {
    private final long[] client; // full, resumed, failed
    private final long[] server;

    private Snapshot(long[] client, long[] server) {
      this.client = client;
      this.server = server;
    }

    public long full(HandshakeEvent.Side side) {
      return of(side)[0];
    }

    public long resumed(HandshakeEvent.Side side) {
      return of(side)[1];
    }

    public long failed(HandshakeEvent.Side side) {
      return of(side)[2];
    }

    private long[] of(HandshakeEvent.Side side) {
      return side == HandshakeEvent.Side.CLIENT ? client : server;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Snapshot && java.util.Arrays.equals(client, ((Snapshot) o).client)
          && java.util.Arrays.equals(server, ((Snapshot) o).server);
    }

    @Override
    public int hashCode() {
      return 31 * java.util.Arrays.hashCode(client) + java.util.Arrays.hashCode(server);
    }

    @Override
    public String toString() {
      return "HandshakeStats{client: full=" + client[0] + " resumed=" + client[1]
          + " failed=" + client[2] + ", server: full=" + server[0] + " resumed=" + server[1]
          + " failed=" + server[2] + '}';
    }
  }
}
