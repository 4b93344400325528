package dev.lifeline.transfer.internal;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineException;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.StreamRewoundException;
import dev.lifeline.store.Checkpoint;
import dev.lifeline.transfer.TransferException;
import dev.lifeline.transfer.TransferException.Reason;
import dev.lifeline.transfer.TransferListener;
import dev.lifeline.transfer.TransferResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The client side of an upload. Reads the file in 256 KiB chunks, hashes as it sends, and lets
 * the session's replay buffer carry it across cuts. When the server lost data (it restarted) or
 * this process is a re-run, the stream rewinds to the server's checkpoint: the upload checks that
 * the file still starts with the bytes the server holds (SHA-256 of that prefix), then continues
 * from there. A file that changed since the upload began restarts it from zero, saying why.
 */
public final class Upload {
  private final LifelineClient client;
  private final Path path;
  private final String name;
  private final TransferListener listener;
  private final String key;
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private final ChunkBuffers buffers = ChunkBuffers.forChunks(512);
  private long size;
  private long mtime;
  private long offset;
  private MessageDigest digest;
  // Where this run continued a transfer a lost process had begun (0: it did not); the first
  // such offset. Written by the sending thread (rewind) and the session's (CONTINUING).
  private long resumedFrom; // guarded by this
  // Sessions opened so far; a CONTINUING counts only from the current one. Guarded by this.
  private int attempt;

  private record Done(byte[] sha) {}

  private record Failed(TransferException error) {}

  private record Rewound(Checkpoint checkpoint) {}

  private Upload(LifelineClient client, String server, Path file, String name,
      TransferListener listener) {
    this.client = client;
    this.path = file.toAbsolutePath().normalize();
    this.name = name;
    this.listener = listener;
    this.key = ClientSide.resumeKey("up", server, name, path.toString());
  }

  public static TransferResult run(LifelineClient client, String server, Path file, String name,
      TransferListener listener) throws TransferException, InterruptedException {
    return new Upload(client, server, file, name, listener).run();
  }

