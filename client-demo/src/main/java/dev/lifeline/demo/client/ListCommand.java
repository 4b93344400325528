package dev.lifeline.demo.client;

import dev.lifeline.transfer.StoredFile;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code client-demo list [PREFIX] ...}: the complete files the server stores, one line each, in
 * a form a script splits without guessing: {@code SIZE  SHA256  NAME}, two spaces between the
 * fields and the name last and as it is (server names never hold control characters, so a line
 * is always one file). With {@code --json}, one JSON object per line.
 */
@Command(name = "list", sortOptions = false, mixinStandardHelpOptions = true,
    description = {"Lists the complete files the server stores under PREFIX (every file without "
        + "PREFIX), sorted by name, one per line: SIZE  SHA256  NAME (size in bytes, lowercase "
        + "hex SHA-256, the name on the server; two spaces between fields). With --json one "
        + "object per line: {\"file\":NAME,\"bytes\":SIZE,\"sha256\":HEX,\"mtime\":ISO-8601}. "
        + "A prefix that holds nothing prints nothing and exits 0."})
final class ListCommand implements Callable<Integer> {
  @ParentCommand ClientMain parent;

  @Parameters(index = "0", arity = "0..1", paramLabel = "PREFIX", defaultValue = "",
      description = "A tree's name on the server, or one file's (default: everything).")
  String prefix;

  @Mixin ConnectionOptions options;

  @Override
  public Integer call() throws InterruptedException {
    return parent.runner().run(options, "list", transfers -> {
      List<StoredFile> files = transfers.list(prefix);
      PrintStream out = parent.out();
      for (StoredFile f : files) {
        out.println(options.json ? json(f) : line(f));
      }
      out.flush();
      return ExitCodes.OK;
    });
  }

  /** {@code SIZE  SHA256  NAME}. */
  static String line(StoredFile f) {
    return f.size() + "  " + f.sha256() + "  " + f.name();
  }

  /** One JSON object; the keys are those of a tree transfer's per-file lines, plus the time. */
  static String json(StoredFile f) {
    return "{\"file\":" + quote(f.name()) + ",\"bytes\":" + f.size() + ",\"sha256\":\""
        + f.sha256() + "\",\"mtime\":\"" + Instant.ofEpochMilli(f.mtimeMillis()) + "\"}";
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
