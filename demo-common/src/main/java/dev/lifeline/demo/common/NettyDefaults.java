package dev.lifeline.demo.common;

/** Netty settings the demos run with unless the user chose otherwise. */
public final class NettyDefaults {
  private static final String LEAK_DETECTION = "io.netty.leakDetection.level";

  private NettyDefaults() {}

  /**
   * Turns Netty's buffer leak detection off unless {@code -Dio.netty.leakDetection.level} was
   * given. Its default samples one buffer in 128 and records a stack trace for each: about 1,300
   * exceptions per GiB a server-demo sends, 1% of its CPU on a one-core server (issue 22). The
   * tests run the demos with {@code paranoid}, which this leaves alone. Call it first in {@code
   * main}, before any Netty class loads.
   */
  public static void apply() {
    if (System.getProperty(LEAK_DETECTION) == null) {
      System.setProperty(LEAK_DETECTION, "disabled");
    }
  }
}
