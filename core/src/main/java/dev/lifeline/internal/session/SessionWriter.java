package dev.lifeline.internal.session;

import dev.lifeline.internal.protocol.Frame;

/**
 * The session's writes to its connection: an ACK if one is due, then DATA frames from the
 * {@link OutboundStream}'s write cursor while the connection is writable, then one flush. Writes
 * happen only on the connection's event loop, in sequence order, so concurrent senders cannot
 * reorder the stream; at most one write task per connection is queued at a time, so an echo and
 * the ACK of the message it answers, asked for one after the other, usually leave in one TLS
 * record.
 *
 * <p>Guarded by the session's monitor (the {@link SessionCore} itself), the one lock of a
 * session's state. The frames are written under it (Netty writes do not block, and on the event
 * loop the encoder calls nothing back); the flush comes after it is released.
 */
final class SessionWriter {
  private final SessionCore session;
  private final OutboundStream out;
  private final InboundStream in;
  // The connection a write task is queued for: a task queued for a connection that has since
  // died must not stop one from being queued for its successor. Guarded by session.
  private ConnectionPort writeScheduledFor;

  SessionWriter(SessionCore session, OutboundStream out, InboundStream in) {
    this.session = session;
    this.out = out;
    this.in = in;
  }

  /**
   * Queues one task on the connection's event loop that writes whatever is due and flushes once,
   * unless one is already queued, nothing is due or the session is between connections (the next
   * attach writes it).
   */
  void scheduleWrite() {
    ConnectionPort ch;
    synchronized (session) {
      ch = session.connectedPortLocked();
      if (ch == null || writeScheduledFor == ch || (!out.hasUnwritten() && !in.ackDue())) {
        return;
      }
      writeScheduledFor = ch;
    }
    ch.execute(() -> writeAndFlush(ch, false));
  }

  /**
   * Writes an ACK if one is due, then messages from the write cursor while the channel accepts
   * them, then flushes if anything was written (or {@code flush}). Event loop only.
   */
  void writeAndFlush(ConnectionPort ch, boolean flush) {
    boolean wrote = false;
    synchronized (session) {
      if (writeScheduledFor == ch) {
        writeScheduledFor = null;
      }
      if (session.connectedPortLocked() == ch) {
        if (in.ackDue()) {
          ch.write(new Frame.Ack(in.takeAck()));
          wrote = true;
        }
        while (out.hasUnwritten() && ch.isWritable()) {
          ReplayBuffer.Entry e = out.nextToWrite();
          ch.write(new Frame.Data(e.seq(), e.payload().retainedDuplicate()));
          wrote = true;
        }
      }
    }
    if (wrote || flush) {
      ch.flush();
    }
  }
}
