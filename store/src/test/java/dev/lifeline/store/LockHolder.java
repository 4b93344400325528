package dev.lifeline.store;

import java.nio.file.Path;

/** Child JVM main: opens a store, says "open", and holds it until stdin closes. */
public final class LockHolder {
  private LockHolder() {}

  public static void main(String[] args) throws Exception {
    try (FileCheckpointStore store = FileCheckpointStore.open(Path.of(args[0]))) {
      System.out.println("open");
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the parent to close our stdin
      }
    }
  }
}