  private TransferResult run() throws TransferException, InterruptedException {
    long start = System.nanoTime();
    try (FileChannel file = FileChannel.open(path, StandardOpenOption.READ)) {
      while (true) {
        size = Files.size(path);
        mtime = Files.getLastModifiedTime(path).toMillis();
        Session session = ClientSide.open(client, key, handler(nextAttempt()));
        String changed = changedSince(session);
        if (changed != null) {
          listener.restarted(changed);
          ClientSide.closeQuietly(session);
          continue;
        }
        session.setAttributes(attributes()).join();
        try {
          byte[] sha = send(session, file);
          ClientSide.closeQuietly(session);
          return ClientSide.result(name, size, sha, start, session.stats(), resumedFrom());
        } catch (SourceChanged e) {
          listener.restarted(e.getMessage());
          ClientSide.closeQuietly(session);
        } catch (TransferException e) {
          if (e.reason() == Reason.DISK_FULL || e.reason() == Reason.UNREACHABLE) {
            session.abort();
          } else {
            ClientSide.closeQuietly(session);
          }
          throw e;
        }
      }
    } catch (NoSuchFileException e) {
      throw new TransferException(Reason.NOT_FOUND, "no file " + path);
    } catch (TransferException e) {
      throw e;
    } catch (IOException e) {
      throw new TransferException(Reason.IO_ERROR, "cannot read " + path + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * Notes that the transfer continued from {@code offset}: this process rewound to the server's
   * checkpoint (a re-run, or a server restart that outran the replay buffer), or the server said
   * it continues from there (CONTINUING, after its restart, while this side replays from memory).
   */
  private synchronized void continuedFrom(long offset) {
    if (resumedFrom == 0) {
      resumedFrom = offset;
    }
  }

  /** As {@link #continuedFrom(long)}, unless the session of {@code attemptOf} was given up. */
  private synchronized void continuedFrom(int attemptOf, long offset) {
    if (attemptOf == attempt) {
      continuedFrom(offset);
    }
  }

  /** A session for a new attempt: the first, or one that starts over (from offset 0). */
  private synchronized int nextAttempt() {
    resumedFrom = 0;
    return ++attempt;
  }

  private synchronized long resumedFrom() {
    return resumedFrom;
  }

  /** Thrown when the local file no longer matches what the server holds of it. */
  private static final class SourceChanged extends Exception {
    private static final long serialVersionUID = 1L;

    SourceChanged(String message) {
      super(message);
    }
  }

  private SessionHandler handler(int attemptOf) {
    return new SessionHandler() {
      @Override
      public void onMessage(Session session, long seq, ByteBuffer m) {
        // Record that this answer was consumed before acting on it: a later run of the same
        // upload resumes after it instead of having the old answer replayed to it. The state is
        // the answer's type, so a server that lost its replay buffer knows whether its DONE
        // arrived (see UploadReceiver.outboundRewound).
        byte type = m.get();
        session.checkpoint(seq, new byte[] {type}).join();
        if (type == TransferDescriptor.DONE) {
          events.add(new Done(TransferDescriptor.sha(m)));
        } else if (type == TransferDescriptor.ERROR) {
          events.add(new Failed(TransferDescriptor.errorOf(m)));
        } else if (type == TransferDescriptor.CONTINUING) {
          continuedFrom(attemptOf, m.getLong());
        }
      }

      @Override
      public void onOutboundRewind(Session session, Checkpoint checkpoint) {
        events.add(new Rewound(checkpoint));
      }

      @Override
      public void onResumed(Session session) {
        listener.reconnected(session.stats().reconnects());
      }

      @Override
      public void onClosed(Session session, Throwable cause) {
        if (cause != null) {
          events.add(new Failed(ClientSide.failure(cause)));
        }
      }
    };
  }

  private byte[] attributes() {
    return ByteBuffer.allocate(16).putLong(size).putLong(mtime).array();
  }

  /** Why a re-run must start over, or null: the file's size or time differ from the first run. */
  private String changedSince(Session session) {
    byte[] a = session.attributes();
    if (a.length != 16) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(a);
    long oldSize = b.getLong();
    long oldTime = b.getLong();
    if (oldSize != size || oldTime != mtime) {
      return path + " changed since the upload began (size " + oldSize + " -> " + size
          + ", modified " + oldTime + " -> " + mtime + "); starting over";
    }
    return null;
  }

  private byte[] send(Session session, FileChannel file)
      throws TransferException, SourceChanged, InterruptedException, IOException {
    offset = 0;
    digest = Hashing.sha256();
    sendOrRewind(session, file, TransferDescriptor.upload(size, mtime, name));
    listener.started(name, size, offset);
    while (true) {
      while (offset < size) {
        pollEvents();
        int n = (int) Math.min(TransferDescriptor.CHUNK_BYTES, size - offset);
        ByteBuffer chunk = buffers.readChunk(file, offset, n);
        if (chunk == null) {
          throw new SourceChanged(path + " shrank while being uploaded; starting over");
        }
        // Hashed before it is sent (from then on the buffer is the session's to read). If the
        // send fails on a rewind, rewind() has replaced the digest and the offset anyway.
        digest.update(chunk.duplicate().position(TransferDescriptor.CHUNK_HEADER));
        CompletableFuture<Void> sent = sendOrRewind(session, file, chunk);
        if (sent == null) {
          buffers.give(chunk);
          continue;
        }
        buffers.giveWhenDone(sent, chunk);
        offset += n;
        listener.progress(offset);
      }
      byte[] sha = Hashing.peek(digest);
      if (sendOrRewind(session, file, TransferDescriptor.end(sha)) == null) {
        continue;
      }
      byte[] confirmed = awaitDone(session, file);
      if (confirmed == null) {
        continue;
      }
      if (!MessageDigest.isEqual(confirmed, sha)) {
        throw new TransferException(Reason.HASH_MISMATCH, "server stored SHA-256 "
            + Hashing.hex(confirmed) + " but the file's is " + Hashing.hex(sha));
      }
      return sha;
    }
  }

  /** Sends, or on a rewind moves {@code offset} back and returns null. */
  private CompletableFuture<Void> sendOrRewind(Session session, FileChannel file, byte[] message)
      throws TransferException, SourceChanged, InterruptedException, IOException {
    return sendOrRewind(session, file, ByteBuffer.wrap(message));
  }

  private CompletableFuture<Void> sendOrRewind(Session session, FileChannel file,
      ByteBuffer message)
      throws TransferException, SourceChanged, InterruptedException, IOException {
    try {
      return session.send(message);
    } catch (StreamRewoundException e) {
      rewind(session, file, e.checkpoint());
      return null;
    } catch (LifelineException e) {
      throw ClientSide.failure(e);
    }
  }

  private void rewind(Session session, FileChannel file, Checkpoint cp)
      throws SourceChanged, TransferException, InterruptedException, IOException {
    TransferState st = TransferState.decode(cp.state());
    if (st == null) {
      offset = 0;
      digest = Hashing.sha256();
      try {
        session.send(TransferDescriptor.upload(size, mtime, name));
      } catch (StreamRewoundException again) {
        rewind(session, file, again.checkpoint());
      } catch (LifelineException e) {
        throw ClientSide.failure(e);
      }
      return;
    }
    if (st.size() != size || st.mtime() != mtime || st.offset() > size) {
      throw new SourceChanged(path + " changed since the upload began; starting over");
    }
    MessageDigest d = Hashing.prefix(file, st.offset());
    byte[] prefix = Hashing.peek(d);
    if (!MessageDigest.isEqual(prefix, st.done() ? st.fileSha() : st.prefixSha())) {
      throw new SourceChanged("the first " + st.offset() + " bytes of " + path
          + " differ from what the server holds; starting over");
    }
    digest = d;
    offset = st.offset();
    continuedFrom(offset);
    if (st.done()) {
      events.add(new Done(st.fileSha()));
    }
  }

  /** Fails fast on an ERROR from the server; rewinds reach the sender through send(). */
  private void pollEvents() throws TransferException {
    Object e;
    while ((e = events.poll()) != null) {
      if (e instanceof Failed f) {
        throw f.error();
      }
    }
  }

  /** The server's DONE hash, or null if the stream rewound and sending must go on. */
  private byte[] awaitDone(Session session, FileChannel file)
      throws TransferException, SourceChanged, InterruptedException, IOException {
    while (true) {
      Object e = events.poll(1, TimeUnit.SECONDS);
      if (e instanceof Done d) {
        return d.sha();
      } else if (e instanceof Failed f) {
        throw f.error();
      } else if (e instanceof Rewound r) {
        rewind(session, file, r.checkpoint());
        if (!(events.peek() instanceof Done)) {
          return null;
        }
      }
    }
  }
}
