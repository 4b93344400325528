package dev.lifeline.internal.protocol;

import java.nio.channels.ClosedChannelException;

/**
 * The connection closed without an error of its own (the peer closed it, or this side did after
 * a refusal). A {@link ClosedChannelException} without a stack trace: one is created for nearly
 * every connection that ends, and the trace would only show Netty's event loop.
 */
public final class ConnectionClosedException extends ClosedChannelException {
  private static final long serialVersionUID = 1L;

  @Override
  public String getMessage() {
    return "connection closed";
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
