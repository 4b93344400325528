package dev.lifeline.demo.client;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

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

  @Mixin ConnectionOptions options;

  @Override
  public Integer call() throws InterruptedException {
    Path target = TransferRunner.canonical(to);
    return parent.runner().run(options, "download", (transfers, listener) ->
        transfers.download(name, target, listener));
  }
}
