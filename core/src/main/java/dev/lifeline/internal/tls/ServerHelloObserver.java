package dev.lifeline.internal.tls;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.AttributeKey;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Tells a full handshake from a resumed one by reading the server's plaintext handshake messages
 * on the wire, for TLS engines (the JDK's) that offer no API for it. It sits in front of the
 * {@code SslHandler}: on the server it watches outgoing bytes, on the client incoming ones. It
 * never changes a byte; once it has decided it stores the answer in {@link #RESUMED} and removes
 * itself.
 *
 * <p>The rules are those of the protocol, so any correct peer follows them:
 * <ul>
 *   <li>TLS 1.3 (ServerHello carries supported_versions = 0x0304): resumed exactly when the
 *       ServerHello carries the pre_shared_key extension, i.e. the server accepted a PSK from a
 *       ticket. A HelloRetryRequest (a ServerHello with the special random) is skipped.</li>
 *   <li>TLS 1.2: after ServerHello a full handshake continues with Certificate (or another
 *       key-exchange message); an abbreviated one continues with NewSessionTicket or
 *       ChangeCipherSpec.</li>
 * </ul>
 */
final class ServerHelloObserver extends ChannelDuplexHandler {
  /** Set on the channel once decided: true when the handshake resumed a session. */
  static final AttributeKey<Boolean> RESUMED =
      AttributeKey.valueOf(ServerHelloObserver.class, "resumed");

  /**
   * Set on the channel with {@link #RESUMED} for TLS 1.3: the group of the server's key_share
   * (its IANA code point), i.e. the key exchange's group. Not known for TLS 1.2 (the group is in
   * ServerKeyExchange, after the point this handler decides at).
   */
  static final AttributeKey<Integer> TLS13_GROUP =
      AttributeKey.valueOf(ServerHelloObserver.class, "tls13Group");

  private static final int CHANGE_CIPHER_SPEC = 20;
  private static final int HANDSHAKE = 22;
  private static final int NEW_SESSION_TICKET = 4;
  private static final int SERVER_HELLO = 2;
  private static final int EXT_PRE_SHARED_KEY = 41;
  private static final int EXT_SUPPORTED_VERSIONS = 43;
  private static final int EXT_KEY_SHARE = 51;
  private static final int TLS13 = 0x0304;
  /** Gives up (undecided) rather than buffer more than this; real server flights are far smaller. */
  private static final int MAX_BUFFERED = 64 * 1024;
  private static final byte[] HELLO_RETRY_RANDOM = hex(
      "CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");

  private final boolean serverSide;
  private final ByteArrayOutputStream serverBytes = new ByteArrayOutputStream();

  ServerHelloObserver(boolean serverSide) {
    this.serverSide = serverSide;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!serverSide && msg instanceof ByteBuf) {
      observe(ctx, (ByteBuf) msg);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (serverSide && msg instanceof ByteBuf) {
      observe(ctx, (ByteBuf) msg);
    }
    ctx.write(msg, promise);
  }

  private void observe(ChannelHandlerContext ctx, ByteBuf bytes) {
    byte[] copy = new byte[bytes.readableBytes()];
    bytes.getBytes(bytes.readerIndex(), copy);
    serverBytes.write(copy, 0, copy.length);
    int[] group = {-1};
    Boolean resumed = decide(serverBytes.toByteArray(), group);
    if (resumed != null) {
      if (group[0] >= 0) {
        ctx.channel().attr(TLS13_GROUP).set(group[0]);
      }
      ctx.channel().attr(RESUMED).set(resumed);
      ctx.pipeline().remove(this);
    } else if (serverBytes.size() > MAX_BUFFERED) {
      ctx.pipeline().remove(this);
    }
  }

  /**
   * Decides from the server's bytes so far: true resumed, false full, null not yet known; for
   * TLS 1.3 also puts the key_share group into {@code group[0]}.
   */
  static Boolean decide(byte[] wire, int[] group) {
    byte[] handshake = new byte[wire.length];
    int handshakeLength = 0;
    int ccsAt = -1; // handshake bytes seen before the first ChangeCipherSpec record after ServerHello
    for (int pos = 0; pos + 5 <= wire.length; ) {
      int type = wire[pos] & 0xff;
      int length = u16(wire, pos + 3);
      if (pos + 5 + length > wire.length) {
        break;
      }
      if (type == HANDSHAKE) {
        System.arraycopy(wire, pos + 5, handshake, handshakeLength, length);
        handshakeLength += length;
      } else if (type == CHANGE_CIPHER_SPEC && ccsAt < 0) {
        ccsAt = handshakeLength;
      }
      pos += 5 + length;
    }
    return decideFromMessages(handshake, handshakeLength, ccsAt, group);
  }

  private static Boolean decideFromMessages(byte[] hs, int length, int ccsAt, int[] group) {
    boolean afterTls12Hello = false;
    for (int pos = 0; pos + 4 <= length; ) {
      int type = hs[pos] & 0xff;
      int bodyLength = ((hs[pos + 1] & 0xff) << 16) | u16(hs, pos + 2);
      if (afterTls12Hello) {
        return type == NEW_SESSION_TICKET;
      }
      if (pos + 4 + bodyLength > length) {
        return null;
      }
      if (type == SERVER_HELLO && !isHelloRetry(hs, pos + 4)) {
        int[] versionAndPsk = scanExtensions(hs, pos + 4, bodyLength);
        if (versionAndPsk[0] == TLS13) {
          group[0] = versionAndPsk[2];
          return versionAndPsk[1] == 1;
        }
        afterTls12Hello = true;
        if (ccsAt >= 0 && ccsAt <= pos + 4 + bodyLength) {
          return true; // ServerHello, then ChangeCipherSpec right away: abbreviated handshake
        }
      }
      pos += 4 + bodyLength;
    }
    return null;
  }

  private static boolean isHelloRetry(byte[] hs, int body) {
    return Arrays.equals(hs, body + 2, body + 34, HELLO_RETRY_RANDOM, 0, 32);
  }

  /** Returns {selected version or 0, 1 if pre_shared_key present else 0, key_share group or -1}. */
  private static int[] scanExtensions(byte[] hs, int body, int bodyLength) {
    int end = body + bodyLength;
    int pos = body + 2 + 32; // legacy_version, random
    pos += 1 + (hs[pos] & 0xff); // session id
    pos += 2 + 1; // cipher suite, compression method
    int[] result = {0, 0, -1};
    if (pos + 2 > end) {
      return result;
    }
    int extensionsEnd = Math.min(end, pos + 2 + u16(hs, pos));
    for (pos += 2; pos + 4 <= extensionsEnd; ) {
      int type = u16(hs, pos);
      int length = u16(hs, pos + 2);
      if (type == EXT_SUPPORTED_VERSIONS && length == 2) {
        result[0] = u16(hs, pos + 4);
      } else if (type == EXT_PRE_SHARED_KEY) {
        result[1] = 1;
      } else if (type == EXT_KEY_SHARE && length >= 2) {
        result[2] = u16(hs, pos + 4);
      }
      pos += 4 + length;
    }
    return result;
  }

  private static int u16(byte[] bytes, int at) {
    return ((bytes[at] & 0xff) << 8) | (bytes[at + 1] & 0xff);
  }

  private static byte[] hex(String hex) {
    return java.util.HexFormat.of().parseHex(hex);
  }
}
