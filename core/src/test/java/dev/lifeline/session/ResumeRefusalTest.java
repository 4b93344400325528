package dev.lifeline.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.Authenticator;
import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineServer;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.store.InMemoryCheckpointStore;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a resume can be refused gets its own code in the CLOSE frame, sent to a hand-written
 * client that forges RESUME frames; a refusal never burns the rightful owner's token.
 */
class ResumeRefusalTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final SessionHandler IGNORE = (session, seq, message) -> { };
  private static final SecureRandom RANDOM = new SecureRandom();

  /** "alice" and "bob" are users; no credentials is the anonymous identity; anything else fails. */
  private static final Authenticator USERS = (peer, credentials) -> {
    String name = new String(credentials, UTF_8);
    return switch (name) {
      case "", "alice", "bob" -> name;
      default -> throw new Authenticator.AuthenticationException("unknown user " + name);
    };
  };

  @TempDir Path dir;
  private LifelineServer server;
  private SSLContext tls;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private void start(LifelineServer.Builder builder) throws Exception {
    server = builder.start();
    tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
  }

  private void start() throws Exception {
    start(Fixtures.server(dir, IGNORE).authenticator(USERS).refusalLimit(1000, 1000));
  }

  private RawSessionClient connect() throws Exception {
    return RawSessionClient.connect(tls, server.port());
  }

  /** Opens a session as {@code user} and drops the connection; the session waits for a resume. */
  private Frame.Opened open(String user) throws Exception {
    try (RawSessionClient c = connect()) {
      c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, user.getBytes(UTF_8)));
      return c.await(Frame.Opened.class, WAIT);
    }
  }

  private static Frame.Resume resume(String id, byte[] token, String user) {
    return new Frame.Resume(id, token, user.getBytes(UTF_8),
        new Frame.StreamState(0, 0, new byte[0], 1));
  }

  /** Sends {@code resume} on a new connection and returns the CLOSE that must answer it. */
  private Frame.Close refused(Frame.Resume resume) throws Exception {
    try (RawSessionClient c = connect()) {
      c.send(resume);
      Frame answer = c.read();
      if (!(answer instanceof Frame.Close close)) {
        throw new AssertionError("expected CLOSE, got " + answer);
      }
      assertTrue(c.closedByServer(), "the server closes the connection after refusing");
      return close;
    }
  }

  /** Resumes on a new connection, optionally confirms, and returns the new token. */
  private byte[] resumed(Frame.Resume resume, boolean confirm) throws Exception {
    try (RawSessionClient c = connect()) {
      c.send(resume);
      Frame.Resumed r = c.await(Frame.Resumed.class, WAIT);
      if (confirm) {
        c.send(new Frame.Confirm());
        c.send(new Frame.Ping(99)); // the PONG proves the CONFIRM before it was processed
        assertEquals(99, c.await(Frame.Pong.class, WAIT).opaque());
      }
      return r.newToken();
    }
  }

  private static byte[] randomToken() {
    byte[] t = new byte[FrameDescriptor.TOKEN_BYTES];
    RANDOM.nextBytes(t);
    return t;
  }

  @Test
  void madeUpSessionIsUnknown() throws Exception {
    start();
    Frame.Close close = refused(resume("madeUpSession0000000000", randomToken(), ""));
    assertEquals(ErrorCode.UNKNOWN_SESSION, close.code());
    assertTrue(close.reason().contains("madeUpSession0000000000"), close.reason());
  }

  @Test
  void wrongTokenIsInvalidAndDoesNotBurnTheRightOne() throws Exception {
    start();
    Frame.Opened opened = open("");
    Frame.Close close = refused(resume(opened.sessionId(), randomToken(), ""));
    assertEquals(ErrorCode.INVALID_TOKEN, close.code());
    assertTrue(close.reason().contains("does not match"), close.reason());
    resumed(resume(opened.sessionId(), opened.token(), ""), true);
  }

  @Test
  void tokenReplacedByAConfirmedResumeIsReused() throws Exception {
    start();
    Frame.Opened opened = open("");
    byte[] second = resumed(resume(opened.sessionId(), opened.token(), ""), true);
    assertFalse(Arrays.equals(opened.token(), second), "every resume issues a fresh token");

    Frame.Close close = refused(resume(opened.sessionId(), opened.token(), ""));
    assertEquals(ErrorCode.TOKEN_REUSED, close.code());
    assertTrue(close.reason().contains("already used"), close.reason());
    resumed(resume(opened.sessionId(), second, ""), true);
  }

  @Test
  void withoutConfirmThePresentedTokenStaysPendingForACutMidResume() throws Exception {
    start();
    Frame.Opened opened = open("");
    String id = opened.sessionId();
    // RESUMED is "lost": the client never stores the second token and tries again with the first.
    byte[] lost = resumed(resume(id, opened.token(), ""), false);
    byte[] third = resumed(resume(id, opened.token(), ""), true);
    assertEquals(ErrorCode.INVALID_TOKEN, refused(resume(id, lost, "")).code(),
        "a token the client never confirmed is forgotten once another resume succeeded");
    assertEquals(ErrorCode.TOKEN_REUSED, refused(resume(id, opened.token(), "")).code());
    resumed(resume(id, third, ""), true);
  }

  @Test
  void rightTokenFromAnotherIdentityIsForeign() throws Exception {
    start();
    Frame.Opened alices = open("alice");
    Frame.Close byBob = refused(resume(alices.sessionId(), alices.token(), "bob"));
    assertEquals(ErrorCode.FOREIGN_SESSION, byBob.code());
    assertTrue(byBob.reason().contains("another identity"), byBob.reason());
    assertFalse(byBob.reason().contains("alice"), "the owner is not revealed: " + byBob.reason());
    assertEquals(ErrorCode.FOREIGN_SESSION,
        refused(resume(alices.sessionId(), alices.token(), "")).code(), "anonymous is not alice");
    assertEquals(ErrorCode.AUTHENTICATION_FAILED,
        refused(resume(alices.sessionId(), alices.token(), "mallory")).code());
    resumed(resume(alices.sessionId(), alices.token(), "alice"), true);
  }

  @Test
  void sessionRemovedByTheExpirySweepIsExpired() throws Exception {
    MovableClock clock = new MovableClock();
    List<String> expired = new CopyOnWriteArrayList<>();
    start(Fixtures.server(dir, IGNORE)
        .store(InMemoryCheckpointStore.builder().ttl(Duration.ofMinutes(10)).clock(clock).build())
        .clock(clock)
        .sweepInterval(Duration.ofMillis(20))
        .onSessionExpired(expired::add)
        .refusalLimit(1000, 1000));
    Frame.Opened opened = open("");
    // The sweep keeps connected sessions alive, so keep moving time until the server noticed the
    // connection is gone and the sweep removed the session.
    Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
      clock.advance(Duration.ofMinutes(11));
      return expired.contains(opened.sessionId());
    });
    Frame.Close close = refused(resume(opened.sessionId(), opened.token(), ""));
    assertEquals(ErrorCode.EXPIRED_SESSION, close.code());
    assertTrue(close.reason().contains("expired"), close.reason());
    assertEquals(0, server.sessionCount());
  }

  @Test
  void aBurstOfForgedResumesFromOneSourceIsRateLimited() throws Exception {
    start(Fixtures.server(dir, IGNORE).refusalLimit(3, 0.01));
    for (int i = 0; i < 3; i++) {
      assertEquals(ErrorCode.UNKNOWN_SESSION,
          refused(resume("forged" + i, randomToken(), "")).code(), "attempt " + i);
    }
    Frame.Close limited = refused(resume("forged3", randomToken(), ""));
    assertEquals(ErrorCode.RATE_LIMITED, limited.code());
    assertTrue(limited.reason().contains("retry later"), limited.reason());
    assertTrue(limited.code().isResumable(), "a rate-limited client may come back later");
    // Told once, the source's further connections in that second are closed at accept, before
    // the TLS handshake, at the cost of an accept.
    long before = server.refusedConnections();
    assertThrows(java.io.IOException.class, this::connect, "no handshake for a limited source");
    assertEquals(before + 1, server.refusedConnections());
    // A second later it is told again, even for a new session: refused before any lookup.
    Thread.sleep(1_050);
    try (RawSessionClient c = connect()) {
      c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
      assertEquals(ErrorCode.RATE_LIMITED, c.await(Frame.Close.class, WAIT).code());
    }
  }

  /** A clock that moves only when told to. */
  static final class MovableClock extends Clock {
    private final AtomicLong millis = new AtomicLong(Instant.parse("2030-01-01T00:00:00Z").toEpochMilli());

    void advance(Duration d) {
      millis.addAndGet(d.toMillis());
    }

    @Override
    public long millis() {
      return millis.get();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("withZone");
    }
  }
}
