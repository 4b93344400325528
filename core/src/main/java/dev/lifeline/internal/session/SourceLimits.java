package dev.lifeline.internal.session;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts, per source, the connections a server holds and how many of them have not finished
 * their TLS handshake, and refuses a new connection from a source that already holds {@code
 * maxConnections} connections or {@code maxHandshakes} unfinished handshakes. A source is an IPv4
 * address, or an IPv6 /64 prefix (one subscriber usually has a whole /64, so counting single IPv6
 * addresses would limit nothing).
 *
 * <p>A source is tracked only while it holds a connection: its entry goes when its last
 * connection closes, so memory is bounded by the number of open connections. Every change to a
 * source's counts happens atomically under that source's entry ({@link ConcurrentHashMap#compute}),
 * so concurrent accepts, handshake completions and closes never lose an update.
 */
final class SourceLimits {
  enum Verdict {
    ADMITTED, TOO_MANY_CONNECTIONS, TOO_MANY_HANDSHAKES
  }

  private static final class Counts {
    int connections;
    int handshakes;
  }

  private final int maxConnections;
  private final int maxHandshakes;
  private final ConcurrentHashMap<String, Counts> bySource = new ConcurrentHashMap<>();

  SourceLimits(int maxConnections, int maxHandshakes) {
    if (maxConnections < 1 || maxHandshakes < 1) {
      throw new IllegalArgumentException("per-source limits: " + maxConnections + ", "
          + maxHandshakes + " (expected: > 0)");
    }
    this.maxConnections = maxConnections;
    this.maxHandshakes = maxHandshakes;
  }

  /**
   * Counts a new connection from {@code source}, not yet through its handshake, unless that
   * would exceed a limit; then counts nothing and says which limit.
   */
  Verdict acquire(String source) {
    Verdict[] verdict = {Verdict.ADMITTED};
    bySource.compute(source, (key, c) -> {
      Counts counts = c == null ? new Counts() : c;
      if (counts.connections >= maxConnections) {
        verdict[0] = Verdict.TOO_MANY_CONNECTIONS;
      } else if (counts.handshakes >= maxHandshakes) {
        verdict[0] = Verdict.TOO_MANY_HANDSHAKES;
      } else {
        counts.connections++;
        counts.handshakes++;
      }
      return counts.connections == 0 ? null : counts;
    });
    return verdict[0];
  }

  /** One connection of {@code source} finished its handshake (either way). Call once, before {@link #closed}. */
  void handshakeDone(String source) {
    bySource.computeIfPresent(source, (key, c) -> {
      c.handshakes--;
      return c;
    });
  }

  /** One connection of {@code source} closed; its handshake must have been given back already. */
  void closed(String source) {
    bySource.computeIfPresent(source, (key, c) -> {
      c.connections--;
      return c.connections == 0 ? null : c;
    });
  }

  /** Connections {@code source} holds now. */
  int connections(String source) {
    Counts c = bySource.get(source);
    return c == null ? 0 : c.connections; // a racy read, for tests and status only
  }

  /** Unfinished handshakes {@code source} holds now. */
  int handshakes(String source) {
    Counts c = bySource.get(source);
    return c == null ? 0 : c.handshakes;
  }

  /** Sources holding at least one connection. */
  int sources() {
    return bySource.size();
  }

  /**
   * The source a remote address counts against: the IPv4 address, or the IPv6 address's /64
   * prefix written as {@code 2001:db8:1:2::/64}. (An IPv4-mapped IPv6 address reaches Java as an
   * IPv4 address already.)
   */
  static String of(SocketAddress remote) {
    if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return of(inet.getAddress());
    }
    return String.valueOf(remote);
  }

  /**
   * As {@link #of(SocketAddress)} for an address already written as text ({@link
   * InetAddress#getHostAddress()}); text that is not an IPv6 literal is returned as it is (an IPv6
   * literal is parsed without any name lookup).
   */
  static String ofHost(String host) {
    if (host.indexOf(':') < 0) {
      return host;
    }
    try {
      return of(InetAddress.getByName(host));
    } catch (java.net.UnknownHostException | SecurityException notALiteral) {
      return host;
    }
  }

  static String of(InetAddress address) {
    if (address instanceof Inet6Address) {
      byte[] b = address.getAddress();
      StringBuilder s = new StringBuilder(24);
      for (int i = 0; i < 8; i += 2) {
        s.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
      }
      return s.append(":/64").toString();
    }
    return address.getHostAddress();
  }
}
