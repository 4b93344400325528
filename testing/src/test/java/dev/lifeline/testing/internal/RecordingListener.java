package dev.lifeline.testing.internal;

import dev.lifeline.testing.ChaosSpec.Mode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a {@link ChaosHandler} reported, as readable strings such as "cut RST 10". */
final class RecordingListener implements ChaosHandler.Listener {

  final List<String> events = new CopyOnWriteArrayList<>();

  @Override
  public void onCut(Mode mode, long bytes) {
    events.add("cut " + mode + " " + bytes);
  }

  @Override
  public void onEndedWithoutCut(long bytes) {
    events.add("uncut " + bytes);
  }
}
