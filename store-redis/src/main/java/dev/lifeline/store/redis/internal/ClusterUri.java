package dev.lifeline.store.redis.internal;

import io.lettuce.core.RedisURI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A Redis Cluster's seed nodes: {@code redis-cluster://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]}
 * ({@code rediss-cluster://} for TLS to every node). The client learns the rest of the cluster
 * from whichever seed answers, so a few primaries are enough. No database number: a cluster has
 * only database 0.
 */
record ClusterUri(List<RedisURI> seeds, String hosts) {
  static final String FORM = "redis-cluster://[[USER]:PASSWORD@]HOST:PORT[,HOST:PORT...]";
  private static final String PLAIN = "redis-cluster://";
  private static final String TLS = "rediss-cluster://";

  static boolean isCluster(String uri) {
    return uri.startsWith(PLAIN) || uri.startsWith(TLS);
  }

  static ClusterUri parse(String uri) {
    boolean tls = uri.startsWith(TLS);
    String rest = uri.substring(tls ? TLS.length() : PLAIN.length());
    String user = null;
    String password = null;
    int at = rest.lastIndexOf('@');
    if (at >= 0) {
      String credentials = rest.substring(0, at);
      rest = rest.substring(at + 1);
      int colon = credentials.indexOf(':');
      if (colon < 0) {
        throw invalid(uri, "credentials must be [USER]:PASSWORD");
      }
      user = colon == 0 ? null : decode(credentials.substring(0, colon));
      password = decode(credentials.substring(colon + 1));
    }
    if (rest.endsWith("/")) {
      rest = rest.substring(0, rest.length() - 1);
    }
    if (rest.contains("/") || rest.contains("?")) {
      throw invalid(uri, "no database or options after the nodes (a cluster has database 0 "
          + "only)");
    }
    List<RedisURI> seeds = new ArrayList<>();
    List<String> hosts = new ArrayList<>();
    for (String hostPort : rest.split(",", -1)) {
      int colon = hostPort.lastIndexOf(':');
      if (colon <= 0 || colon == hostPort.length() - 1) {
        throw invalid(uri, "'" + hostPort + "' is not HOST:PORT");
      }
      String host = hostPort.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1); // IPv6 literal
      }
      int port;
      try {
        port = Integer.parseInt(hostPort.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535 || host.isEmpty()) {
        throw invalid(uri, "'" + hostPort + "' is not HOST:PORT");
      }
      RedisURI.Builder b = RedisURI.builder().withHost(host).withPort(port).withSsl(tls);
      if (password != null && user == null) {
        b.withPassword(password.toCharArray());
      } else if (password != null) {
        b.withAuthentication(user, password.toCharArray());
      }
      seeds.add(b.build());
      hosts.add(hostPort);
    }
    return new ClusterUri(List.copyOf(seeds), String.join(",", hosts));
  }

  private static String decode(String s) {
    // Percent-escapes only: a '+' in a password is a plus, not a space.
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static IllegalArgumentException invalid(String uri, String why) {
    // The URI may hold a password: name only its form.
    return new IllegalArgumentException("Redis Cluster URI is not valid: " + why
        + " (expected: " + FORM + ")");
  }
}
