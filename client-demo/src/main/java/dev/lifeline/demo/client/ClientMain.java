package dev.lifeline.demo.client;

/** Entry point of {@code client-demo.jar}; the command line is built in a later change. */
public final class ClientMain {
  private ClientMain() {}

  public static void main(String[] args) {
    System.err.println("client-demo: not built yet");
    System.exit(2);
  }
}
