package dev.lifeline.demo.client;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.transfer.TransferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code client-demo upload FILE [--name NAME] ...}, and for a directory {@code client-demo upload
 * DIR [--name PREFIX] ...}, which uploads the whole tree in one session.
 */
@Command(name = "upload", sortOptions = false, mixinStandardHelpOptions = true,
    description = {"Uploads FILE, or the tree under a directory DIR (regular files, empty "
        + "directories and modification times; symbolic links are not followed, each is named on "
        + "stderr). Interrupted (killed, network lost)? Run the same command again with the same "
        + "--state: it continues from the server's last checkpoint; files of a tree already "
        + "stored and verified are not sent again."})
final class UploadCommand implements Callable<Integer> {
  @ParentCommand ClientMain parent;

  @Parameters(index = "0", paramLabel = "FILE|DIR", description = "The file or tree to upload.")
  Path file;

  @Option(names = "--name", paramLabel = "NAME|PREFIX",
      description = "Its name on the server; for a tree the prefix its files are stored under, "
          + "PREFIX/a/b (default: FILE's or DIR's own name).")
  String name;

  @Mixin ConnectionOptions options;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    Path source = TransferRunner.canonical(file);
    if (Files.isDirectory(source)) {
      return uploadTree(source);
    }
    String target = name != null ? name : String.valueOf(source.getFileName());
    if (!Files.isRegularFile(source) || !Files.isReadable(source)) {
      parent.err().println("client-demo: upload failed: " + file + " is not a readable file");
      return ExitCodes.of(TransferException.Reason.NOT_FOUND);
    }
    return parent.runner().run(options, "upload", (transfers, listener) ->
        transfers.upload(source, target, listener));
  }

  private int uploadTree(Path dir) throws InterruptedException {
    if (name == null && dir.getFileName() == null) {
      throw Cli.usageError(spec, "--name is required to upload " + dir + " (it has no name)");
    }
    // "--name photos/" means the tree "photos", as rsync users write it.
    String prefix = (name != null ? name : dir.getFileName().toString()).replaceAll("/+$", "");
    return parent.runner().run(options, "upload", transfers -> {
      try (TreeReporter report = parent.treeReporter(options, "upload", prefix)) {
        return report.finish(transfers.uploadTree(dir, prefix, report));
      }
    });
  }
}
