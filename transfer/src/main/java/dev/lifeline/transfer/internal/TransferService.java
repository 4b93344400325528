package dev.lifeline.transfer.internal;

import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

/** Placeholder until the transfer engine lands. */
public final class TransferService implements SessionHandler {
  public TransferService(Path filesDir, long maxFileSize, long checkpointBytes,
      Duration checkpointInterval) {}

  @Override
  public void onMessage(Session session, long seq, ByteBuffer message) {
    throw new UnsupportedOperationException("not built yet");
  }

  public void discardPartial(String sessionId) {}
}
