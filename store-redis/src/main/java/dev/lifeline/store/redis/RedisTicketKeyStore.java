package dev.lifeline.store.redis;

import dev.lifeline.TicketKey;
import dev.lifeline.TicketKeyStore;
import dev.lifeline.TlsConfigurationException;
import dev.lifeline.store.StoreException;
import dev.lifeline.store.redis.internal.RedisLink;
import dev.lifeline.store.redis.internal.RedisScripts;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The TLS session ticket key ring of a cluster, kept in Redis beside the sessions (one string
 * key, the same text as {@code FileTicketKeyStore}: a header line, then {@code TIMESTAMP
 * BASE64(80 bytes)} per key, newest first). Obtained from {@link
 * RedisCheckpointStore#ticketKeyStore()}; it shares that store's connection and durability.
 *
 * <p>Every node re-reads the ring each {@link #refreshInterval()}; a rotation replaces it with a
 * compare-and-set script so only one node adds a key, and a new key only decrypts until three
 * refresh intervals have passed (see {@link TicketKeyStore#refreshInterval()}). Whoever can read
 * this Redis key can decrypt session tickets: protect Redis with a password or ACL and a private
 * network (or {@code rediss://}).
 *
 * <pre>{@code
 * ServerTlsConfig tls = ServerTlsConfig.builder()
 *     .certificate(chain, key)
 *     .ticketKeyStore(redisStore.ticketKeyStore())
 *     .build();
 * }</pre>
 */
public final class RedisTicketKeyStore implements TicketKeyStore {
  private static final String HEADER = "# lifeline ticket keys v1";

  private final RedisLink link;
  private final byte[] key;
  private final Duration refresh;

  RedisTicketKeyStore(RedisLink link, byte[] key, Duration refresh) {
    this.link = link;
    this.key = key;
    this.refresh = refresh;
  }

  @Override
  public List<TicketKey> load() throws IOException {
    byte[] text = await(link.read("load of the ticket key ring", redis -> redis.get(key)));
    return text == null ? List.of() : decode(new String(text, StandardCharsets.US_ASCII));
  }

  @Override
  public void save(List<TicketKey> ring) throws IOException {
    if (ring.isEmpty()) {
      throw new IllegalArgumentException("ring: [] (expected: at least one key)");
    }
    byte[] text = encode(ring);
    await(link.write("save of the ticket key ring", "redis.call('SET', KEYS[1], ARGV[1]) "
        + "return {'OK'}", new byte[][] {key}, text));
  }

  @Override
  public boolean replace(List<TicketKey> expected, List<TicketKey> ring) throws IOException {
    if (ring.isEmpty()) {
      throw new IllegalArgumentException("ring: [] (expected: at least one key)");
    }
    byte[] old = expected.isEmpty() ? new byte[0] : encode(expected);
    return await(link.writeInteger("rotation of the ticket key ring",
        RedisScripts.COMPARE_AND_SET, new byte[][] {key}, old, encode(ring))) == 1L;
  }

  @Override
  public Duration refreshInterval() {
    return refresh;
  }

  private static byte[] encode(List<TicketKey> ring) {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    for (TicketKey k : ring) {
      text.append(k.createdAt()).append(' ')
          .append(Base64.getEncoder().encodeToString(k.material())).append('\n');
    }
    return text.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private List<TicketKey> decode(String text) throws TlsConfigurationException {
    String[] lines = text.split("\n");
    if (!lines[0].equals(HEADER)) {
      throw new TlsConfigurationException("ticket key ring in " + link.name()
          + " is not a Lifeline ticket key ring (expected first line: " + HEADER + ")");
    }
    List<TicketKey> ring = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String[] parts = lines[i].trim().split(" ");
      if (parts.length == 1 && parts[0].isEmpty()) {
        continue;
      }
      try {
        if (parts.length != 2) {
          throw new IllegalArgumentException("expected: TIMESTAMP BASE64");
        }
        ring.add(TicketKey.of(Base64.getDecoder().decode(parts[1]), Instant.parse(parts[0])));
      } catch (IllegalArgumentException | DateTimeParseException e) {
        throw new TlsConfigurationException("ticket key ring in " + link.name()
            + " line " + (i + 1) + " is corrupt: " + e.getMessage());
      }
    }
    return List.copyOf(ring);
  }

  /** The ring is read at start and on a timer thread, which may wait. */
  private static <T> T await(CompletableFuture<T> f) throws IOException {
    try {
      return f.get(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for Redis");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      throw new StoreException(String.valueOf(c.getMessage()), c);
    } catch (TimeoutException e) {
      throw new StoreException("Redis did not answer within a minute", e);
    }
  }

  @Override
  public String toString() {
    return "RedisTicketKeyStore{" + link.server() + ", " + new String(key, StandardCharsets.UTF_8)
        + "}";
  }
}
