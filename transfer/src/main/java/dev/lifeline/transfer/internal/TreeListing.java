package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.StoredFile;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listing what a server stores under a prefix: the server's walk and answer (LIST → LISTING...
 * LIST_END, {@link TreeMessages}), the codec, and the client's collector, which refuses a listing
 * whose names could leave the directory a download writes into.
 */
public final class TreeListing {
  private static final Logger log = LoggerFactory.getLogger(TreeListing.class);
  private static final byte[] NO_SHA = new byte[TransferDescriptor.SHA_BYTES];
  // LISTING messages are cut at about this many bytes.
  private static final int MESSAGE_BYTES = 64 * 1024;

  private TreeListing() {}

  /**
   * One stored file, or an empty directory ({@code directory}, size 0, zero SHA-256), named by its
   * full tree name ({@code prefix/a/b}).
   */
  public record Entry(boolean directory, long size, long mtime, byte[] sha, String name) {
    public StoredFile toStoredFile() {
      return new StoredFile(name, size, Hashing.hex(sha), mtime);
    }
  }

  // ---------------------------------------------------------------- server

  /**
   * What the server stores under {@code prefix}, sorted by name: complete files (their SHA-256
   * from the sidecars, computed once) and empty directories. Names starting with '.' (the
   * server's own {@code .partial} and {@code .meta}, and anything else hidden) and symbolic links
   * are left out. A prefix naming one file lists that file; a prefix naming nothing lists nothing.
   *
   * @throws TransferException INVALID_NAME for a prefix that is not a tree name
   */
  static List<Entry> walk(Path filesDir, String prefix, Checksums checksums)
      throws IOException, TransferException {
    String p = stripSlashes(prefix);
    Path root = p.isEmpty() ? filesDir : FileNames.resolveTree(filesDir, p);
    List<Entry> out = new ArrayList<>();
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    if (Files.isRegularFile(root, LinkOption.NOFOLLOW_LINKS)) {
      out.add(fileEntry(root, p, checksums));
      return out;
    }
    walkDir(filesDir, root, checksums, out);
    out.sort(Comparator.comparing(Entry::name));
    return out;
  }

