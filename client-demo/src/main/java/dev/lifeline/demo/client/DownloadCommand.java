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

/** {@code client-demo download NAME --to FILE ...}. */
@Command(name = "download", sortOptions = false, mixinStandardHelpOptions = true,
    description = "Downloads NAME to FILE (written as FILE.part, renamed once its SHA-256 "
        + "matched). Interrupted? Run the same command again with the same --state.")
final class DownloadCommand implements Callable<Integer> {
  @ParentCommand ClientMain parent;

  @Parameters(index = "0", paramLabel = "NAME", description = "The file's name on the server.")
  String name;

  @Option(names = "--to", required = true, paramLabel = "FILE", description = "Where to write it.")
  Path to;

  @Option(names = "--overwrite",
      description = "Replace FILE if it exists (default: refuse, exit code 12).")
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
    if (Files.isDirectory(target)) {
      throw Cli.usageError(spec, "--to: " + to + " is a directory (expected: a file name)");
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
}
