package dev.lifeline.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.Authenticator;
import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionRefusedException;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session caps refuse the excess with a CLOSE naming the cap, and give the place back when a
 * session ends: {@code maxSessionsPerIdentity} (one identity cannot take every session) and
 * {@code maxSessions} (the whole server).
 */
class SessionLimitsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final SessionHandler IGNORE = (session, seq, message) -> { };
  /** The credentials are the identity. */
  private static final Authenticator NAMES = (peer, credentials) -> new String(credentials, UTF_8);

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
    server = builder.authenticator(NAMES).refusalLimit(1000, 1000).start();
    tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
  }

  /** Opens a session as {@code user} on a connection the caller keeps. */
  private RawSessionClient openAs(String user) throws Exception {
    RawSessionClient c = RawSessionClient.connect(tls, server.port());
    c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, user.getBytes(UTF_8)));
    Frame answer = c.read();
    assertTrue(answer instanceof Frame.Opened, "opened: " + answer);
    return c;
  }

  private Frame.Close refusedOpen(String user) throws Exception {
    try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
      c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, user.getBytes(UTF_8)));
      Frame answer = c.read();
      assertTrue(answer instanceof Frame.Close, "refused: " + answer);
      return (Frame.Close) answer;
    }
  }

  @Test
  void oneIdentityCannotTakeMoreThanItsShare() throws Exception {
    start(Fixtures.server(dir, IGNORE).maxSessionsPerIdentity(2));
    try (RawSessionClient a1 = openAs("alice"); RawSessionClient a2 = openAs("alice")) {
      Frame.Close third = refusedOpen("alice");
      assertEquals(ErrorCode.TOO_MANY_SESSIONS_FOR_IDENTITY, third.code());
      assertTrue(third.reason().contains("maximum of 2"), third.reason());
      assertFalse(third.code().isResumable());
      try (RawSessionClient b = openAs("bob")) {
        assertEquals(3, server.sessionCount(), "other identities are not affected");
      }
      // Ending one of alice's sessions gives its place back.
      a1.send(new Frame.Close(ErrorCode.NORMAL, "done"));
      Awaitility.await().atMost(WAIT).until(() -> server.sessionCount() == 2);
      openAs("alice").close();
    }
  }

  @Test
  void theLibraryClientGetsAClearRefusal() throws Exception {
    start(Fixtures.server(dir, IGNORE).maxSessionsPerIdentity(1));
    try (LifelineClient client = Fixtures.client(dir, server.port())
        .credentials("carol".getBytes(UTF_8)).build()) {
      client.open("first", IGNORE).get(10, TimeUnit.SECONDS);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> client.open("second", IGNORE).get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof SessionRefusedException, e.toString());
      assertEquals(ErrorCode.TOO_MANY_SESSIONS_FOR_IDENTITY,
          ((SessionRefusedException) e.getCause()).code());
    }
  }

  @Test
  void theServerRefusesSessionsBeyondMaxSessions() throws Exception {
    start(Fixtures.server(dir, IGNORE).maxSessions(2));
    try (RawSessionClient a = openAs("alice"); RawSessionClient b = openAs("bob")) {
      Frame.Close third = refusedOpen("carol");
      assertEquals(ErrorCode.TOO_MANY_SESSIONS, third.code());
      assertTrue(third.code().isResumable(), "a client may try again later");
      b.send(new Frame.Close(ErrorCode.NORMAL, "done"));
      Awaitility.await().atMost(WAIT).until(() -> server.sessionCount() == 1);
      openAs("carol").close();
    }
  }
}
