package dev.lifeline.internal.tls;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.internal.tcnative.SSL;
import io.netty.internal.tcnative.SSLSession;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLEngine;

/**
 * Keeps a client's TLS 1.3 session ticket usable until a handshake that offered it completes,
 * so that a handshake which never reached a server does not cost the next one its resumption.
 * OpenSSL provider only.
 *
 * <p>Netty's OpenSSL client cache hands out a TLS 1.3 session once (RFC 8446 asks clients not to
 * reuse a ticket, so that connections cannot be linked) and forgets it as soon as it is set on an
 * engine. When that connection dies before the handshake completes, typically because a proxy or
 * load balancer accepted it but had no backend while the server restarted, the ticket is gone,
 * although the server never saw it and would still accept it. BoringSSL servers send two tickets,
 * so two such attempts use up everything the client has, and the connection that finally reaches
 * the server makes a full handshake.
 *
 * <p>So a {@link #newWatcher watcher} behind each connection's {@code SslHandler} takes its own
 * reference to the session the ClientHello offered. If the handshake fails, the session goes into
 * this keeper, one per {@code host:port}, and {@link #offer} sets it on the next engine for that
 * server before its handshake; when Netty's cache still holds a ticket it replaces this one, so
 * the kept ticket is only the fallback. A handshake that completes (resumed, or full because the
 * server rejected the ticket) drops the kept ticket: the server sends fresh ones.
 *
 * <p>Offering one ticket again after a failed attempt lets an observer link the failed attempt to
 * the retry; it cannot link connections that both reached the server, which is what the rule is
 * for. Native references: the keeper and each watcher own one reference to the session they hold
 * (taken with {@code SSL_SESSION_up_ref}, given back with {@code SSL_SESSION_free}); {@link
 * #close} frees what is kept, and a watcher frees or hands over its reference before it leaves the
 * pipeline. Thread-safe.
 */
final class TicketKeeper implements AutoCloseable {
  /** {@code host:port} to a native {@code SSL_SESSION*} this keeper holds a reference to. */
  private final Map<String, Long> kept = new HashMap<>(); // guarded by this
  private boolean closed; // guarded by this
  /**
   * Bumped by {@link #clear}: a watcher of an older generation gives its ticket back to nothing.
   * A connection that fails after a clear (its close runs on its event loop, maybe after the
   * caller saw the failure) would otherwise put back a ticket the clear meant to forget.
   */
  private long generation; // guarded by this

  /**
   * Sets the ticket kept for {@code host:port}, if any, on a new engine before its handshake.
   * Netty's cache, consulted when the handshake starts, replaces it when it holds a ticket.
   */
  void offer(SSLEngine engine, String host, int port) {
    if (!(engine instanceof ReferenceCountedOpenSslEngine)) {
      return;
    }
    synchronized (this) {
      Long session = kept.get(key(host, port));
      if (session == null) {
        return;
      }
      synchronized (engine) {
        long ssl = ((ReferenceCountedOpenSslEngine) engine).sslPointer();
        if (ssl != 0) {
          SSL.setSession(ssl, session); // takes its own reference
        }
      }
    }
  }

  /**
   * The handlers that watch one connection to {@code host:port} whose TLS engine is {@code
   * engine}: the first goes right in front of TLS (it sees the ClientHello leave), the second
   * right behind it (it sees the handshake end).
   */
  synchronized ChannelHandler[] newWatcher(SSLEngine engine, String host, int port) {
    Watcher watcher = new Watcher(key(host, port), generation, engine);
    return new ChannelHandler[] {watcher.tap(), watcher};
  }

  /** For tests: how many servers have a kept ticket. */
  synchronized int keptCount() {
    return kept.size();
  }

  /** Frees every kept ticket, so the next connections offer only what Netty's cache holds. */
  synchronized void clear() {
    kept.values().forEach(SSLSession::free);
    kept.clear();
    generation++;
  }

  /** Frees every kept ticket; watchers still running free theirs when they end. */
  @Override
  public synchronized void close() {
    clear();
    closed = true;
  }

  /** Takes over the watcher's reference: the ticket it offered is kept for the next attempt. */
  private synchronized void handshakeFailed(String key, long session, long watcherGeneration) {
    if (closed || watcherGeneration != generation) {
      SSLSession.free(session);
      return;
    }
    Long previous = kept.put(key, session);
    if (previous != null) {
      SSLSession.free(previous); // one reference each, even when it is the same session
    }
  }

  /** A server took a handshake to its end and sends fresh tickets; the kept one is not needed. */
  private synchronized void handshakeCompleted(String key) {
    Long previous = kept.remove(key);
    if (previous != null) {
      SSLSession.free(previous);
    }
  }

  private static String key(String host, int port) {
    return host + ':' + port;
  }

  /**
   * Notes the TLS 1.3 session the ClientHello offered and reports the handshake's end to the
   * keeper. Removes itself when the handshake ends.
   *
   * <p>The session is read when the ClientHello leaves, by the {@link #tap} in front of TLS:
   * Netty sets it from its cache in the engine's first wrap, and writes the ClientHello in the
   * same call. Reading it later, when {@code channelActive} reaches this handler, loses it when a
   * reset arrives during that first flush: the failed write ends the handshake (and the event
   * reaches this handler) before {@code channelActive} does, and by then the engine is freed.
   * Under load that happened in about one run of ten of {@code TicketKeeperTest}, and the
   * connection that finally reached the server made a full handshake.
   */
  private final class Watcher extends ChannelInboundHandlerAdapter {
    private final String key;
    private final long generation;
    private final SSLEngine engine;
    /** The offered session, with a reference owned by this watcher; 0 when none. */
    private long offered;

    Watcher(String key, long generation, SSLEngine engine) {
      this.key = key;
      this.generation = generation;
      this.engine = engine;
    }

    /** Reads the offered session as the first bytes (the ClientHello) leave; then steps aside. */
    ChannelHandler tap() {
      return new ChannelOutboundHandlerAdapter() {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
          noteOffered();
          ctx.write(msg, promise);
          ctx.pipeline().remove(this);
        }
      };
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      noteOffered();
      ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent) {
        if (((SslHandshakeCompletionEvent) evt).isSuccess()) {
          handshakeCompleted(key);
          release();
        } else {
          handOver();
        }
        ctx.pipeline().remove(this);
      }
      ctx.fireUserEventTriggered(evt);
    }

    /** A connection closed before the handshake ended: its ticket never reached a server's end. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      handOver();
    }

    private void handOver() {
      if (offered != 0) {
        handshakeFailed(key, offered, generation);
        offered = 0;
      }
    }

    private void release() {
      if (offered != 0) {
        SSLSession.free(offered);
        offered = 0;
      }
    }

    /**
     * Takes a reference to the single-use (TLS 1.3) session set on the engine now, unless it is
     * the one already held; a TLS 1.2 session, which Netty's cache keeps anyway, is left alone.
     */
    private void noteOffered() {
      if (!(engine instanceof ReferenceCountedOpenSslEngine openSsl)) {
        return;
      }
      synchronized (openSsl) {
        long ssl = openSsl.sslPointer();
        if (ssl == 0) {
          return;
        }
        long session = SSL.getSession(ssl); // borrowed; -1 when none is set
        if (session == 0 || session == -1 || session == offered
            || !SSLSession.shouldBeSingleUse(session)) {
          return;
        }
        if (SSLSession.upRef(session)) {
          release();
          offered = session;
        }
      }
    }
  }
}
