package dev.lifeline.internal.session;

import dev.lifeline.internal.protocol.FrameDecoder;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.FrameEncoder;
import io.netty.channel.ChannelPipeline;
import java.time.Duration;

/** The pipeline stages the client and the server share, in their order (TLS goes in front). */
public final class SessionPipeline {
  private SessionPipeline() {}

  /**
   * Adds, in order: the heartbeat clock ({@link Heartbeat}: nothing read for the idle timeout
   * closes a half-open connection, nothing read for a third of it sends a PING), the frame
   * decoder (control-frame limit until the session is established) and the frame encoder. The caller adds its connection handler after them.
   */
  public static ChannelPipeline addFraming(ChannelPipeline pipeline, Duration idleTimeout) {
    long idle = idleTimeout.toMillis();
    return pipeline
        .addLast("idle", new Heartbeat(idle))
        .addLast("decoder", new FrameDecoder(FrameDescriptor.MAX_CONTROL_FRAME_SIZE))
        .addLast("encoder", FrameEncoder.INSTANCE);
  }
}
