package dev.lifeline;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The process's file descriptor limit, where the platform tells it. */
final class FileDescriptors {
  private static final Logger log = LoggerFactory.getLogger(FileDescriptors.class);
  /** Descriptors a server needs besides its connections: jars, store files, epoll, listener. */
  static final int RESERVE = 64;

  private static final AtomicBoolean warned = new AtomicBoolean();

  private FileDescriptors() {}

  /** The most descriptors this process may open, or -1 where the platform does not say. */
  static long limit() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }

  /** Logs a warning, once per process, when {@code maxConnections} would not fit the limit. */
  static void warnIfBelow(int maxConnections) {
    long limit = limit();
    if (limit >= 0 && limit < maxConnections + RESERVE && warned.compareAndSet(false, true)) {
      log.warn("maxConnections is {} but this process may open only {} files (ulimit -n); "
          + "raise the limit or lower maxConnections, or accepts will fail before the cap",
          maxConnections, limit);
    }
  }
}
