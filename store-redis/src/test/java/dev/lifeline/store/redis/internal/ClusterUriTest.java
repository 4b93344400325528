package dev.lifeline.store.redis.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterUriTest {

  @Test
  void seedsWithoutCredentials() throws Exception {
    ClusterUri uri = ClusterUri.parse("redis-cluster://10.0.0.5:7001,10.0.0.6:7002");
    assertEquals(2, uri.seeds().size());
    assertEquals("10.0.0.5", uri.seeds().get(0).getHost());
    assertEquals(7002, uri.seeds().get(1).getPort());
    assertFalse(uri.seeds().get(0).isSsl());
    assertEquals("10.0.0.5:7001,10.0.0.6:7002", uri.hosts());
  }

  @Test
  void passwordUserTlsAndIpv6() throws Exception {
    ClusterUri uri = ClusterUri.parse("rediss-cluster://app:s%40cr+t@[::1]:7001");
    RedisURI seed = uri.seeds().get(0);
    assertTrue(seed.isSsl());
    assertEquals("::1", seed.getHost());
    RedisCredentials credentials = credentials(seed);
    assertEquals("app", credentials.getUsername());
    assertEquals("s@cr+t", new String(credentials.getPassword()));
    assertFalse(uri.hosts().contains("s@cr"), "the password is never shown");

    RedisURI passwordOnly = ClusterUri.parse("redis-cluster://:pw@h:1").seeds().get(0);
    assertEquals("pw", new String(credentials(passwordOnly).getPassword()));
    assertFalse(credentials(passwordOnly).hasUsername());
  }

  private static RedisCredentials credentials(RedisURI uri) {
    return uri.getCredentialsProvider().resolveCredentials().block();
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis-cluster://", "redis-cluster://h", "redis-cluster://h:",
      "redis-cluster://h:0", "redis-cluster://h:70000", "redis-cluster://h:1,",
      "redis-cluster://:1", "redis-cluster://h:1/0", "redis-cluster://h:x",
      "redis-cluster://secret@h:1"})
  void malformedUrisAreRefusedWithoutEchoingThem(String bad) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisLink.checkUri(bad));
    assertTrue(e.getMessage().contains(ClusterUri.FORM), e.getMessage());
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://h:1", "redis//h:1", "file", "redis://:secret@h:port"})
  void malformedSingleUrisAreRefusedWithoutEchoingThem(String bad) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisLink.checkUri(bad));
    assertTrue(e.getMessage().contains("redis://"), e.getMessage());
    assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }

  @Test
  void onlyTheClusterSchemesAreClusters() {
    assertTrue(ClusterUri.isCluster("redis-cluster://h:1"));
    assertTrue(ClusterUri.isCluster("rediss-cluster://h:1"));
    assertFalse(ClusterUri.isCluster("redis://h:1"));
  }
}
