package dev.lifeline.demo.client;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.demo.common.DemoLogging;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code client-demo.jar}: uploads and downloads files to a server-demo, surviving cuts, a
 * restart of the server and a restart of itself (re-run the same command). Exits 0 only when the
 * file's SHA-256 matched end to end; see {@link ExitCodes} and {@code docs/demo.md}.
 */
@Command(name = "client-demo", mixinStandardHelpOptions = true, version = "client-demo 0.1",
    subcommands = {UploadCommand.class, DownloadCommand.class},
    description = "Resumable, verified file transfer over TLS with a server-demo.",
    footer = {"", "Examples:",
        "  client-demo upload big.iso --server 127.0.0.1:7443 --ca data/tls/ca.pem",
        "  client-demo download big.iso --to copy.iso --server 127.0.0.1:7443 --ca data/tls/ca.pem"})
public final class ClientMain implements Callable<Integer> {
  @Spec CommandSpec spec;

  private final PrintStream out;
  private final PrintStream err;

  ClientMain(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    DemoLogging.useDefaults("WARN");
    StartupWork.begin();
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command; returns its exit code. Usable in-process: it never calls System.exit. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = Cli.configure(new CommandLine(new ClientMain(out, err)), "client-demo", out, err);
    for (CommandLine c : new CommandLine[] {cl, cl.getSubcommands().get("upload"),
        cl.getSubcommands().get("download")}) {
      c.getCommandSpec().usageMessage()
          .exitCodeListHeading("%nExit codes:%n")
          .exitCodeList(ExitCodes.table());
    }
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    throw Cli.usageError(spec, "missing command (expected: upload or download)");
  }

  PrintStream err() {
    return err;
  }

  TransferRunner runner() {
    return new TransferRunner(out, err);
  }
}
