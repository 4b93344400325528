package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TreeListener;
import dev.lifeline.transfer.TreeResult;
import java.nio.file.Path;

/** The client side of a tree download. Not written yet. */
public final class TreeDownload {
  private TreeDownload() {}

  public static TreeResult run(LifelineClient client, String server, String prefix, Path dir,
      TreeListener listener, boolean fsync) throws TransferException, InterruptedException {
    throw new UnsupportedOperationException("tree downloads are not written yet");
  }
}
