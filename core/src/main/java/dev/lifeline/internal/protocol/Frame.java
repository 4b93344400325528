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
    private final long memory;

    /** A message whose payload keeps alive no more memory than its own bytes. */
    public Data(long seq, ByteBuf payload) {
      this(seq, payload, payload.readableBytes());
    }

    /**
     * A message whose payload keeps {@code memory} bytes alive: a slice of a received buffer
     * keeps that whole buffer, see {@code FrameDecoder}.
     */
    public Data(long seq, ByteBuf payload, long memory) {
      this.seq = seq;
      this.payload = payload;
      this.memory = memory;
    }

    public long seq() {
      return seq;
    }

    public ByteBuf payload() {
      return payload;
    }

    /**
     * The memory this message is charged for while it waits for the application (the inbound
     * queue's limit counts this, not the payload): the received buffers its payload is a slice of
     * that no earlier message was charged for, or its own copy. May be 0: a message in a buffer
     * already charged to an earlier one.
     */
    public long memory() {
      return memory;
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
