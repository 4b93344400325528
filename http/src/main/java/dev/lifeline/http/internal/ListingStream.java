package dev.lifeline.http.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body written by a producer thread (the listing walk, which may hash files and must
 * not run on the event loop) and read by the {@link ChunkedWriteHandler} on the event loop.
 *
 * <p>At most {@link #QUEUED} chunks of about {@link #CHUNK_CHARS} characters wait between the two:
 * a producer ahead of a slow client blocks, so a listing of any size holds a bounded amount of
 * memory. When no chunk is ready {@link #readChunk} returns null, which suspends the writer until
 * the producer calls {@link ChunkedWriteHandler#resumeTransfer}. A failed walk makes {@link
 * #readChunk} throw, so the response ends without its last chunk and the client sees a truncated
 * transfer instead of a listing that looks complete. When the connection closes, the writer
 * closes this input and the producer's next write throws {@link ClosedChannelException}.
 */
final class ListingStream implements ChunkedInput<ByteBuf> {
  static final int CHUNK_CHARS = 16 * 1024;
  static final int QUEUED = 4;

  private final BlockingQueue<ByteBuf> ready = new ArrayBlockingQueue<>(QUEUED);
  private final Runnable resume; // the writer's resumeTransfer: safe from any thread
  private final StringBuilder pending = new StringBuilder(CHUNK_CHARS + 1024); // producer only
  private volatile boolean closed; // the writer gave up on this input (connection gone)
  private volatile boolean finished; // the producer queued its last chunk
  private volatile IOException failure;
  private long taken; // event loop only

  ListingStream(ChunkedWriteHandler writer) {
    this(writer::resumeTransfer);
  }

  ListingStream(Runnable resume) {
    this.resume = resume;
  }

  // ------------------------------------------------------------ producer side

  /** Appends text to the body; blocks while the queue is full. */
  void write(String text) throws IOException, InterruptedException {
    pending.append(text);
    if (pending.length() >= CHUNK_CHARS) {
      flush();
    }
  }

  /** Ends the body successfully. */
  void finish() throws IOException, InterruptedException {
    flush();
    finished = true;
    resume.run();
  }

  /** Ends the body with a failure: the client gets a truncated response. */
  void fail(IOException cause) {
    failure = cause;
    finished = true;
    resume.run();
  }

  private void flush() throws IOException, InterruptedException {
    if (pending.length() == 0) {
      return;
    }
    ByteBuf chunk = Unpooled.wrappedBuffer(pending.toString().getBytes(StandardCharsets.UTF_8));
    pending.setLength(0);
    // A timed wait so that a closed connection is noticed even if nothing is ever taken again.
    while (!ready.offer(chunk, 200, TimeUnit.MILLISECONDS)) {
      if (closed) {
        chunk.release();
        throw new ClosedChannelException();
      }
    }
    if (closed) {
      drain(); // the writer closed us between the check and the offer
      throw new ClosedChannelException();
    }
    resume.run();
  }

  // ------------------------------------------------------------ writer side (event loop)

  @Override
  public boolean isEndOfInput() {
    return finished && failure == null && ready.isEmpty();
  }

  @Override
  public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
    ByteBuf chunk = ready.poll();
    if (chunk != null) {
      taken += chunk.readableBytes();
      return chunk;
    }
    IOException f = failure;
    if (f != null) {
      throw f;
    }
    return null; // nothing yet: the producer resumes the transfer when there is
  }

  @Deprecated
  @Override
  public ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
    return readChunk(ctx.alloc());
  }

  @Override
  public void close() {
    closed = true;
    drain();
  }

  private void drain() {
    ByteBuf b;
    while ((b = ready.poll()) != null) {
      b.release();
    }
  }

  @Override
  public long length() {
    return -1;
  }

  @Override
  public long progress() {
    return taken;
  }

  boolean closed() {
    return closed;
  }

  /** Chunks waiting for the writer. */
  int queued() {
    return ready.size();
  }
}
