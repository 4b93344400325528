package dev.lifeline.demo.client;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.transfer.TransferException;
import java.io.IOException;
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
 * {@code client-demo download NAME --to FILE ...}, and for a name ending in '/' {@code client-demo
 * download PREFIX/ --to DIR ...}, which downloads the whole tree in one session.
 */
@Command(name = "download", sortOptions = false, mixinStandardHelpOptions = true,
    description = {"Downloads NAME to FILE (written as FILE.part, renamed once its SHA-256 "
        + "matched), or, for a name ending in '/', every file stored under PREFIX/ into DIR "
        + "(created if missing), keeping the tree's shape, empty directories and modification "
        + "times. Interrupted? Run the same command again with the same --state; files of a "
        + "tree already in DIR with the server's size and SHA-256 are not sent again."})
final class DownloadCommand implements Callable<Integer> {
  @ParentCommand ClientMain parent;

  @Parameters(index = "0", paramLabel = "NAME|PREFIX/",
      description = "The file's name on the server, or a tree's prefix ending in '/'.")
  String name;

  @Option(names = "--to", required = true, paramLabel = "FILE|DIR",
      description = "Where to write it: a file, or for a tree a directory.")
  Path to;

  @Option(names = "--overwrite",
      description = "Replace FILE if it exists (default: refuse, exit code 12). Not for trees.")
  boolean overwrite;

  @Option(names = "--no-fsync",
      description = "Leave FILE in the page cache instead of on disk (as curl does): faster; a "
          + "killed client still continues, but after a machine crash the download starts over "
          + "and a finished FILE may be incomplete.")
  boolean noFsync;

  @Mixin ConnectionOptions options;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    Path target = TransferRunner.canonical(to);
    Path parentDir = target.getParent();
    if (name.endsWith("/")) {
      return downloadTree(target, parentDir);
    }
    if (Files.isDirectory(target)) {
      throw Cli.usageError(spec, "--to: " + to + " is a directory (expected: a file name; "
          + "for a tree end the name in '/': " + name + "/)");
    }
    if (parentDir == null || !Files.isDirectory(parentDir)) {
      throw Cli.usageError(spec, "--to: directory " + parentDir + " does not exist");
    }
    if (Files.exists(target) && !overwrite) {
      // The engine renames over the target; a finished file must not vanish by accident.
      parent.err().println("client-demo: download failed: " + to + " exists (remove it, choose "
          + "another --to, or add --overwrite)");
      return ExitCodes.of(TransferException.Reason.EXISTS);
    }
    return parent.runner().run(options, "download", (transfers, listener) ->
        transfers.withDownloadFsync(!noFsync).download(name, target, listener));
  }

  private int downloadTree(Path dir, Path parentDir) throws InterruptedException {
    if (overwrite) {
      throw Cli.usageError(spec, "--overwrite is for one file (expected: no --overwrite with a "
          + "tree, PREFIX/)");
    }
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw Cli.usageError(spec, "--to: " + to + " is not a directory (expected: a directory "
          + "for the tree " + name + ")");
    }
    if (parentDir != null && !Files.isDirectory(parentDir)) {
      throw Cli.usageError(spec, "--to: directory " + parentDir + " does not exist");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      parent.err().println("client-demo: download failed: cannot create " + to + ": " + e);
      return ExitCodes.of(TransferException.Reason.IO_ERROR);
    }
    String prefix = name.replaceAll("/+$", "");
    return parent.runner().run(options, "download", transfers -> {
      try (TreeReporter report = parent.treeReporter(options, "download", prefix)) {
        return report.finish(
            transfers.withDownloadFsync(!noFsync).downloadTree(prefix, dir, report));
      }
    });
  }
}
