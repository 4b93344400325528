package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TreeListener;
import dev.lifeline.transfer.TreeResult;
import java.nio.file.Path;

/** The client side of a tree upload. Not written yet. */
public final class TreeUpload {
  private TreeUpload() {}

  public static TreeResult run(LifelineClient client, String server, Path dir, String prefix,
      TreeListener listener) throws TransferException, InterruptedException {
    throw new UnsupportedOperationException("tree uploads are not written yet");
  }
}
