package dev.lifeline.internal.tls;

import dev.lifeline.HandshakeEvent;
import dev.lifeline.HandshakeListener;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Records every handshake event so a test can take them one by one, in order. */
final class RecordingListener implements HandshakeListener {
  private final BlockingQueue<HandshakeEvent> events = new LinkedBlockingQueue<>();

  @Override
  public void handshakeCompleted(HandshakeEvent event) {
    events.add(event);
  }

  HandshakeEvent take() throws InterruptedException {
    HandshakeEvent event = events.poll(10, TimeUnit.SECONDS);
    if (event == null) {
      throw new AssertionError("no handshake event within 10 s");
    }
    return event;
  }

  boolean isEmpty() {
    return events.isEmpty();
  }
}
