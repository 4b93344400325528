package dev.lifeline.session;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeline.ErrorCode;
import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDescriptor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input after the TLS handshake closes that connection with a CLOSE frame carrying the right
 * code, and the server goes on serving well-behaved clients. Each test ends by opening a session
 * on the same server.
 */
class BadInputTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int MAX_MESSAGE = 8 * 1024;

  @TempDir static Path dir;
  private static LifelineServer server;
  private static SSLContext tls;
  private static final List<String> received = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    SessionHandler record = (session, seq, message) -> received.add(UTF_8.decode(message).toString());
    server = Fixtures.server(dir, record).maxMessageSize(MAX_MESSAGE).start();
    tls = RawSessionClient.trusting(dir.resolve("tls/ca.pem"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Sends {@code bytes} right after the handshake and returns the CLOSE that answers them. */
  private static Frame.Close answerTo(byte[] bytes) throws Exception {
    try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
      c.sendRaw(bytes);
      return closeAndEnd(c);
    }
  }

  private static Frame.Close closeAndEnd(RawSessionClient c) throws Exception {
    Frame.Close close = c.await(Frame.Close.class, WAIT);
    assertTrue(c.closedByServer(), "the connection is closed after the CLOSE frame");
    servesAWellBehavedClient();
    return close;
  }

  private static void servesAWellBehavedClient() throws Exception {
    try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
      c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
      assertEquals(22, c.await(Frame.Opened.class, WAIT).sessionId().length());
    }
  }

  private static byte[] header(long length, int version, int type) {
    return ByteBuffer.allocate(6).putInt((int) length).put((byte) version).put((byte) type).array();
  }

  @Test
  void garbageAfterTheHandshake() throws Exception {
    // An HTTP request where a frame belongs: "GET " read as a length is about 1.1 GB.
    Frame.Close close = answerTo("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(US_ASCII));
    assertEquals(ErrorCode.FRAME_TOO_LARGE, close.code());
    assertTrue(close.reason().contains(Long.toString(0x47455420L)), close.reason());
  }

  @Test
  void lengthTooSmallForAHeader() throws Exception {
    Frame.Close close = answerTo(new byte[] {0, 0, 0, 1, 1});
    assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
  }

  @Test
  void oversizedLengthIsRefusedWithoutWaitingForTheBody() throws Exception {
    // Only the 4-byte length is sent: the CLOSE must come without the server waiting for (or
    // buffering) the announced body.
    long length = FrameDescriptor.MAX_CONTROL_FRAME_SIZE + 1L;
    Frame.Close close = answerTo(ByteBuffer.allocate(4).putInt((int) length).array());
    assertEquals(ErrorCode.FRAME_TOO_LARGE, close.code());
    assertTrue(close.reason().contains(Long.toString(length)), close.reason());
    assertEquals(ErrorCode.FRAME_TOO_LARGE, answerTo(new byte[] {-1, -1, -1, -1}).code());
  }

  @Test
  void unknownFrameType() throws Exception {
    Frame.Close close = answerTo(header(2, FrameDescriptor.VERSION, 0x7E));
    assertEquals(ErrorCode.UNKNOWN_FRAME_TYPE, close.code());
    assertTrue(close.reason().contains("0x7e"), close.reason());
  }

  @Test
  void truncatedFrame() throws Exception {
    // An OPEN whose credentials field announces 100 bytes but the frame ends after 2.
    ByteBuf b = Unpooled.buffer().writeInt(2 + 4 + 2 + 2).writeByte(FrameDescriptor.VERSION)
        .writeByte(FrameDescriptor.OPEN).writeInt(4096).writeShort(100).writeShort(0x4142);
    Frame.Close close = answerTo(ByteBufUtil.getBytes(b));
    b.release();
    assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
    assertTrue(close.reason().contains("truncated OPEN"), close.reason());
  }

  @Test
  void dataBeforeOpen() throws Exception {
    ByteBuf b = Unpooled.buffer().writeInt(2 + 8 + 5).writeByte(FrameDescriptor.VERSION)
        .writeByte(FrameDescriptor.DATA).writeLong(1).writeBytes("early".getBytes(US_ASCII));
    Frame.Close close = answerTo(ByteBufUtil.getBytes(b));
    b.release();
    assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
    assertTrue(close.reason().contains("got DATA"), close.reason());
  }

  @Test
  void secondOpenOnAnEstablishedConnection() throws Exception {
    try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
      c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
      c.await(Frame.Opened.class, WAIT);
      c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
      assertEquals(ErrorCode.PROTOCOL_ERROR, closeAndEnd(c).code());
    }
  }

  @Test
  void oversizedDataInAnEstablishedSessionLeavesItResumable() throws Exception {
    Frame.Opened opened;
    try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
      assertEquals(MAX_MESSAGE + 10, c.hello().maxFrameSize(), "HELLO announces the limit");
      c.send(new Frame.Open(FrameDescriptor.MIN_MAX_FRAME_SIZE, new byte[0]));
      opened = c.await(Frame.Opened.class, WAIT);
      c.sendRaw(header(MAX_MESSAGE + 11, FrameDescriptor.VERSION, FrameDescriptor.DATA));
      Frame.Close close = closeAndEnd(c);
      assertEquals(ErrorCode.FRAME_TOO_LARGE, close.code());
      assertTrue(close.code().isResumable());
    }
    try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
      c.send(new Frame.Resume(opened.sessionId(), opened.token(), new byte[0],
          new Frame.StreamState(0, 0, new byte[0], 1)));
      c.await(Frame.Resumed.class, WAIT);
    }
  }

  @Test
  void aRealClientIsServedAfterABarrageOfBadConnections() throws Exception {
    for (int i = 0; i < 10; i++) {
      try (RawSessionClient c = RawSessionClient.connect(tls, server.port())) {
        c.sendRaw(header(0xFFFFFF, FrameDescriptor.VERSION, i));
      }
    }
    try (LifelineClient client = Fixtures.client(dir, server.port()).maxMessageSize(MAX_MESSAGE).build()) {
      Session session = client.open("after-barrage", (s, seq, m) -> { }).get(10, TimeUnit.SECONDS);
      session.send("still serving".getBytes(UTF_8)).get(10, TimeUnit.SECONDS);
      Awaitility.await().atMost(WAIT).until(() -> received.contains("still serving"));
      session.close(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
    }
  }
}
