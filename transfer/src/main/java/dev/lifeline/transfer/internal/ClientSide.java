package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.SessionRefusedException;
import dev.lifeline.SessionStats;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TransferResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What uploads and downloads share on the client: resume keys, opening, results, errors. */
final class ClientSide {
  private static final Logger log = LoggerFactory.getLogger(ClientSide.class);

  private ClientSide() {}

  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  /** A resume key that names one transfer: direction, server, remote name and local path. */
  static String resumeKey(String direction, String server, String name, String localPath) {
    byte[] h = Hashing.sha256().digest((server + "\0" + name + "\0" + localPath)
        .getBytes(StandardCharsets.UTF_8));
    return direction + "-" + Hashing.hex(h).substring(0, 40);
  }

  static Session open(LifelineClient client, String key, SessionHandler handler)
      throws TransferException, InterruptedException {
    try {
      return client.open(key, handler).get();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof SessionRefusedException refused)) {
        throw failure(e.getCause());
      }
      // The server forgot the transfer's session (it expired, or the server lost its store).
      // A file transfer may start over: the server keeps nothing unverified, and both ends
      // check the SHA-256 of the whole file. So this application chooses a new session.
      log.warn("{}; starting the transfer over in a new session", refused.getMessage());
    }
    try {
      return client.openNew(key, handler).get();
    } catch (ExecutionException e) {
      throw failure(e.getCause());
    }
  }

  /** Maps a session failure to the transfer's reason. */
  static TransferException failure(Throwable t) {
    if (t instanceof TransferException te) {
      return te;
    }
    if (t instanceof SessionRefusedException r) {
      return new TransferException(Reason.REFUSED, "server refused the session: " + r.getMessage(),
          r);
    }
    if (t instanceof LifelineException l) {
      return new TransferException(Reason.UNREACHABLE, l.getMessage(), l);
    }
    return new TransferException(Reason.IO_ERROR, String.valueOf(t.getMessage()), t);
  }

  static TransferResult result(String name, long size, byte[] sha, long startNanos,
      SessionStats s, long resumedFrom) {
    return new TransferResult(name, size, Hashing.hex(sha),
        (System.nanoTime() - startNanos) / 1e9, s.reconnects(), s.tlsFull(), s.tlsResumed(),
        s.resentBytes(), resumedFrom);
  }

  /** Ends the session on both sides, waiting a bounded time; failures here change nothing. */
  static void closeQuietly(Session session) {
    try {
      session.close(CLOSE_TIMEOUT).get();
    } catch (ExecutionException e) {
      // the transfer's outcome is already decided
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