  private static void walkDir(Path filesDir, Path dir, Checksums checksums, List<Entry> out)
      throws IOException {
    List<Path> children;
    try (Stream<Path> s = Files.list(dir)) {
      // Hidden names are the server's own (.partial, .meta); a name the rules refuse (placed by
      // hand) is left out too, or every client would refuse the whole listing because of it.
      children = s.filter(c -> FileNames.treeProblem(c.getFileName().toString()) == null)
          .toList();
    }
    boolean any = false;
    for (Path c : children) {
      BasicFileAttributes a = Files.readAttributes(c, BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS);
      if (a.isRegularFile()) {
        out.add(fileEntry(c, filesDir.relativize(c).toString(), checksums));
        any = true;
      } else if (a.isDirectory()) {
        walkDir(filesDir, c, checksums, out);
        any = true;
      }
    }
    if (!any && !dir.equals(filesDir)) {
      out.add(new Entry(true, 0, Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS)
          .toMillis(), NO_SHA, filesDir.relativize(dir).toString()));
    }
  }

  private static Entry fileEntry(Path file, String name, Checksums checksums)
      throws IOException {
    byte[] sha = checksums.of(file);
    return new Entry(false, Files.size(file), Files.getLastModifiedTime(file).toMillis(), sha,
        name);
  }

  /** Answers LIST on the server's sender threads: LISTING messages, then LIST_END. */
  static void answer(Session session, ByteBuffer m, TransferService service) {
    String prefix;
    try {
      prefix = TransferDescriptor.str16(m, FileNames.MAX_TREE_BYTES * 4);
    } catch (TransferException | BufferUnderflowException e) {
      prefix = null;
    }
    String asked = prefix;
    service.senders().execute(() -> {
      try {
        List<Entry> entries;
        String failure = null;
        Reason reason = Reason.IO_ERROR;
        try {
          entries = asked == null ? List.of() : walk(service.filesDir(), asked, service.checksums());
          if (asked == null) {
            failure = "malformed LIST";
          }
        } catch (TransferException e) {
          entries = List.of();
          failure = e.getMessage();
          reason = e.reason();
        } catch (IOException e) {
          log.warn("session {}: cannot list {}: {}", session.id(), FileNames.printable(asked),
              e.toString());
          entries = List.of();
          failure = "cannot list: " + e.getMessage();
        }
        for (byte[] msg : encode(entries)) {
          sendAfterRewind(session, msg);
        }
        sendAfterRewind(session, end(entries.size(), failure, reason));
      } catch (LifelineException e) {
        // the session ended; the client asks again in its next one
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  private static void sendAfterRewind(Session session, byte[] message)
      throws LifelineException, InterruptedException {
    try {
      session.send(message);
    } catch (StreamRewoundException e) {
      session.send(message);
    }
  }

  // ---------------------------------------------------------------- codec

  static byte[] list(String prefix) {
    byte[] n = prefix.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + 2 + n.length).put(TreeMessages.LIST)
        .putShort((short) n.length).put(n).array();
  }

  /** The LISTING messages for {@code entries} (none for an empty list). */
  static List<byte[]> encode(List<Entry> entries) {
    List<byte[]> out = new ArrayList<>();
    int i = 0;
    while (i < entries.size()) {
      List<byte[]> names = new ArrayList<>();
      int bytes = 5;
      int start = i;
      while (i < entries.size() && (i == start || bytes < MESSAGE_BYTES)) {
        byte[] n = entries.get(i).name().getBytes(StandardCharsets.UTF_8);
        names.add(n);
        bytes += 1 + 16 + TransferDescriptor.SHA_BYTES + 2 + n.length;
        i++;
      }
      ByteBuffer b = ByteBuffer.allocate(bytes).put(TreeMessages.LISTING).putInt(names.size());
      for (int k = 0; k < names.size(); k++) {
        Entry e = entries.get(start + k);
        b.put((byte) (e.directory() ? 1 : 0)).putLong(e.size()).putLong(e.mtime())
            .put(e.sha()).putShort((short) names.get(k).length).put(names.get(k));
      }
      out.add(b.array());
    }
    return out;
  }

  /** LIST_END; its status is 0, or 1 + the ordinal of the {@link Reason} the listing failed for. */
  static byte[] end(int total, String failure, Reason reason) {
    byte[] n = (failure == null ? "" : failure).getBytes(StandardCharsets.UTF_8);
    if (n.length > 1024) {
      n = java.util.Arrays.copyOf(n, 1024);
    }
    return ByteBuffer.allocate(1 + 4 + 1 + 2 + n.length).put(TreeMessages.LIST_END).putInt(total)
        .put((byte) (failure == null ? 0 : 1 + reason.ordinal())).putShort((short) n.length)
        .put(n).array();
  }

  // ---------------------------------------------------------------- client

  /**
   * Collects one listing on the client: feed it every message; it takes LISTING and LIST_END and
   * completes {@link #result()} at LIST_END. Every name must be a tree name under the prefix asked
   * for; anything else (a {@code ..}, an absolute path, a name outside the prefix, a malformed
   * message) fails the listing with INVALID_NAME before anything is written.
   */
  public static final class Collector {
    private final String prefix;
    private final List<Entry> entries = new ArrayList<>();
    private final CompletableFuture<List<Entry>> result = new CompletableFuture<>();

    public Collector(String prefix) {
      this.prefix = stripSlashes(prefix);
    }

    /** Takes {@code m} if it is part of a listing (its type byte still unread); else false. */
    public synchronized boolean accept(ByteBuffer m) {
      if (!m.hasRemaining()) {
        return false;
      }
      byte type = m.get(m.position());
      if (type != TreeMessages.LISTING && type != TreeMessages.LIST_END) {
        return false;
      }
      if (result.isDone()) {
        return true; // a listing answered twice (a LIST sent again after a rewind)
      }
      ByteBuffer b = m.duplicate();
      b.get();
      try {
        if (type == TreeMessages.LISTING) {
          int count = b.getInt();
          for (int i = 0; i < count; i++) {
            boolean dir = b.get() == 1;
            long size = b.getLong();
            long mtime = b.getLong();
            byte[] sha = new byte[TransferDescriptor.SHA_BYTES];
            b.get(sha);
            String name = TransferDescriptor.str16(b, FileNames.MAX_TREE_BYTES * 4);
            check(name, size);
            entries.add(new Entry(dir, size, mtime, sha, name));
          }
        } else {
          b.getInt();
          int status = b.get() & 0xff;
          String message = TransferDescriptor.str16(b, 4096);
          if (status != 0) {
            Reason[] reasons = Reason.values();
            Reason reason = status - 1 < reasons.length ? reasons[status - 1] : Reason.IO_ERROR;
            result.completeExceptionally(new TransferException(reason,
                "server could not list " + FileNames.printable(prefix) + ": " + message));
          } else {
            entries.sort(Comparator.comparing(Entry::name));
            result.complete(List.copyOf(entries));
          }
        }
      } catch (TransferException e) {
        result.completeExceptionally(e);
      } catch (BufferUnderflowException e) {
        result.completeExceptionally(new TransferException(Reason.INVALID_NAME,
            "malformed listing from the server"));
      }
      return true;
    }

    private void check(String name, long size) throws TransferException {
      String problem = FileNames.treeProblem(name);
      if (problem == null && !prefix.isEmpty() && !name.equals(prefix)
          && !name.startsWith(prefix + "/")) {
        problem = "it is not under " + FileNames.printable(prefix);
      }
      if (problem == null && size < 0) {
        problem = "negative size";
      }
      if (problem != null) {
        throw new TransferException(Reason.INVALID_NAME, "server listed "
            + FileNames.printable(name) + ", refused: " + problem);
      }
    }

    /** Forgets what arrived: the LIST is being sent again (after a rewind). */
    public synchronized void restart() {
      if (!result.isDone()) {
        entries.clear();
      }
    }

    public CompletableFuture<List<Entry>> result() {
      return result;
    }
  }

  /** Lists what the server stores under {@code prefix} in a session of its own. */
  public static List<StoredFile> list(LifelineClient client, String prefix)
      throws TransferException, InterruptedException {
    Collector collector = new Collector(prefix);
    byte[] ask = list(stripSlashes(prefix));
    SessionHandler handler = new SessionHandler() {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer message) {
        collector.accept(message);
      }

      @Override
      public void onOutboundRewind(Session session, Checkpoint checkpoint) {
        // the server lost the LIST (it restarted): ask again
        collector.restart();
        try {
          session.trySend(ask);
        } catch (LifelineException e) {
          collector.result().completeExceptionally(ClientSide.failure(e));
        }
      }

      @Override
      public void onClosed(Session session, Throwable cause) {
        if (cause != null) {
          collector.result().completeExceptionally(ClientSide.failure(cause));
        }
      }
    };
    byte[] r = new byte[12];
    new SecureRandom().nextBytes(r);
    Session session = ClientSide.open(client, "list-" + Hashing.hex(r), handler);
    try {
      try {
        session.send(ask);
      } catch (StreamRewoundException e) {
        session.send(ask);
      }
      List<Entry> entries = collector.result().get();
      List<StoredFile> out = new ArrayList<>();
      for (Entry e : entries) {
        if (!e.directory()) {
          out.add(e.toStoredFile());
        }
      }
      return out;
    } catch (LifelineException e) {
      throw ClientSide.failure(e);
    } catch (ExecutionException e) {
      throw ClientSide.failure(e.getCause());
    } finally {
      ClientSide.closeQuietly(session);
    }
  }

  static String stripSlashes(String prefix) {
    String p = prefix;
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    return p;
  }
}
