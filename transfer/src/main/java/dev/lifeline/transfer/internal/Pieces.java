package dev.lifeline.transfer.internal;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * A received message as consecutive pieces (one, or several when a large message came off the
 * network in several TLS reads: {@code PiecewiseHandler}). Reads the fixed fields at its start
 * across piece boundaries, then writes and hashes the rest without copying it into one buffer.
 * Reading past the end throws {@link BufferUnderflowException}, as a {@link ByteBuffer} does.
 */
final class Pieces {
  private final ByteBuffer[] parts;
  private int at; // the first part with bytes left, or parts.length

  Pieces(ByteBuffer... parts) {
    this.parts = parts;
    skipEmpty();
  }

  private void skipEmpty() {
    while (at < parts.length && !parts[at].hasRemaining()) {
      at++;
    }
  }

  long remaining() {
    long n = 0;
    for (int i = at; i < parts.length; i++) {
      n += parts[i].remaining();
    }
    return n;
  }

  /** The next byte, not consumed. */
  byte peek() {
    if (at == parts.length) {
      throw new BufferUnderflowException();
    }
    return parts[at].get(parts[at].position());
  }

  byte get() {
    byte b = peek();
    parts[at].position(parts[at].position() + 1);
    skipEmpty();
    return b;
  }

  /** A big-endian long, as {@link ByteBuffer#getLong()}. */
  long getLong() {
    if (at < parts.length && parts[at].remaining() >= Long.BYTES) {
      long v = parts[at].getLong();
      skipEmpty();
      return v;
    }
    long v = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      v = v << 8 | get() & 0xff;
    }
    return v;
  }

  void skip(long n) {
    if (n > remaining()) {
      throw new BufferUnderflowException();
    }
    while (n > 0) {
      ByteBuffer p = parts[at];
      int k = (int) Math.min(n, p.remaining());
      p.position(p.position() + k);
      n -= k;
      skipEmpty();
    }
  }

  /**
   * The rest in one buffer: the part itself when only one is left (no copy), else a copy. For the
   * small messages whose fields are parsed from a {@link ByteBuffer}.
   */
  ByteBuffer flatten() {
    if (parts.length - at <= 1) {
      return at == parts.length ? ByteBuffer.allocate(0) : parts[at];
    }
    ByteBuffer all = ByteBuffer.allocate((int) remaining());
    for (int i = at; i < parts.length; i++) {
      all.put(parts[i]);
    }
    at = parts.length;
    return all.flip();
  }

  /**
   * Writes the rest to {@code file} from byte {@code position} (one gathering write for all the
   * pieces, unless the system takes less at once); the rest stays unread, for {@link #hash}.
   */
  void writeAt(FileChannel file, long position) throws IOException {
    int[] marks = positions();
    try {
      file.position(position);
      int i = at;
      while (i < parts.length) {
        file.write(parts, i, parts.length - i);
        while (i < parts.length && !parts[i].hasRemaining()) {
          i++;
        }
      }
    } finally {
      restore(marks);
    }
  }

  /** Feeds the rest to {@code digest}; the rest stays unread. */
  void hash(MessageDigest digest) {
    int[] marks = positions();
    for (int i = at; i < parts.length; i++) {
      digest.update(parts[i]);
    }
    restore(marks);
  }

  private int[] positions() {
    int[] p = new int[parts.length];
    for (int i = at; i < parts.length; i++) {
      p[i] = parts[i].position();
    }
    return p;
  }

  private void restore(int[] p) {
    for (int i = at; i < parts.length; i++) {
      parts[i].position(p[i]);
    }
  }
}
