package dev.lifeline.docs;

import dev.lifeline.LifelineClient;
import dev.lifeline.transfer.FileOutcome;
import dev.lifeline.transfer.FileTransferClient;
import dev.lifeline.transfer.StoredFile;
import dev.lifeline.transfer.TreeListener;
import dev.lifeline.transfer.TreeResult;
import java.nio.file.Path;

/** docs/trees.md's library sample, compiled. */
final class TreeSample {
  private TreeSample() {}

  static boolean backUp(LifelineClient client, Path photos) throws Exception {
    FileTransferClient transfers = new FileTransferClient(client, "backup.example:7443");
    TreeListener listener = new TreeListener() {
      @Override
      public void fileFinished(FileOutcome o) {
        System.out.println(o.toJson());           // one line per file, as it finishes
      }

      @Override
      public void notice(String message) {
        System.err.println(message);              // a symlink skipped, a changed file resent
      }
    };
    // Run it again after a crash of either side: it continues the set.
    TreeResult up = transfers.uploadTree(photos, "photos/2026", listener);
    for (StoredFile f : transfers.list("photos/2026")) {
      System.out.println(f.size() + "  " + f.sha256() + "  " + f.name());
    }
    TreeResult down = transfers.downloadTree("photos/2026", Path.of("restore"), listener);
    return up.ok() && down.ok();                  // every file verified end to end
  }
}
