package dev.lifeline.internal.session;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lifeline.Authenticator;
import dev.lifeline.ErrorCode;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDecoder;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.store.InMemoryCheckpointStore;
import dev.lifeline.store.SessionRecord;
import dev.lifeline.testing.RecordingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Feeds arbitrary bytes, as a client would after the TLS handshake, into the server's real
 * connection pipeline (frame decoder with the handshake-phase limit, {@link
 * ServerConnectionHandler}, {@link ServerSessions} over an in-memory store) on an {@link
 * EmbeddedChannel}. The server holds two sessions a client may try to resume: A is live with three
 * unacknowledged messages in its replay buffer, B was restored from the store (its replay buffer
 * gone), so fuzzed stream states reach both branches of {@link ResumePlan}.
 *
 * <p>Random bytes cannot guess a session id or a 256-bit token, so the input may name them with
 * placeholders: the session ids {@code AAAA…} and {@code BBBB…} (22 characters) and the tokens
 * {@code 07×32} and {@code 08×32} are replaced by A's and B's real ones before the bytes are fed.
 *
 * <p>Whatever the bytes, the server: lets no exception escape the pipeline; answers with HELLO
 * first, then only session frames, and any CLOSE it sends carries a specific error code, never
 * INTERNAL_ERROR nor STORE_UNAVAILABLE (the store is healthy); changes a session's stored secret only when it answers RESUMED, and then the
 * token it sent is the one the secret accepts; never asks the allocator for more than the frame
 * limit plus one chunk; releases every buffer.
 *
 * <p>Input layout: byte 0 picks the chunk size, the rest is the client's byte stream.
 */
class ResumeExchangeFuzzTest {

