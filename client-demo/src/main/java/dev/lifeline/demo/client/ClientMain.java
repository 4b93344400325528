package dev.lifeline.demo.client;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.demo.common.DemoLogging;
import dev.lifeline.demo.common.NettyDefaults;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code client-demo.jar}: uploads and downloads files and trees to a server-demo and lists what
 * it stores, surviving cuts, a restart of the server and a restart of itself (re-run the same
 * command). Exits 0 only when every file's SHA-256 matched end to end; see {@link ExitCodes} and
 * {@code docs/demo.md}.
 */
@Command(name = "client-demo", mixinStandardHelpOptions = true, version = "client-demo 0.1",
    description = "Resumable, verified file transfer over TLS with a server-demo.",
    footer = {"", "Examples:",
        "  client-demo upload big.iso --server 127.0.0.1:7443 --ca data/tls/ca.pem",
        "  client-demo download big.iso --to copy.iso --server 127.0.0.1:7443 --ca data/tls/ca.pem",
        "  client-demo upload photos/ --name photos --server 127.0.0.1:7443 --ca data/tls/ca.pem",
        "  client-demo download photos/ --to copy --server 127.0.0.1:7443 --ca data/tls/ca.pem",
        "  client-demo list photos --server 127.0.0.1:7443 --ca data/tls/ca.pem"})
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
    NettyDefaults.apply();
    StartupWork.begin();
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command; returns its exit code. Usable in-process: it never calls System.exit. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new ClientMain(out, err));
    // picocli builds the model of every registered subcommand by reflection before it parses,
    // and its classes cannot be in the launcher's class-data archive (class file version 49):
    // a run that names its subcommand first, as every transfer does, registers only that one.
    // Anything else (no arguments, --help, a misspelt command) gets both, so help and
    // suggestions are unchanged.
    String first = args.length > 0 ? args[0] : "";
    boolean all = !List.of("upload", "download", "list").contains(first);
    if (all || first.equals("upload")) {
      cl.addSubcommand(new UploadCommand());
    }
    if (all || first.equals("download")) {
      cl.addSubcommand(new DownloadCommand());
    }
    if (all || first.equals("list")) {
      cl.addSubcommand(new ListCommand());
    }
    Cli.configure(cl, "client-demo", out, err);
    for (CommandLine c : cl.getSubcommands().values()) {
      exitCodes(c);
    }
    exitCodes(cl);
    return cl.execute(args);
  }

  private static void exitCodes(CommandLine c) {
    c.getCommandSpec().usageMessage()
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(ExitCodes.table());
  }

  @Override
  public Integer call() {
    throw Cli.usageError(spec, "missing command (expected: upload, download or list)");
  }

  PrintStream out() {
    return out;
  }

  PrintStream err() {
    return err;
  }

  /** The listener and printer of one tree transfer. */
  TreeReporter treeReporter(ConnectionOptions o, String verb, String prefix) {
    return new TreeReporter(out, err, o.json, !o.json && ProgressReporter.onTerminal(), verb,
        prefix);
  }

  TransferRunner runner() {
    return new TransferRunner(out, err);
  }
}
