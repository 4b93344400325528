package dev.lifeline.http.internal;

import dev.lifeline.transfer.internal.FileNames;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedNioFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemLoopException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Date;
import java.util.concurrent.TimeUnit;

/**
 * Serves {@code GET|HEAD /files/NAME}: one complete file of the files directory or of a tree in it
 * ({@code /files/a/b/c}), whole or one byte range, with a strong ETag so that a resumed download
 * never stitches two versions of a file together; hands {@code /files/PREFIX/} to the {@link
 * ListingResponder}. Every component of the name follows the transfer module's rules (no hidden
 * names, so the {@code .partial} uploads and {@code .meta} are out of reach; no control
 * characters; see {@link FilesPath}); symbolic links are not followed, neither as the file nor as
 * a directory on the way to it.
 *
 * <p>Conditional requests: {@code If-Match} that does not match answers 412; {@code
 * If-None-Match} that matches answers 304; {@code If-Range} that does not match the current
 * ETag (or Last-Modified date) makes the {@code Range} ignored, so the client gets the whole new
 * file with 200 instead of a piece of it.
 */
final class FileResponder {
  private static final int CHUNK_BYTES = 64 * 1024;

  private final Path filesDir;
  private final ListingResponder listings;

  FileResponder(Path filesDir, ListingResponder listings) {
    this.filesDir = filesDir;
    this.listings = listings;
  }

  Path filesDir() {
    return filesDir;
  }

