package dev.lifeline.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerEventListener;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionInfo;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server tells a {@link ServerEventListener} about opens, disconnects, resumes and refusals,
 * and {@link LifelineServer#sessions()} shows the live sessions; a listener that throws changes
 * nothing for the clients.
 */
class ServerEventsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir Path dir;

  @Test
  void eventsFollowASessionThroughACutAndARefusal() throws Exception {
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    ServerEventListener recorder = new ServerEventListener() {
      @Override
      public void sessionOpened(String sessionId, String identity) {
        events.add("opened " + sessionId);
      }

      @Override
      public void resumeSucceeded(String sessionId, long latencyNanos) {
        events.add("resumed " + sessionId + (latencyNanos >= 0 ? "" : " negative latency"));
      }

      @Override
      public void resumeRefused(String sessionId, ErrorCode code, long latencyNanos) {
        events.add("refused " + sessionId + " " + code);
      }

      @Override
      public void sessionDisconnected(String sessionId, String reason) {
        events.add("disconnected " + sessionId);
      }
    };
    ServerEventListener throwing = new ServerEventListener() {
      @Override
      public void sessionOpened(String sessionId, String identity) {
        throw new IllegalStateException("a broken listener");
      }
    };
    SessionHandler ignore = (session, seq, message) -> { };
    try (LifelineServer server = Fixtures.server(dir, ignore).events(recorder)
        .refusalLimit(1000, 1000).start()) {
      SSLContext tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
      Frame.Opened opened;
      try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
        c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
        opened = c.await(Frame.Opened.class, WAIT);
        String id = opened.sessionId();
        assertEquals("opened " + id, next(events));
        List<SessionInfo> live = server.sessions();
        assertEquals(1, live.size());
        assertEquals(id, live.get(0).id());
        assertTrue(live.get(0).connected());
        assertTrue(live.get(0).remoteAddress().startsWith("127.0.0.1:"));
      }
      String id = opened.sessionId();
      assertEquals("disconnected " + id, next(events));

      try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
        c.send(new Frame.Resume(id, opened.token(), new byte[0],
            new Frame.StreamState(0, 0, new byte[0], 1)));
        c.await(Frame.Resumed.class, WAIT);
        assertEquals("resumed " + id, next(events));
      }
      assertEquals("disconnected " + id, next(events));

      try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
        c.send(new Frame.Resume(id, new byte[FrameDescriptor.TOKEN_BYTES], new byte[0],
            new Frame.StreamState(0, 0, new byte[0], 1)));
        c.read();
        assertEquals("refused " + id + " INVALID_TOKEN", next(events));
      }
      assertEquals(1, server.sessions().size());
      assertTrue(!server.sessions().get(0).connected());
    }

    // A listener that throws is logged; the client still gets its session.
    try (LifelineServer server = Fixtures.server(dir.resolve("2"), ignore).events(throwing)
        .start()) {
      SSLContext tls = RawSessionClient.trusting(dir.resolve("2/tls/ca.pem"));
      try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
        c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
        c.await(Frame.Opened.class, WAIT);
      }
    }
  }

  private static String next(BlockingQueue<String> events) throws InterruptedException {
    String e = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (e == null) {
      throw new AssertionError("no event within " + WAIT);
    }
    return e;
  }
}
