package dev.lifeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code keyExchangeGroups}: names, spellings, order, and the checks at build time. */
class KeyExchangeGroupsConfigTest {
  private static final String KNOWN =
      "[X25519MLKEM768, x25519, secp256r1, secp384r1, secp521r1]";

  private final ServerTlsConfig.Builder server =
      ServerTlsConfig.builder().developmentCertificates(Path.of("/d"));
  private final ClientTlsConfig.Builder client =
      ClientTlsConfig.builder().trustedCa(Path.of("/ca.pem"));

  @Test
  void defaultIsTheProvidersOwnList() {
    assertEquals(List.of(), server.build().keyExchangeGroups());
    assertEquals(List.of(), client.build().keyExchangeGroups());
    assertTrue(!server.build().toString().contains("keyExchangeGroups"));
  }

  @Test
  void openSslAndRegistrySpellingsInAnyCaseBecomeRegistryNamesInOrder() {
    assertEquals(List.of("x25519", "secp256r1", "X25519MLKEM768", "secp384r1", "secp521r1"),
        server.keyExchangeGroups("X25519", "P-256", "x25519mlkem768", "secp384r1", "p-521")
            .build().keyExchangeGroups());
    assertEquals(List.of("secp256r1", "x25519"),
        client.keyExchangeGroups("prime256v1", "X25519", "secp256r1").build()
            .keyExchangeGroups(), "duplicates dropped, first position kept");
  }

  @Test
  void unknownEmptyOrNullNamesAreRefusedWithTheKnownOnes() {
    assertEquals("keyExchangeGroups: unknown group 'X448' (expected: some of " + KNOWN + ")",
        assertThrows(IllegalArgumentException.class,
            () -> server.keyExchangeGroups("x25519", "X448")).getMessage());
    assertEquals("keyExchangeGroups: unknown group '' (expected: some of " + KNOWN + ")",
        assertThrows(IllegalArgumentException.class, () -> client.keyExchangeGroups(""))
            .getMessage());
    assertEquals("keyExchangeGroups: none given (expected: at least one of " + KNOWN + ")",
        assertThrows(IllegalArgumentException.class, () -> server.keyExchangeGroups())
            .getMessage());
    assertEquals("keyExchangeGroups: unknown group 'null' (expected: some of " + KNOWN + ")",
        assertThrows(IllegalArgumentException.class,
            () -> client.keyExchangeGroups((String) null)).getMessage());
  }

  @Test
  void onlyPostQuantumGroupsNeedTls13Only() {
    String expected = "keyExchangeGroups: [X25519MLKEM768] has no group TLS 1.2 can use "
        + "(expected: also one of x25519, secp256r1, secp384r1, secp521r1, or "
        + "protocols(\"TLSv1.3\") only)";
    assertEquals(expected, assertThrows(IllegalStateException.class,
        () -> server.keyExchangeGroups("X25519MLKEM768").build()).getMessage());
    assertEquals(expected, assertThrows(IllegalStateException.class,
        () -> client.keyExchangeGroups("X25519MLKEM768").build()).getMessage());
    assertEquals(List.of("X25519MLKEM768"), server.keyExchangeGroups("X25519MLKEM768")
        .protocols("TLSv1.3").build().keyExchangeGroups());
  }

  @Test
  void valueSemantics() {
    ServerTlsConfig a = server.keyExchangeGroups("x25519").build();
    assertEquals(a, a.newBuilder().build());
    assertEquals(a.hashCode(), a.newBuilder().build().hashCode());
    assertNotEquals(a, a.newBuilder().keyExchangeGroups("x25519", "secp256r1").build());
    assertTrue(a.toString().contains("keyExchangeGroups=[x25519]"), a.toString());
    ClientTlsConfig c = client.keyExchangeGroups("P-384").build();
    assertEquals(c, c.newBuilder().build());
    assertNotEquals(c, client.keyExchangeGroups("P-256").build());
    assertTrue(c.toString().contains("keyExchangeGroups=[secp384r1]"), c.toString());
  }
}
