package dev.lifeline.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector (paranoid in tests, see the parent pom) reported a
 * leaked buffer while it ran. Registered for every core test class through JUnit's extension
 * auto-detection ({@code junit-platform.properties}).
 *
 * <p>The detector reports a leak only after the buffer was garbage collected and then only when
 * another buffer is allocated, so after each class this collects garbage and allocates a few
 * buffers of every kind before it looks. A leak found here may have been made by an earlier class
 * whose buffers were collected late; the report's access records name the code.
 */
public final class LeakCheck implements AfterAllCallback {
  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    check(context.getDisplayName());
  }

  /** Throws if a leak was reported since the last check. */
  static void check(String running) throws InterruptedException {
    for (int round = 0; round < 2; round++) {
      System.gc();
      Thread.sleep(50);
      for (ByteBufAllocator a : new ByteBufAllocator[] {ByteBufAllocator.DEFAULT,
          PooledByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT}) {
        ByteBuf direct = a.directBuffer(1);
        ByteBuf heap = a.heapBuffer(1);
        direct.release();
        heap.release();
      }
    }
    List<String> leaks = LeakLog.drain();
    if (!leaks.isEmpty()) {
      throw new AssertionError(leaks.size() + " leaked buffer(s) reported while "
          + running + " ran (or collected since an earlier class):\n"
          + String.join("\n", leaks));
    }
  }
}
