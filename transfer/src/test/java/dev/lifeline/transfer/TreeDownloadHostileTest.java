package dev.lifeline.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lifeline.LifelineClient;
import dev.lifeline.LifelineServer;
import dev.lifeline.ServerTlsConfig;
import dev.lifeline.Session;
import dev.lifeline.SessionHandler;
import dev.lifeline.store.InMemoryCheckpointStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile server whose listing names files outside the directory or the prefix: the client
 * refuses the whole download with INVALID_NAME and writes nothing, inside or outside its
 * directory, and never asks for a file.
 */
class TreeDownloadHostileTest {
  @TempDir Path dir;

  @Test
  void aListingWithNamesLeavingTheDirectoryIsRefusedBeforeAnythingIsWritten() throws Exception {
    try (TreeDownloadFixture f = new TreeDownloadFixture(dir)) {
      f.serverFile("p/ok.bin", 100); // the TLS files, and a server to borrow them from
    }
    AtomicInteger gets = new AtomicInteger();
    for (String bad : List.of("../escape", "/etc/x", "other/x", "p/../../escape", "p/a/../../x",
        "p//x", "p/.hidden", "p/a\u0001b", "p/" + "y".repeat(256), "..")) {
      LifelineServer server = LifelineServer.builder()
          .port(0)
          .tls(ServerTlsConfig.builder().developmentCertificates(dir.resolve("data/tls"))
              .build())
          .store(InMemoryCheckpointStore.builder().build())
          .handler(listing(List.of("p/ok.bin", bad), gets))
          .start();
      Path out = dir.resolve("out");
      try (LifelineClient client = LifelineClient.builder().server("localhost", server.port())
          .tls(dev.lifeline.ClientTlsConfig.builder().trustedCa(dir.resolve("data/tls/ca.pem"))
              .build())
          .store(InMemoryCheckpointStore.builder().build()).build()) {
        FileTransferClient t = new FileTransferClient(client, "localhost:" + server.port());
        // Bounded: a client that accepted the listing would wait for files that never come.
        TransferException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
            () -> assertThrows(TransferException.class,
                () -> t.downloadTree("p", out, TreeListener.NONE), bad), bad);
        assertEquals(TransferException.Reason.INVALID_NAME, e.reason(), e.getMessage());
      } finally {
        server.close();
      }
      assertFalse(Files.exists(out), bad + ": the target directory was created");
      assertFalse(Files.exists(dir.resolve("escape")), bad);
      assertFalse(Files.exists(dir.getParent().resolve("escape")), bad);
      try (var top = Files.list(dir)) {
        assertEquals(List.of("data"), top.map(p -> p.getFileName().toString()).toList(), bad);
      }
      assertEquals(0, gets.get(), bad + ": a GET was sent");
    }
  }

  /** Answers LIST with the given names (files of 100 bytes), counts GETs that name files. */
  private static SessionHandler listing(List<String> names, AtomicInteger gets) {
    return (Session session, long seq, ByteBuffer m) -> {
      byte type = m.get(m.position());
      if (type == 0x15 && m.getInt(m.position() + 22) > 0) { // a GET naming files
        gets.incrementAndGet();
        return;
      }
      if (type != 0x10) {
        return;
      }
      int bytes = 5;
      for (String n : names) {
        bytes += 1 + 16 + 32 + 2 + n.getBytes(StandardCharsets.UTF_8).length;
      }
      ByteBuffer b = ByteBuffer.allocate(bytes).put((byte) 0x90).putInt(names.size());
      for (String n : names) {
        byte[] nb = n.getBytes(StandardCharsets.UTF_8);
        b.put((byte) 0).putLong(100).putLong(0).put(new byte[32]).putShort((short) nb.length)
            .put(nb);
      }
      session.trySend(b.array());
      session.trySend(ByteBuffer.allocate(8).put((byte) 0x91).putInt(names.size()).put((byte) 0)
          .putShort((short) 0).array());
    };
  }
}
