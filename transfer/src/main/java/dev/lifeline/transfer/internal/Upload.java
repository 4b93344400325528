package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.nio.file.Path;

/** Placeholder until the transfer engine lands. */
public final class Upload {
  private Upload() {}

  public static TransferResult run(LifelineClient client, String server, Object a, Object b,
      TransferListener listener) {
    throw new UnsupportedOperationException("not built yet");
  }
}
