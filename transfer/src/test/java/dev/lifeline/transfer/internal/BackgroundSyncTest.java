package dev.lifeline.transfer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receivers' off-thread fsync: one at a time, checkpoint only after a successful sync. */
class BackgroundSyncTest {
  @TempDir Path dir;

  @Test
  void oneSyncAtATimeAndAwaitWaitsForItsCheckpoint() throws Exception {
    BackgroundSync sync = new BackgroundSync();
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger checkpoints = new AtomicInteger();
    try (FileChannel f = FileChannel.open(dir.resolve("f"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE)) {
      f.write(ByteBuffer.wrap(new byte[4096]));
      assertTrue(sync.idle());
      assertTrue(sync.start(f, () -> {
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        checkpoints.incrementAndGet();
      }, e -> { }));
      assertFalse(sync.idle());
      assertFalse(sync.start(f, checkpoints::incrementAndGet, e -> { }),
          "a second sync does not start while one runs");
      Thread releaser = new Thread(() -> {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        release.countDown();
      });
      releaser.start();
      sync.await();
      assertEquals(1, checkpoints.get(), "await returned after the running checkpoint call");
      assertTrue(sync.idle());
      assertTrue(sync.start(f, checkpoints::incrementAndGet, e -> { }));
      sync.await();
      assertEquals(2, checkpoints.get());
      releaser.join();
    }
  }

  @Test
  void aFailedSyncReportsAndSkipsItsCheckpoint() throws Exception {
    BackgroundSync sync = new BackgroundSync();
    FileChannel f = FileChannel.open(dir.resolve("g"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    f.close();
    AtomicInteger checkpoints = new AtomicInteger();
    AtomicReference<IOException> failure = new AtomicReference<>();
    assertTrue(sync.start(f, checkpoints::incrementAndGet, failure::set));
    sync.await();
    assertInstanceOf(ClosedChannelException.class, failure.get());
    assertEquals(0, checkpoints.get(), "no checkpoint without a successful fsync");
  }
}
