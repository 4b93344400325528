package dev.lifeline.demo.server;

/** Entry point of {@code server-demo.jar}; the command line is built in a later change. */
public final class ServerMain {
  private ServerMain() {}

  public static void main(String[] args) {
    System.err.println("server-demo: not built yet");
    System.exit(2);
  }
}
