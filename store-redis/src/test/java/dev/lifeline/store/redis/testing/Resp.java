package dev.lifeline.store.redis.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One Redis command over a fresh loopback socket, with the whole reply read and decoded (RESP2):
 * a status or bulk string becomes a {@code String} (a nil bulk {@code null}), an integer a
 * {@code Long}, an array a {@code List<Object>}; an error reply throws. {@link RedisServer#command}
 * reads one buffer, which is enough for {@code PING} but may cut a {@code CLUSTER NODES} reply.
 */
final class Resp {
  private Resp() {}

  /** Sends {@code words} to 127.0.0.1:{@code port} and returns the decoded reply. */
  static Object call(int port, String... words) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      ByteArrayOutputStream req = new ByteArrayOutputStream();
      req.writeBytes(("*" + words.length + "\r\n").getBytes(StandardCharsets.UTF_8));
      for (String w : words) {
        byte[] b = w.getBytes(StandardCharsets.UTF_8);
        req.writeBytes(("$" + b.length + "\r\n").getBytes(StandardCharsets.UTF_8));
        req.writeBytes(b);
        req.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
      }
      out.write(req.toByteArray());
      out.flush();
      Object reply = read(new BufferedInputStream(s.getInputStream()));
      if (reply instanceof Error e) {
        throw new IOException("127.0.0.1:" + port + " " + String.join(" ", words) + ": -"
            + e.text());
      }
      return reply;
    }
  }

  /** An error reply, kept apart from strings until the top level decides to throw. */
  private record Error(String text) {}

  private static Object read(InputStream in) throws IOException {
    int type = in.read();
    String line = line(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        return new Error(line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        byte[] b = in.readNBytes(n + 2); // the string and its CRLF
        if (b.length < n + 2) {
          throw new EOFException("reply cut inside a bulk string");
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          items.add(read(in));
        }
        return items;
      }
      case -1:
        throw new EOFException("connection closed before a reply");
      default:
        throw new IOException("not a RESP reply: " + (char) type + line);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) {
        throw new EOFException("reply cut inside a line");
      }
      b.write(c);
    }
    in.read(); // the '\n'
    return b.toString(StandardCharsets.UTF_8);
  }
}
