package dev.lifeline.internal.protocol;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

/** A decoded frame; layouts in {@link FrameDescriptor}. Only {@link Data} holds a buffer. */
public sealed interface Frame {

  /** Server greeting, the first frame after the TLS handshake. */
  record Hello(int protocolVersion, int maxFrameSize, String serverName) implements Frame {}

  /** A client asks for a new session. */
  record Open(int maxFrameSize, byte[] credentials) implements Frame {}

  /** A client continues a session. */
  record Resume(String sessionId, byte[] token, byte[] credentials, StreamState state)
      implements Frame {}

  /** The server created a session. */
  record Opened(String sessionId, byte[] token) implements Frame {}

  /** The server continued a session and replaced its token. */
  record Resumed(byte[] newToken, StreamState state) implements Frame {}

  /** The client stored the new token durably; the old one may now be forgotten. */
  record Confirm() implements Frame {}

  /** A cumulative acknowledgement: everything up to and including {@code seq}. */
  record Ack(long seq) implements Frame {}

  record Ping(long opaque) implements Frame {}

  record Pong(long opaque) implements Frame {}

  record Close(ErrorCode code, String reason) implements Frame {}

  /**
   * One side's view of a session's two streams, exchanged on resume.
   *
   * @param received last sequence received in order from the peer
   * @param checkpointSeq last durable checkpoint of the received stream
   * @param checkpointState the application state of that checkpoint
   * @param replayFrom lowest sequence this side can still send again, or {@link
   *     FrameDescriptor#NO_REPLAY}
   */
  record StreamState(long received, long checkpointSeq, byte[] checkpointState, long replayFrom) {}

  /** A message. Owns one reference to {@code payload}; release it when done. */
  final class Data extends AbstractReferenceCounted implements Frame {
    private final long seq;
    private final ByteBuf payload;

    public Data(long seq, ByteBuf payload) {
      this.seq = seq;
      this.payload = payload;
    }

    public long seq() {
      return seq;
    }

    public ByteBuf payload() {
      return payload;
    }

    @Override
    protected void deallocate() {
      payload.release();
    }

    @Override
    public ReferenceCounted touch(Object hint) {
      payload.touch(hint);
      return this;
    }

    @Override
    public String toString() {
      return "Data{seq=" + seq + ", " + payload.readableBytes() + "B}";
    }
  }
}
