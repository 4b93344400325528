package dev.lifeline.internal.session;

import dev.lifeline.internal.faults.FaultStage;
import dev.lifeline.internal.tls.ClientTls;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Every client connection's pipeline, in one place. Front (socket) to back (application):
 *
 * <pre>
 *   [chaos]                    fault injection (only when the client was built with one)
 *   [lifeline-tls-wire]        ServerHello observer (JDK provider only)
 *   [lifeline-tls-ticket-tap]  notes the ticket the ClientHello offers (OpenSSL only, then gone)
 *   [lifeline-tls]             TLS, offering the ticket kept for this server
 *   [lifeline-tls-tickets]     keeps the server's tickets (OpenSSL only, until the handshake ends)
 *   [lifeline-tls-classifier]  handshake events: full, resumed or failed
 *   [idle] [decoder] [encoder] [session]   the Lifeline stages ({@link SessionPipeline})
 * </pre>
 *
 * {@link ClientConnector} calls {@link #init} for each connection it opens, with that
 * connection's handler.
 */
public final class ClientPipeline {
  /** The fault injection stage: in front of TLS, so a cut can land inside a TLS record. */
  static final String FAULTS = FaultStage.NAME;

  private final ClientTls tls;
  private final String host;
  private final int port;
  private final Duration idleTimeout;
  private final Supplier<ChannelHandler> faults;

  /**
   * @param host and {@code port}: the server, whose cached TLS session each connection offers
   * @param faults a new fault injection stage for each connection, or null when that connection
   *     gets none
   */
  public ClientPipeline(ClientTls tls, String host, int port, Duration idleTimeout,
      Supplier<ChannelHandler> faults) {
    this.tls = tls;
    this.host = host;
    this.port = port;
    this.idleTimeout = idleTimeout;
    this.faults = Objects.requireNonNull(faults, "faults");
  }

  /** Builds one connection's pipeline, with {@code session} as its connection handler. */
  void init(ChannelPipeline pipeline, ChannelHandler session) {
    SessionPipeline.addLifelineStages(pipeline, idleTimeout, session);
    // The TLS stages go in front of everything added so far.
    tls.install(pipeline, host, port);
    ChannelHandler fault = faults.get();
    if (fault != null) {
      // In front of TLS: it cuts the raw byte stream, wherever a record or frame boundary is.
      pipeline.addFirst(FAULTS, fault);
    }
  }
}
