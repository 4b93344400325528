package dev.lifeline.examples.shipper;

import dev.lifeline.demo.common.Cli;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shipper client's exit codes, one per kind of failure, so that a script can tell "re-run
 * later" (unreachable) from "a person must decide" (refused resume, a state directory of another
 * job). {@code --help} prints the table.
 */
public final class ShipperExitCodes {
  /** Every record is durably stored on the server. */
  public static final int OK = 0;
  public static final int UNEXPECTED = Cli.EXIT_UNEXPECTED;
  public static final int USAGE = Cli.EXIT_USAGE;
  /** The --ca file or the --state directory cannot be used (missing, locked, damaged). */
  public static final int LOCAL_SETUP = 3;
  /** The server refused to resume this client's session; nothing was sent again. */
  public static final int REFUSED = 4;
  /** The server could not be reached before the reconnect deadline; re-run to continue. */
  public static final int UNREACHABLE = 5;
  /** The --state directory belongs to another job (another --records count). */
  public static final int STATE_MISMATCH = 6;
  /** The outbox in --state could not be written (e.g. a full disk); free space and re-run. */
  public static final int STATE_WRITE_FAILED = 7;
  /** The server ended the session: its file or store failed, or it serves another shipper. */
  public static final int SERVER_FAILED = 8;

  private ShipperExitCodes() {}

  /** Code to description, in code order, for {@code --help}. */
  public static Map<String, String> table() {
    Map<String, String> t = new LinkedHashMap<>();
    t.put(String.valueOf(OK), "every record is durably stored on the server");
    t.put(String.valueOf(UNEXPECTED), "unexpected error (a bug; run with -v for details)");
    t.put(String.valueOf(USAGE), "bad or missing arguments");
    t.put(String.valueOf(LOCAL_SETUP),
        "the --ca file or the --state directory cannot be used (missing, locked, damaged)");
    t.put(String.valueOf(REFUSED), "the server refused to resume this job's session "
        + "(it lost or expired it); nothing was sent again, see the message");
    t.put(String.valueOf(UNREACHABLE),
        "the server could not be reached before --reconnect-deadline; re-run to continue");
    t.put(String.valueOf(STATE_MISMATCH),
        "--state holds another job (a different --records); use another --state");
    t.put(String.valueOf(STATE_WRITE_FAILED),
        "the outbox in --state could not be written (a full disk?); free space and re-run");
    t.put(String.valueOf(SERVER_FAILED),
        "the server ended the session (its file or store failed, or it serves another shipper)");
    return t;
  }
}
