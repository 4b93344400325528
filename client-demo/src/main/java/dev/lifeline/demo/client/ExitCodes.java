package dev.lifeline.demo.client;

import dev.lifeline.demo.common.Cli;
import dev.lifeline.transfer.TransferException.Reason;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The client's exit codes: one per {@link Reason}, so a script can tell "try again later" from
 * "the name is taken" without parsing messages. The table is printed by {@code --help} and copied
 * into {@code docs/demo.md}; a test keeps the two equal.
 */
final class ExitCodes {
  static final int OK = 0;
  static final int UNEXPECTED = Cli.EXIT_UNEXPECTED;
  static final int USAGE = Cli.EXIT_USAGE;
  /** The --ca file or the --state directory cannot be used. */
  static final int LOCAL_SETUP = 3;
  /**
   * A tree transfer ran to its end but some files did not arrive verified (the rest did; the
   * per-file lines say which and why). Re-running the same command sends only those (a name
   * the server refuses fails again, a file lost to a transient error arrives). Failures of
   * the set as a whole (unreachable, refused, an invalid prefix) keep their reason's code.
   */
  static final int SOME_FILES_FAILED = 19;
  /** SIGINT: what the JVM itself exits with; listed so the table is complete. */
  static final int INTERRUPTED = 130;

  private ExitCodes() {}

  /** The exit code for a transfer that failed for {@code reason}. */
  static int of(Reason reason) {
    // A switch without default: adding a Reason breaks the build until it has its own code.
    return switch (reason) {
      case INVALID_NAME -> 10;
      case TOO_LARGE -> 11;
      case EXISTS -> 12;
      case NOT_FOUND -> 13;
      case DISK_FULL -> 14;
      case HASH_MISMATCH -> 15;
      case REFUSED -> 16;
      case UNREACHABLE -> 17;
      case IO_ERROR -> 18;
    };
  }

  /** What each reason means to the user, and what to do about it. */
  static String describe(Reason reason) {
    return switch (reason) {
      case INVALID_NAME -> "the server refused the name (empty, too long, hidden, control characters or a path)";
      case TOO_LARGE -> "the file is larger than the server accepts";
      case EXISTS -> "the upload's name is taken on the server, or the download's --to file exists (neither is overwritten)";
      case NOT_FOUND -> "no such file: the local file to upload, or the name to download";
      case DISK_FULL -> "the receiving disk is full; free space and re-run to continue";
      case HASH_MISMATCH -> "the received file's SHA-256 differs from the sender's";
      case REFUSED -> "the server refused a new session (authentication, limits); a refused resume is not an error: the transfer starts over in a new session, logged";
      case UNREACHABLE -> "the server could not be reached before the reconnect deadline; re-run to continue";
      case IO_ERROR -> "a local or remote I/O error; re-run to continue";
    };
  }

  /** Code to description, in code order, for {@code --help} and the docs. */
  static Map<String, String> table() {
    Map<String, String> t = new LinkedHashMap<>();
    t.put(String.valueOf(OK), "the file, or every file of a tree, arrived complete and its "
        + "SHA-256 matched end to end (list: the listing was printed)");
    t.put(String.valueOf(UNEXPECTED), "unexpected error (a bug; run with -v for the stack trace)");
    t.put(String.valueOf(USAGE), "bad or missing arguments");
    t.put(String.valueOf(LOCAL_SETUP),
        "the --ca file or the --state directory cannot be used (missing, locked by another run, damaged)");
    for (Reason r : Reason.values()) {
      t.put(String.valueOf(of(r)), r + ": " + describe(r));
    }
    t.put(String.valueOf(SOME_FILES_FAILED), "a tree transfer finished but some of its files "
        + "failed (each one's line says why); the others are verified, a re-run sends only what "
        + "is missing");
    t.put(String.valueOf(INTERRUPTED), "interrupted (Ctrl-C); re-run the same command to continue");
    return t;
  }
}
