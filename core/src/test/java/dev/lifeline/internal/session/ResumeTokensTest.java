package dev.lifeline.internal.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.internal.session.ResumeTokens.Match;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ResumeTokensTest {
  private final ResumeTokens tokens = new ResumeTokens(new SecureRandom());

  @Test
  void idsAndTokensAreRandomAndOfTheDocumentedSize() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String id = tokens.newSessionId();
      assertTrue(id.matches("[A-Za-z0-9_-]{22}"), id);
      assertTrue(ids.add(id));
    }
    assertEquals(32, tokens.newToken().length);
    assertFalse(Arrays.equals(tokens.newToken(), tokens.newToken()));
  }

  /**
   * Secrets already in a store were written with {@code MessageDigest.getInstance("SHA-256")}
   * per hash: the cloned prototype must give the same bytes, for the FIPS 180-2 vector and for
   * random tokens hashed from several threads at once.
   */
  @Test
  void hashIsPlainSha256FromEveryThread() throws Exception {
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HexFormat.of().formatHex(
            ResumeTokens.hash("abc".getBytes(StandardCharsets.US_ASCII))));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(pool.submit(() -> {
          int checked = 0;
          for (int i = 0; i < 2000; i++) {
            byte[] token = tokens.newToken();
            byte[] expected = MessageDigest.getInstance("SHA-256").digest(token);
            assertArrayEquals(expected, ResumeTokens.hash(token));
            checked++;
          }
          return checked;
        }));
      }
      for (Future<Integer> run : runs) {
        assertEquals(2000, run.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theSecretHoldsHashesNeverTheToken() {
    byte[] token = tokens.newToken();
    byte[] secret = ResumeTokens.initialSecret(token);
    assertEquals(96, secret.length);
    assertArrayEquals(ResumeTokens.hash(token), Arrays.copyOfRange(secret, 0, 32));
    for (int i = 0; i + 32 <= secret.length; i++) {
      assertFalse(Arrays.equals(token, Arrays.copyOfRange(secret, i, i + 32)));
    }
    assertArrayEquals(new byte[64], Arrays.copyOfRange(secret, 32, 96), "pending, retired empty");
  }

  @Test
  void resumeMakesTheOldTokenPendingUntilConfirmThenRetired() {
    byte[] t1 = tokens.newToken();
    byte[] t2 = tokens.newToken();
    byte[] t3 = tokens.newToken();
    byte[] secret = ResumeTokens.initialSecret(t1);
    assertEquals(Match.CURRENT, ResumeTokens.match(secret, t1));
    assertEquals(Match.NONE, ResumeTokens.match(secret, t2));

    secret = ResumeTokens.afterResume(secret, Match.CURRENT, t1, t2);
    assertEquals(Match.CURRENT, ResumeTokens.match(secret, t2));
    assertEquals(Match.PENDING, ResumeTokens.match(secret, t1), "a cut before RESUMED arrives");

    // The client never got t2 and resumes again with t1: t2 is forgotten, t1 stays pending.
    secret = ResumeTokens.afterResume(secret, Match.PENDING, t1, t3);
    assertEquals(Match.CURRENT, ResumeTokens.match(secret, t3));
    assertEquals(Match.PENDING, ResumeTokens.match(secret, t1));
    assertEquals(Match.NONE, ResumeTokens.match(secret, t2));

    secret = ResumeTokens.afterConfirm(secret);
    assertEquals(Match.CURRENT, ResumeTokens.match(secret, t3));
    assertEquals(Match.RETIRED, ResumeTokens.match(secret, t1));
    assertArrayEquals(secret, ResumeTokens.afterConfirm(secret), "confirm twice changes nothing");
  }

  @Test
  void resumeWithTheCurrentTokenBeforeConfirmRetiresThePendingOne() {
    byte[] t1 = tokens.newToken();
    byte[] t2 = tokens.newToken();
    byte[] t3 = tokens.newToken();
    byte[] secret = ResumeTokens.afterResume(ResumeTokens.initialSecret(t1), Match.CURRENT, t1, t2);
    // The client stored t2 but its CONFIRM was lost with the connection; it resumes with t2.
    secret = ResumeTokens.afterResume(secret, Match.CURRENT, t2, t3);
    assertEquals(Match.CURRENT, ResumeTokens.match(secret, t3));
    assertEquals(Match.PENDING, ResumeTokens.match(secret, t2));
    assertEquals(Match.RETIRED, ResumeTokens.match(secret, t1));
  }

  @Test
  void refusalCodes() {
    assertEquals(ErrorCode.TOKEN_REUSED, Match.RETIRED.refusal());
    assertEquals(ErrorCode.INVALID_TOKEN, Match.NONE.refusal());
  }

  @Test
  void emptySlotsNeverMatchAndMalformedSecretsMatchNothing() {
    byte[] t1 = tokens.newToken();
    byte[] secret = ResumeTokens.initialSecret(t1);
    // A token whose hash is all zeros cannot be found, but no token can match an empty slot.
    assertEquals(Match.NONE, ResumeTokens.match(secret, new byte[32]));
    assertEquals(Match.NONE, ResumeTokens.match(new byte[10], t1));
    assertNotEquals(Match.CURRENT, ResumeTokens.match(new byte[96], t1));
  }
}