  static {
    // Fuzzing runs thousands of inputs a second; one INFO line each would be most of the cost.
    if (System.getenv("JAZZER_FUZZ") != null) {
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.lifeline"))
          .setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }
  static final byte[] TOKEN_A = filled(32, 7);
  static final byte[] TOKEN_B = filled(32, 8);
  static final String ID_A = "A".repeat(22);
  static final String ID_B = "B".repeat(22);
  static final int MAX_MESSAGE = 64 * 1024;

  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fuzz-timer");
        t.setDaemon(true);
        return t;
      });

  /** A server with sessions A and B, and the real ids and tokens of both. */
  static final class Server {
    final InMemoryCheckpointStore store = InMemoryCheckpointStore.builder().build();
    final ServerSessions sessions;
    final String idA;
    final byte[] tokenA;
    final String idB = "restored-session-b-001";
    final byte[] tokenB;
    final EmbeddedChannel previousA;

    Server() throws Exception {
      SecureRandom random;
      try {
        random = SecureRandom.getInstance("SHA1PRNG");
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
      random.setSeed(42);
      SessionConfig config = new SessionConfig(MAX_MESSAGE, 1 << 20, 1 << 20, Runnable::run,
          TIMER);
      SessionHandler app = (session, seq, message) -> { };
      sessions = new ServerSessions(store, config, app, new ResumeTokens(random),
          Clock.systemUTC(), 16, new RefusalLimiter(1000, 1000, System::nanoTime),
          Authenticator.DEFAULT, dev.lifeline.ServerEventListener.NONE);
      Authenticator.Peer peer = new Authenticator.Peer("127.0.0.1:1", null);
      ServerSessions.Admission a =
          sessions.open(peer, new Frame.Open(FrameDescriptor.dataFrameLength(MAX_MESSAGE),
              new byte[0])).get();
      idA = a.session().id();
      tokenA = a.token();
      previousA = new EmbeddedChannel();
      ServerSessions.attach(previousA, a, false);
      for (int i = 0; i < 3; i++) {
        assertNotNull(a.session().trySend(("message " + i).getBytes(US_ASCII)));
      }
      previousA.runPendingTasks();
      drain(previousA);
      previousA.close();

      tokenB = filled(32, 0x5b);
      String identity = ((ServerPersistence) a.session().persistence()).record().identity();
      store.put(SessionRecord.builder(idB).secret(ResumeTokens.initialSecret(tokenB))
          .identity(identity).createdAtMillis(System.currentTimeMillis())
          .lastActiveMillis(System.currentTimeMillis())
          .checkpoint(Checkpoint.of(5, "five".getBytes(US_ASCII))).build()).get();
    }

    byte[] secret(String id) throws Exception {
      return store.load(id).get().orElseThrow().secret();
    }
  }

  @FuzzTest
  void clientBytes(byte[] input) throws Exception {
    if (input.length < 1) {
      return;
    }
    int chunk = 1 + (input[0] & 0xff) * 64;
    Server server = new Server();
    byte[] wire = substitute(Arrays.copyOfRange(input, 1, input.length), server);
    byte[] secretA = server.secret(server.idA);
    byte[] secretB = server.secret(server.idB);

    RecordingAllocator alloc = new RecordingAllocator();
    EmbeddedChannel ch = new EmbeddedChannel(
        new FrameDecoder(FrameDescriptor.MAX_CONTROL_FRAME_SIZE),
        new ServerConnectionHandler(server.sessions, FrameDescriptor.dataFrameLength(MAX_MESSAGE),
            "fuzz"));
    ch.config().setAllocator(alloc);
    ch.pipeline().fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
    List<Frame> out = new ArrayList<>();
    List<ByteBuf> given = new ArrayList<>();
    try {
      out.addAll(drain(ch));
      for (int fed = 0; fed < wire.length && ch.isOpen(); fed += chunk) {
        ByteBuf b = alloc.buffer(chunk).writeBytes(wire, fed, Math.min(chunk, wire.length - fed));
        given.add(b);
        ch.writeInbound(b);
        ch.runPendingTasks();
        out.addAll(drain(ch));
        long bound = 2L * (FrameDescriptor.LENGTH_FIELD_BYTES
            + FrameDescriptor.dataFrameLength(MAX_MESSAGE) + chunk);
        assertTrue(alloc.largest() <= bound, "allocator asked for " + alloc.largest());
      }
      ch.runPendingTasks();
      out.addAll(drain(ch));
      ch.checkException();
    } finally {
      ch.finishAndReleaseAll();
      server.previousA.finishAndReleaseAll();
      out.forEach(Frame::release);
    }
    for (ByteBuf b : given) {
      assertEquals(0, b.refCnt(), "input buffer not released");
    }
    checkAnswers(out, server, secretA, secretB);
  }

  private static void checkAnswers(List<Frame> out, Server server, byte[] secretA,
      byte[] secretB) throws Exception {
    assertTrue(!out.isEmpty() && out.get(0) instanceof Frame.Hello, "HELLO first: " + out);
    byte[] resumedToken = null;
    for (Frame f : out.subList(1, out.size())) {
      if (f instanceof Frame.Close c) {
        // The in-memory store is healthy: STORE_UNAVAILABLE would blame it for bad input.
        assertNotEquals(ErrorCode.INTERNAL_ERROR, c.code(), c.reason());
        assertNotEquals(ErrorCode.STORE_UNAVAILABLE, c.code(), c.reason());
      } else if (f instanceof Frame.Resumed r) {
        resumedToken = r.newToken();
      } else if (f instanceof Frame.Hello) {
        fail("second HELLO");
      }
    }
    checkSecret(server, server.idA, secretA, resumedToken);
    checkSecret(server, server.idB, secretB, resumedToken);
  }

  /** A refused attempt leaves the secret alone; an accepted one makes the sent token current. */
  private static void checkSecret(Server server, String id, byte[] before, byte[] resumedToken)
      throws Exception {
    byte[] after = server.secret(id);
    if (Arrays.equals(before, after)) {
      return;
    }
    assertNotNull(resumedToken, "secret of " + id + " changed without a RESUMED answer");
    assertEquals(ResumeTokens.Match.CURRENT, ResumeTokens.match(after, resumedToken),
        "the token sent in RESUMED does not open " + id);
  }

  static List<Frame> drain(EmbeddedChannel ch) {
    ch.runPendingTasks();
    List<Frame> frames = new ArrayList<>();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      frames.add((Frame) o);
    }
    return frames;
  }

  /** Replaces the placeholder ids and tokens by the server's real ones (same lengths). */
  static byte[] substitute(byte[] wire, Server server) {
    replace(wire, ID_A.getBytes(US_ASCII), server.idA.getBytes(US_ASCII));
    replace(wire, ID_B.getBytes(US_ASCII), Arrays.copyOf(server.idB.getBytes(US_ASCII), 22));
    replace(wire, TOKEN_A, server.tokenA);
    replace(wire, TOKEN_B, server.tokenB);
    return wire;
  }

  private static void replace(byte[] in, byte[] what, byte[] with) {
    if (what.length != with.length) {
      return;
    }
    outer:
    for (int i = 0; i + what.length <= in.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (in[i + j] != what[j]) {
          continue outer;
        }
      }
      System.arraycopy(with, 0, in, i, with.length);
      i += what.length - 1;
    }
  }

  static byte[] filled(int n, int v) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) v);
    return b;
  }
}
