package dev.lifeline.demo.common;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine;

/**
 * The picocli plumbing both demos share. Its point is the error contract: a bad command line
 * prints one line naming the option, the value and the expected form, never a stack trace or a
 * page of usage, and exits with {@link #EXIT_USAGE}; scripts and people both read that line.
 *
 * <pre>{@code
 * CommandLine cl = Cli.configure(new CommandLine(new MyCommand()), "my-demo", System.out, System.err);
 * System.exit(cl.execute(args));
 * }</pre>
 */
public final class Cli {
  /** Bad or missing arguments. The same in both demos, and picocli's own convention. */
  public static final int EXIT_USAGE = 2;
  /** A bug or something nobody planned for; the message says to re-run with -v. */
  public static final int EXIT_UNEXPECTED = 1;

  private Cli() {}

  /**
   * Installs the duration converter, one-line error handlers, and {@code out}/{@code err} as the
   * streams for help and errors.
   */
  public static CommandLine configure(CommandLine cl, String program, PrintStream out,
      PrintStream err) {
    cl.registerConverter(Duration.class, new DurationConverter());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    cl.setParameterExceptionHandler((ex, args) -> {
      ex.getCommandLine().getErr().println(program + ": " + ex.getMessage()
          + " (see " + program + " --help)");
      return EXIT_USAGE;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      // Expected failures are turned into exit codes by the commands themselves; this is for
      // the rest, so keep the one line and let -v show where it came from.
      commandLine.getErr().println(program + ": unexpected error: " + ex
          + (isVerbose(parseResult) ? "" : " (run with -v for details)"));
      if (isVerbose(parseResult)) {
        ex.printStackTrace(commandLine.getErr());
      }
      return EXIT_UNEXPECTED;
    });
    return cl;
  }

  private static boolean isVerbose(CommandLine.ParseResult parseResult) {
    for (CommandLine.ParseResult p = parseResult; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("-v")) {
        return true;
      }
    }
    return false;
  }

  /** A picocli error for a value that failed a check done after parsing (cert without key...). */
  public static CommandLine.ParameterException usageError(CommandLine.Model.CommandSpec spec,
      String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /**
   * A list option such as {@code --tls-groups x25519,secp256r1}: items separated by commas or (as
   * in OpenSSL's and curl's lists) colons, blanks around them ignored.
   *
   * @throws CommandLine.TypeConversionException when an item is empty
   */
  public static String[] splitList(String value) {
    String[] items = value.split("[,:]", -1);
    for (int i = 0; i < items.length; i++) {
      items[i] = items[i].trim();
      if (items[i].isEmpty()) {
        throw new CommandLine.TypeConversionException("'" + value
            + "' has an empty item (expected: names separated by ',' or ':')");
      }
    }
    return items;
  }

  /**
   * {@code --tls-groups LIST} of either demo: checked as the library checks it (names, and that
   * TLS 1.2, which the demos also use, has a group), so a bad list is a usage error (exit 2).
   * Gives the normalised names separated by ','.
   */
  public static final class TlsGroupsConverter implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String[] groups = splitList(value);
      try {
        dev.lifeline.ServerTlsConfig.builder().developmentCertificates(java.nio.file.Path.of("."))
            .keyExchangeGroups(groups).build();
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new CommandLine.TypeConversionException(
            e.getMessage().replaceFirst("^keyExchangeGroups:? ?", "")
                .replace(", or protocols(\"TLSv1.3\") only", "; the demo also serves TLS 1.2"));
      }
      return String.join(",", groups);
    }
  }

  /** {@code --idle-timeout 2s}: see {@link Units#parseDuration}. */
  public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Units.parseDuration(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code --max-file-size 10G}: see {@link Units#parseSize}. */
  public static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return Units.parseSize(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
