package dev.lifeline.internal.session;

import dev.lifeline.internal.protocol.Frame;
import java.util.function.Consumer;

/**
 * What a {@link SessionCore} needs of the connection under it, and nothing more: write and flush
 * frames, pause and resume reading, writability, running on the connection's I/O thread, and the
 * ways of closing. The session keeps the state of both streams; the connection side does the
 * I/O ({@link ChannelPort} over a Netty channel), as Netty's HTTP/2 connection state sits beside
 * its connection handler.
 *
 * <p>The session compares ports by identity to tell its current connection from one that has
 * since been replaced, so a connection has exactly one port.
 */
interface ConnectionPort {

  /** Writes {@code frame} without flushing; a failed write surfaces on the connection. */
  void write(Frame frame);

  void flush();

  /** Whether the connection takes more writes now without queueing beyond its high-water mark. */
  boolean isWritable();

  /** Whether the caller runs on the connection's I/O thread. */
  boolean inEventLoop();

  /** Runs {@code task} on the connection's I/O thread. */
  void execute(Runnable task);

  /** Stops reading: the application is behind. I/O thread only. */
  void pauseReading();

  /** Reads again, from any thread; idle checks restart from now. */
  void resumeReading();

  /** Closes the connection now. */
  void close();

  /**
   * Writes and flushes this side's CLOSE; {@code done} then runs on the I/O thread with whether
   * it was written.
   */
  void writeClose(Frame.Close close, Consumer<Boolean> done);

  /**
   * After this side's CLOSE: leaves the close of the connection to the peer, reading and
   * dropping whatever still arrives, and closes it here only after a grace period.
   *
   * @return false if the connection is already closed
   */
  boolean closeAfterPeer();

  /** Runs {@code task} once the connection is closed (at once if it is). */
  void whenClosed(Runnable task);

  /** The peer's address as {@code host:port}, for the server's session snapshot. */
  String remoteAddress();
}
