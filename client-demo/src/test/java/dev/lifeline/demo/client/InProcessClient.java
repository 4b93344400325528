package dev.lifeline.demo.client;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One client-demo command run in this JVM through {@link ClientMain#run}, the same code the jar's
 * main runs apart from {@code System.exit}: for commands a test only reads the output of, it
 * saves the several seconds a child JVM costs on a busy machine. Tests that kill the client use
 * {@link ClientProcess}.
 */
record InProcessClient(int code, String out, String err) {

  static InProcessClient run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ClientMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new InProcessClient(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }
}
