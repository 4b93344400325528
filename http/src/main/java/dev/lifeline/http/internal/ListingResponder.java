package dev.lifeline.http.internal;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code GET|HEAD /files/PREFIX/} (and {@code /files/} for everything): every complete
 * file under the prefix, recursively, with its size, SHA-256 and modification time, and every
 * empty directory, sorted by name, in the {@link ListingFormat} the client asked for.
 *
 * <p>The walk runs on a small pool of listing threads, not on the event loop: a file without a
 * current checksum sidecar is hashed on the way (once per version of the file). The body is
 * streamed with chunked transfer encoding through a {@link ListingStream}, so the first entries
 * leave before the walk ends and memory stays bounded whatever the size of the tree.
 */
final class ListingResponder {
  private static final Logger log = LoggerFactory.getLogger(ListingResponder.class);

  private final TreeWalker walker;
  private final ExecutorService listers;

  ListingResponder(Path filesDir, TreeWalker.Hasher hasher, ExecutorService listers) {
    this.walker = new TreeWalker(filesDir, hasher);
    this.listers = listers;
  }

  /** Lists the directory {@code dir} that {@code path} names (already checked to be one). */
  void list(ChannelHandlerContext ctx, HttpRequest req, FilesPath path, Path dir,
      boolean keepAlive) {
    boolean head = req.method().equals(HttpMethod.HEAD);
    List<String> formats = new QueryStringDecoder(req.uri(), StandardCharsets.UTF_8)
        .parameters().get("format");
    ListingFormat format = ListingFormat.negotiate(req.headers().get(HttpHeaderNames.ACCEPT),
        formats == null || formats.isEmpty() ? null : formats.get(0));
    if (format == null) {
      Responses.send(ctx, Responses.error(HttpResponseStatus.BAD_REQUEST,
          "format must be text, json or html", head), keepAlive);
      return;
    }
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, format.contentType())
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set(HttpHeaderNames.VARY, "Accept")
        .set("X-Content-Type-Options", "nosniff");
    if (format == ListingFormat.HTML) {
      r.headers().set("Content-Security-Policy", ListingFormat.HTML_POLICY)
          .set("Referrer-Policy", "no-referrer");
    }
    HttpUtil.setTransferEncodingChunked(r, true);
    HttpUtil.setKeepAlive(r, keepAlive);
    if (!keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ChannelFutureListener after = keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
        : ChannelFutureListener.CLOSE;
    ctx.write(r);
    if (head) {
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(after);
      return;
    }
    ListingStream body = new ListingStream(ctx.pipeline().get(ChunkedWriteHandler.class));
    ctx.writeAndFlush(new HttpChunkedInput(body)).addListener(after);
    String shown = path.name().isEmpty() ? "" : path.name() + "/";
    try {
      listers.execute(() -> produce(body, format, dir, path.name(), shown));
    } catch (RejectedExecutionException e) {
      body.fail(new IOException("the server is stopping"));
    }
  }

  /** Runs on a listing thread: walks and writes the listing into {@code body}. */
  private void produce(ListingStream body, ListingFormat format, Path dir, String name,
      String shown) {
    long[] counts = new long[3]; // files, empty directories, bytes
    try {
      body.write(format.head(shown));
      walker.walk(dir, name, e -> {
        body.write(format.entry(e, counts[0] + counts[1] == 0));
        if (e.directory()) {
          counts[1]++;
        } else {
          counts[0]++;
          counts[2] += e.size();
        }
      });
      body.write(format.tail(counts[0], counts[1], counts[2]));
      body.finish();
    } catch (ClosedChannelException e) {
      log.debug("listing of {} abandoned by the client", shown);
    } catch (IOException e) {
      log.warn("cannot list {}: {}", FilesPath.encode(shown), e.toString());
      body.fail(e);
    } catch (InterruptedException e) {
      body.fail(new IOException("the server is stopping"));
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("listing of {} failed", FilesPath.encode(shown), e);
      body.fail(new IOException(e));
    }
  }
}
