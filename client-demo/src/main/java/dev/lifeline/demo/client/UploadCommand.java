package dev.lifeline.demo.client;

import dev.lifeline.transfer.TransferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code client-demo upload FILE [--name NAME] ...}. */
@Command(name = "upload", sortOptions = false, mixinStandardHelpOptions = true,
    description = "Uploads FILE. Interrupted (killed, network lost)? Run the same command again "
        + "with the same --state: it continues from the server's last checkpoint.")
final class UploadCommand implements Callable<Integer> {
  @ParentCommand ClientMain parent;

  @Parameters(index = "0", paramLabel = "FILE", description = "The file to upload.")
  Path file;

  @Option(names = "--name", paramLabel = "NAME",
      description = "Its name on the server (default: FILE's own name).")
  String name;

  @Mixin ConnectionOptions options;

  @Override
  public Integer call() throws InterruptedException {
    Path source = TransferRunner.canonical(file);
    String target = name != null ? name : String.valueOf(source.getFileName());
    if (!Files.isRegularFile(source) || !Files.isReadable(source)) {
      parent.err().println("client-demo: upload failed: " + file + " is not a readable file");
      return ExitCodes.of(TransferException.Reason.NOT_FOUND);
    }
    return parent.runner().run(options, "upload", (transfers, listener) ->
        transfers.upload(source, target, listener));
  }
}
