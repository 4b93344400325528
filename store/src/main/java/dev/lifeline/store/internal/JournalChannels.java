package dev.lifeline.store.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/** Opens the channels the journal writes through; tests substitute one that fails on demand. */
@FunctionalInterface
public interface JournalChannels {
  JournalChannels DEFAULT = FileChannel::open;

  FileChannel open(Path path, OpenOption... options) throws IOException;
}
