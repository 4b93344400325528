package dev.lifeline.session;

import dev.lifeline.internal.protocol.Frame;
import dev.lifeline.internal.protocol.FrameDecoder;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.FrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A deliberately simple client that speaks the wire format by hand over a blocking {@link
 * SSLSocket}, to send what a real client never would: forged resumes, garbage, oversized lengths.
 * Frames are encoded with {@link FrameEncoder} and decoded with {@link FrameDecoder}, so the test
 * and the server agree on the layout by construction.
 */
final class RawSessionClient implements AutoCloseable {
  private final SSLSocket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final Frame.Hello hello;

  /** How long a read (the handshake's included) waits unless a test says otherwise. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

  private RawSessionClient(SSLSocket socket, Duration readTimeout) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
    socket.setSoTimeout(Math.toIntExact(readTimeout.toMillis()));
    socket.startHandshake();
    Frame first = read();
    if (!(first instanceof Frame.Hello h)) {
      throw new IOException("expected HELLO, got " + first);
    }
    this.hello = h;
  }

  /** An SSL context trusting the PEM CA certificate at {@code caPem}. */
  static SSLContext trusting(Path caPem) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream pem = Files.newInputStream(caPem)) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(pem));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Connects, completes the TLS handshake and reads the server's HELLO. */
  static RawSessionClient connect(SSLContext tls, int port) throws IOException {
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
    try {
      return new RawSessionClient(socket, READ_TIMEOUT);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Runs the TLS handshake over {@code connected} (a plain socket the caller connected, e.g. from
   * a chosen source address) and reads the server's HELLO; closes the socket on failure.
   */
  static RawSessionClient over(SSLContext tls, java.net.Socket connected) throws IOException {
    return over(tls, connected, READ_TIMEOUT);
  }

  /**
   * As {@link #over(SSLContext, java.net.Socket)}, with reads (the handshake's included) waiting
   * up to {@code readTimeout}: a test that lets the server take until its own handshake timeout
   * must not give up on the client side first.
   */
  static RawSessionClient over(SSLContext tls, java.net.Socket connected, Duration readTimeout)
      throws IOException {
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(connected,
        connected.getInetAddress().getHostAddress(), connected.getPort(), true);
    try {
      return new RawSessionClient(socket, readTimeout);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  Frame.Hello hello() {
    return hello;
  }

  /** Sends one control frame. */
  void send(Frame frame) throws IOException {
    ByteBuf b = FrameEncoder.encode(UnpooledByteBufAllocator.DEFAULT, frame);
    try {
      sendRaw(ByteBufUtil.getBytes(b));
    } finally {
      b.release();
    }
  }

  /** Sends bytes as they are. */
  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /**
   * Reads the next frame, or returns {@code null} if the server closed the connection. A DATA
   * frame comes back with its sequence number only, so callers need not release anything.
   */
  Frame read() throws IOException {
    long length;
    try {
      length = Integer.toUnsignedLong(in.readInt());
    } catch (EOFException | SocketException e) {
      return null;
    }
    if (length > FrameDescriptor.MAX_MAX_FRAME_SIZE) {
      throw new IOException("server sent a frame of " + length + " bytes");
    }
    byte[] body = new byte[(int) length];
    in.readFully(body);
    EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(FrameDescriptor.MAX_MAX_FRAME_SIZE));
    try {
      decoder.writeInbound(Unpooled.buffer(4 + body.length).writeInt((int) length).writeBytes(body));
      Frame f = decoder.readInbound();
      if (f instanceof Frame.Data d) {
        ReferenceCountUtil.release(d);
        return new Frame.Data(d.seq(), Unpooled.EMPTY_BUFFER); // seq only; nothing to release
      }
      return f;
    } finally {
      decoder.finishAndReleaseAll();
    }
  }

  /** Reads frames until one is of {@code type}; fails at end of stream or after the timeout. */
  <T extends Frame> T await(Class<T> type, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Frame f = read();
      if (f == null) {
        throw new EOFException("connection closed while waiting for " + type.getSimpleName());
      }
      if (type.isInstance(f)) {
        return type.cast(f);
      }
    }
    throw new SocketTimeoutException("no " + type.getSimpleName() + " within " + timeout);
  }

  /** Whether the server has closed the connection (the next read sees end of stream). */
  boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketException e) {
      return true; // reset, or close_notify followed by a reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
