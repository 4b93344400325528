package dev.lifeline.http.internal;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Building and sending the small, complete responses (pages, JSON, errors). */
final class Responses {
  private Responses() {}

  /** A complete response with {@code body} in UTF-8; HEAD gets the headers only. */
  static FullHttpResponse text(HttpResponseStatus status, String contentType, String body,
      boolean head) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    r.headers().set("X-Content-Type-Options", "nosniff");
    return r;
  }

  /** A plain-text error, e.g. {@code 404 no complete file named "x"}. */
  static FullHttpResponse error(HttpResponseStatus status, String message, boolean head) {
    return text(status, "text/plain; charset=utf-8", status + ": " + message + "\n", head);
  }

  /** Sends {@code response} and closes the connection afterwards unless both sides keep it. */
  static ChannelFuture send(ChannelHandlerContext ctx, HttpResponse response, boolean keepAlive) {
    HttpUtil.setKeepAlive(response, keepAlive);
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ChannelFuture f = ctx.writeAndFlush(response);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
    return f;
  }
}
