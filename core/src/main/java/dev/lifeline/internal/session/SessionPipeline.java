package dev.lifeline.internal.session;

import dev.lifeline.internal.protocol.FrameDecoder;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.FrameEncoder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import java.time.Duration;
import java.util.List;

/**
 * The Lifeline stages the client and the server share, behind their TLS stages, and their names.
 * {@link ServerPipeline} and {@link ClientPipeline} put them in place; the names are the only way
 * other code refers to a stage by name (the HTTP switch removes them from an HTTP connection).
 */
final class SessionPipeline {
  /** The heartbeat clock ({@link Heartbeat}). */
  static final String IDLE = "idle";
  /** Bytes to frames ({@link FrameDecoder}). */
  static final String DECODER = "decoder";
  /** Frames to bytes ({@link FrameEncoder}). */
  static final String ENCODER = "encoder";
  /** The connection handler: the server's or the client's side of the session protocol. */
  static final String SESSION = "session";

  /** The stages above, front to back: what an HTTP connection does not use. */
  static final List<String> LIFELINE_STAGES = List.of(IDLE, DECODER, ENCODER, SESSION);

  private SessionPipeline() {}

  /**
   * Appends the Lifeline stages, front to back, to a pipeline that has no TLS stages yet (they
   * go in front of these afterwards).
   */
  static void addLifelineStages(ChannelPipeline pipeline, Duration idleTimeout,
      ChannelHandler session) {
    // Nothing read for the idle timeout closes a half-open connection; nothing read for a third
    // of it sends a PING, so a quiet but healthy peer answers and keeps the connection.
    pipeline.addLast(IDLE, new Heartbeat(idleTimeout.toMillis()));
    // The control-frame limit until the session is established: a peer that has not
    // authenticated cannot make this side buffer a data frame's worth of bytes. The connection
    // handler raises it once the session is up.
    pipeline.addLast(DECODER, new FrameDecoder(FrameDescriptor.MAX_CONTROL_FRAME_SIZE));
    pipeline.addLast(ENCODER, FrameEncoder.INSTANCE);
    // Last: it sees whole frames and writes frames; everything in front of it is transport.
    pipeline.addLast(SESSION, session);
  }
}
