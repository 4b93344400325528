package dev.lifeline.demo.client;

import org.slf4j.LoggerFactory;

/**
 * Start-up work of a one-shot client that does not depend on its arguments, moved off the main
 * thread or skipped. A transfer of one file pays for its JVM's start; on a machine with two or
 * more cores, initializing the TLS provider while picocli parses the command line and the state
 * store opens takes a few hundred milliseconds off every run (docs/benchmarks.md, "Launching the
 * client").
 */
final class StartupWork {
  /** Netty's switch for its JFR events (allocator chunks and more). */
  static final String NETTY_JFR = "io.netty.jfr.enabled";

  private StartupWork() {}

  /**
   * Call first in {@code main}, after {@code DemoLogging.useDefaults}. Turns off Netty's JFR events
   * unless {@code -Dio.netty.jfr.enabled} was given: registering them starts the JDK's event
   * metadata repository, about 0.1 CPU seconds a run for events a one-shot client never records.
   * Then initializes, on a daemon thread, the classes the first connection would otherwise
   * initialize on the main or I/O thread: the native TLS provider (loading netty-tcnative and
   * probing it) and the JDK's table of public root certificates that hostname checking consults.
   * Failures are left for the code that needs these classes to report, with its own clear message.
   */
  static void begin() {
    if (System.getProperty(NETTY_JFR) == null) {
      System.setProperty(NETTY_JFR, "false");
    }
    // Logging is set up here, on the calling thread, before the other thread can start it: while
    // SLF4J initializes on one thread it hands every other thread stand-in loggers, so the main
    // thread's -v (DemoLogging.setRootLevel) would silently set nothing.
    LoggerFactory.getILoggerFactory();
    Thread t = new Thread(StartupWork::initialize, "lifeline-client-startup");
    t.setDaemon(true);
    t.start();
  }

  private static void initialize() {
    ClassLoader loader = StartupWork.class.getClassLoader();
    for (String name : new String[] {
        "io.netty.handler.ssl.OpenSsl", "sun.security.util.AnchorCertificates"}) {
      try {
        Class.forName(name, true, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        // Not on this JDK or not loadable: whoever needs it reports why.
      }
    }
  }
}
