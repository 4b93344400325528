package dev.lifeline.internal.http;

import dev.lifeline.HandshakeListener;
import dev.lifeline.HttpService;
import dev.lifeline.ServerEventListener;
import io.netty.channel.ChannelPipeline;

/**
 * What a {@link HttpService} really is: the server hands it every connection that chose HTTP
 * and tells it about the server's life and events. Implemented by the {@code lifeline-http}
 * module; kept internal so that no Netty type appears in the public API.
 */
public interface HttpEndpoint extends HttpService {

  /**
   * The server listens; called once, before any connection is handed over, with what the HTTP
   * side may read of the server from then on.
   */
  void serverStarted(ServerView server);

  /**
   * Appends the HTTP stages to {@code pipeline}, whose TLS stages have finished the handshake
   * and whose Lifeline stages were removed. Called on the connection's event loop.
   */
  void initHttpPipeline(ChannelPipeline pipeline);

  /** Told about every TLS handshake of the server, after the application's listener. */
  HandshakeListener handshakeListener();

  /** Told about the server's sessions, after the application's listener. */
  ServerEventListener events();

  /** The server has closed. */
  void serverStopped();
}