  /**
   * Answers a request for {@code path}: a file, a listing (trailing slash), or a redirect from a
   * directory's name to its listing, as static file servers do.
   */
  void serve(ChannelHandlerContext ctx, HttpRequest req, FilesPath path, boolean keepAlive) {
    boolean head = req.method().equals(HttpMethod.HEAD);
    Path target = path.resolve(filesDir);
    String shown = FileNames.printable(path.name());
    BasicFileAttributes attrs;
    try {
      attrs = path.stat(filesDir);
    } catch (NoSuchFileException e) {
      attrs = null;
    } catch (IOException e) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR,
          "cannot read " + shown, head), false);
      return;
    }
    if (path.listing()) {
      if (attrs != null && attrs.isDirectory()) {
        listings.list(ctx, req, path, target, keepAlive);
      } else {
        Responses.send(ctx, Responses.error(HttpResponseStatus.NOT_FOUND,
            "no directory named " + shown, head), keepAlive);
      }
    } else if (attrs != null && attrs.isDirectory()) {
      var r = Responses.error(HttpResponseStatus.MOVED_PERMANENTLY,
          shown + " is a directory; its listing is at the address with a trailing slash", head);
      r.headers().set(HttpHeaderNames.LOCATION,
          HttpRequestHandler.FILES_PREFIX + FilesPath.encode(path.name()) + "/");
      Responses.send(ctx, r, keepAlive);
    } else if (attrs != null && attrs.isRegularFile()) {
      serveFile(ctx, req, target, attrs, shown, head, keepAlive);
    } else {
      Responses.send(ctx, Responses.error(HttpResponseStatus.NOT_FOUND,
          "no complete file named " + shown, head), keepAlive);
    }
  }

  private void serveFile(ChannelHandlerContext ctx, HttpRequest req, Path path,
      BasicFileAttributes attrs, String shown, boolean head, boolean keepAlive) {
    FileChannel file = null;
    try {
      // O_NOFOLLOW: a link swapped in since the check above is still not followed.
      file = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      long size = file.size();
      String etag = etag(size, attrs);
      String lastModified = DateFormatter.format(new Date(attrs.lastModifiedTime().toMillis()));
      HttpResponse r = respond(req.headers(), size, etag, lastModified, file, ctx, head,
          keepAlive);
      if (r == null) {
        file = null; // handed to the chunked writer, which closes it
      }
    } catch (NoSuchFileException | FileSystemLoopException e) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.NOT_FOUND,
          "no complete file named " + shown, head), keepAlive);
    } catch (IOException e) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR,
          "cannot read " + shown, head), false);
    } finally {
      closeQuietly(file);
    }
  }

  /** Answers the request; returns null when the file was handed over for streaming. */
  private HttpResponse respond(HttpHeaders h, long size, String etag, String lastModified,
      FileChannel file, ChannelHandlerContext ctx, boolean head, boolean keepAlive)
      throws IOException {
    String ifMatch = h.get(HttpHeaderNames.IF_MATCH);
    if (ifMatch != null && !matches(ifMatch, etag, false)) {
      return sendHead(ctx, HttpResponseStatus.PRECONDITION_FAILED, etag, lastModified, 0, keepAlive);
    }
    String ifNoneMatch = h.get(HttpHeaderNames.IF_NONE_MATCH);
    if (ifNoneMatch != null && matches(ifNoneMatch, etag, true)) {
      return sendHead(ctx, HttpResponseStatus.NOT_MODIFIED, etag, lastModified, -1, keepAlive);
    }
    ByteRange.Outcome outcome = ByteRange.parse(h.get(HttpHeaderNames.RANGE), size);
    String ifRange = h.get(HttpHeaderNames.IF_RANGE);
    if (ifRange != null && !ifRangeHolds(ifRange.trim(), etag, lastModified)) {
      outcome = new ByteRange.Whole();
    }
    if (outcome instanceof ByteRange.Unsatisfiable) {
      HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
          HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
      r.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
      return sendHeadersOnly(ctx, r, etag, lastModified, 0, keepAlive);
    }
    long first = 0;
    long length = size;
    HttpResponse r;
    if (outcome instanceof ByteRange.Partial p) {
      first = p.range().first();
      length = p.range().length();
      r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT);
      r.headers().set(HttpHeaderNames.CONTENT_RANGE,
          "bytes " + first + "-" + p.range().last() + "/" + size);
    } else {
      r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    }
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
    if (head) {
      return sendHeadersOnly(ctx, r, etag, lastModified, length, keepAlive);
    }
    fileHeaders(r, etag, lastModified, length, keepAlive);
    ctx.write(r);
    ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(file, first, length, CHUNK_BYTES)))
        .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
            : ChannelFutureListener.CLOSE);
    return null;
  }

  private HttpResponse sendHead(ChannelHandlerContext ctx, HttpResponseStatus status,
      String etag, String lastModified, long length, boolean keepAlive) {
    return sendHeadersOnly(ctx, new DefaultHttpResponse(HttpVersion.HTTP_1_1, status), etag,
        lastModified, length, keepAlive);
  }

  /** Sends a response without a body; {@code length} -1 sends no Content-Length (304). */
  private HttpResponse sendHeadersOnly(ChannelHandlerContext ctx, HttpResponse r, String etag,
      String lastModified, long length, boolean keepAlive) {
    fileHeaders(r, etag, lastModified, length, keepAlive);
    ctx.write(r);
    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
        .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
            : ChannelFutureListener.CLOSE);
    return r;
  }

  private static void fileHeaders(HttpResponse r, String etag, String lastModified, long length,
      boolean keepAlive) {
    HttpHeaders h = r.headers();
    h.set(HttpHeaderNames.ETAG, etag);
    h.set(HttpHeaderNames.LAST_MODIFIED, lastModified);
    h.set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
    h.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    if (length >= 0) {
      h.set(HttpHeaderNames.CONTENT_LENGTH, length);
    }
    io.netty.handler.codec.http.HttpUtil.setKeepAlive(r, keepAlive);
  }

  /**
   * A strong validator: size, modification time to the nanosecond and the file's identity
   * (inode), so a file replaced or rewritten in place gets a new one.
   */
  static String etag(long size, BasicFileAttributes attrs) {
    long mtime = attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS);
    Object key = attrs.fileKey();
    return "\"" + Long.toHexString(size) + "-" + Long.toHexString(mtime)
        + (key == null ? "" : "-" + Integer.toHexString(key.hashCode())) + "\"";
  }

  /**
   * Whether a list of entity tags ({@code If-Match}, {@code If-None-Match}) names {@code etag};
   * {@code weak} allows {@code W/} tags to match (If-None-Match), strong comparison does not.
   */
  static boolean matches(String list, String etag, boolean weak) {
    for (String t : list.split(",")) {
      String tag = t.trim();
      if (tag.equals("*")) {
        return true;
      }
      if (tag.startsWith("W/")) {
        if (weak && tag.substring(2).equals(etag)) {
          return true;
        }
      } else if (tag.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  /** If-Range holds for the same strong ETag, or the exact Last-Modified date. */
  static boolean ifRangeHolds(String ifRange, String etag, String lastModified) {
    if (ifRange.startsWith("\"") || ifRange.startsWith("W/")) {
      return ifRange.equals(etag);
    }
    Date asked = DateFormatter.parseHttpDate(ifRange);
    Date ours = DateFormatter.parseHttpDate(lastModified);
    return asked != null && ours != null && asked.equals(ours);
  }

  private static void closeQuietly(FileChannel file) {
    if (file != null) {
      try {
        file.close();
      } catch (IOException ignored) {
        // nothing was read from it that matters
      }
    }
  }
}
