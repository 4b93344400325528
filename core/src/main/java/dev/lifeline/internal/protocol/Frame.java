package dev.lifeline.internal.protocol;

import dev.lifeline.ErrorCode;
import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

/**
 * A decoded frame; layouts in {@link FrameDescriptor}. Only {@link Data} holds a buffer.
 *
 * <p>A handler that refuses a frame it did not expect drops it and names it in the CLOSE reason:
 *
 * <pre>{@code
 * frame.release(); // a DATA frame's payload goes back to its pool
 * String reason = "unexpected " + FrameDescriptor.typeName(frame.type());
 * }</pre>
 */
public sealed interface Frame {

  /** This frame's type code, the byte at {@link FrameDescriptor#TYPE_OFFSET} on the wire. */
  byte type();

  /**
   * Lets go of what this frame holds, for a frame dropped unread: a {@link Data} releases its
   * reference to the payload, any other frame holds nothing.
   *
   * @return whether the payload's last reference went ({@code false} for frames without one)
   */
  default boolean release() {
    return false;
  }

  /** Server greeting, the first frame after the TLS handshake. */
  record Hello(int protocolVersion, int maxFrameSize, String serverName) implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.HELLO;
    }
  }

  /**
   * A client asks for a new session. {@code producerId} (empty, or {@link
   * FrameDescriptor#PRODUCER_ID_BYTES}) names the client's durable outbox, whose message {@code
   * producerBase + seq} is this session's message {@code seq}: the server drops what it already
   * stored of that producer in an earlier session.
   */
  record Open(int maxFrameSize, byte[] credentials, byte[] producerId, long producerBase)
      implements Frame {
    /** An OPEN without a producer. */
    public Open(int maxFrameSize, byte[] credentials) {
      this(maxFrameSize, credentials, new byte[0], 0);
    }

    @Override
    public byte type() {
      return FrameDescriptor.OPEN;
    }
  }

  /** A client continues a session. */
  record Resume(String sessionId, byte[] token, byte[] credentials, StreamState state)
      implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.RESUME;
    }
  }

  /** The server created a session. */
  record Opened(String sessionId, byte[] token) implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.OPENED;
    }
  }

  /** The server continued a session and replaced its token. */
  record Resumed(byte[] newToken, StreamState state) implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.RESUMED;
    }
  }

  /** The client stored the new token durably; the old one may now be forgotten. */
  record Confirm() implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.CONFIRM;
    }
  }

  /** A cumulative acknowledgement: everything up to and including {@code seq}. */
  record Ack(long seq) implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.ACK;
    }
  }

  record Ping(long opaque) implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.PING;
    }
  }

  record Pong(long opaque) implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.PONG;
    }
  }

  record Close(ErrorCode code, String reason) implements Frame {
    @Override
    public byte type() {
      return FrameDescriptor.CLOSE;
    }
  }

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

    @Override
    public byte type() {
      return FrameDescriptor.DATA;
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
