package dev.lifeline.internal.http;

import dev.lifeline.SessionInfo;
import java.util.List;

/**
 * What the HTTP side may read of the server it serves, for its status page and metrics: a
 * read-only view the server hands to {@link HttpEndpoint#serverStarted}, so that the HTTP side
 * depends on this narrow interface instead of on {@code LifelineServer} itself. Each method reads
 * the server's state at the moment of the call; any thread may call them.
 */
public interface ServerView {

  /** The address the server listens on, as "host:port". */
  String address();

  /** The TLS provider in use: "OpenSSL (BoringSSL)" or "JDK". */
  String tlsProvider();

  /** A fresh snapshot of every session held in memory, connected or waiting for its client. */
  List<SessionInfo> sessions();
}
