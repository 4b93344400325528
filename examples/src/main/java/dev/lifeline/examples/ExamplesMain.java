package dev.lifeline.examples;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.demo.common.DemoLogging;
import dev.lifeline.examples.shipper.ShipperClientCommand;
import dev.lifeline.examples.shipper.ShipperExitCodes;
import dev.lifeline.examples.shipper.ShipperServerCommand;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code lifeline-examples.jar}: small programs built on Lifeline as a user would build them.
 *
 * <pre>
 * java -jar lifeline-examples.jar shipper-server --port 7443 --data-dir data --out records.txt
 * java -jar lifeline-examples.jar shipper-client --server 127.0.0.1:7443 --ca data/tls/ca.pem \
 *     --state state --records 200000
 * </pre>
 */
@Command(name = "lifeline-examples", mixinStandardHelpOptions = true,
    description = "Examples built on Lifeline: the telemetry shipper (shipper-server, "
        + "shipper-client) moves numbered records exactly once through kills of either side.")
public final class ExamplesMain implements Callable<Integer> {
  static final String PROGRAM = "lifeline-examples";

  @Spec CommandSpec spec;

  private ExamplesMain() {}

  public static void main(String[] args) {
    // The server reports what it does; a client speaks only when something is wrong.
    boolean server = args.length > 0 && args[0].equals("shipper-server");
    DemoLogging.useDefaults(server ? "INFO" : "WARN");
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command; returns its exit code. Usable in-process: it never calls System.exit. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new ExamplesMain());
    cl.addSubcommand(new ShipperServerCommand(out, err));
    cl.addSubcommand(new ShipperClientCommand(out, err));
    Cli.configure(cl, PROGRAM, out, err);
    cl.getSubcommands().get("shipper-client").getCommandSpec().usageMessage()
        .exitCodeListHeading("%nExit codes:%n").exitCodeList(ShipperExitCodes.table());
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    throw Cli.usageError(spec, "missing command (expected: shipper-server or shipper-client)");
  }
}
