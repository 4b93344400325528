package dev.lifeline.session;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time of the threads an in-process {@code LifelineServer} runs (accept, I/O, application,
 * timer), told apart from the test's and the client's threads by name, so a test can say what a
 * stream of attempts cost the server alone.
 */
final class ServerThreads {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private ServerThreads() {}

  /** Nanoseconds of CPU the server's live threads have used so far. */
  static long cpuNanos() {
    long total = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String name = t.getName();
      if (name.startsWith("lifeline-") && !name.startsWith("lifeline-client")) {
        long cpu = THREADS.getThreadCpuTime(t.getId());
        if (cpu > 0) {
          total += cpu;
        }
      }
    }
    return total;
  }
}
