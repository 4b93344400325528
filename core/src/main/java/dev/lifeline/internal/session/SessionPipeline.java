package dev.lifeline.internal.session;

import dev.lifeline.internal.protocol.FrameDecoder;
import dev.lifeline.internal.protocol.FrameDescriptor;
import dev.lifeline.internal.protocol.FrameEncoder;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The pipeline stages the client and the server share, in their order (TLS goes in front). */
public final class SessionPipeline {
  private SessionPipeline() {}

  /**
   * Adds, in order: the idle detector (read-idle closes a half-open connection, write-idle sends
   * a PING every third of the timeout), the frame decoder (control-frame limit until the session
   * is established) and the frame encoder. The caller adds its connection handler after them.
   */
  public static ChannelPipeline addFraming(ChannelPipeline pipeline, Duration idleTimeout) {
    long idle = idleTimeout.toMillis();
    return pipeline
        .addLast("idle", new IdleStateHandler(idle, Math.max(1, idle / 3), 0,
            TimeUnit.MILLISECONDS))
        .addLast("decoder", new FrameDecoder(FrameDescriptor.MAX_CONTROL_FRAME_SIZE))
        .addLast("encoder", FrameEncoder.INSTANCE);
  }
}
