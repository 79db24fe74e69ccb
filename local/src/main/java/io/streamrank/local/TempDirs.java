package io.streamrank.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Temporary directories of the local tools, removed with everything in them. */
final class TempDirs {
  private static final Logger LOG = LoggerFactory.getLogger(TempDirs.class);

  private TempDirs() {}

  /**
   * A new temporary directory that is removed when the JVM exits: for what a command writes only
   * for its own run (a registry nobody is told about, checkpoints).
   */
  static Path deletedOnExit(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> deleteQuietly(dir), "streamrank-temp-cleanup"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory " + prefix + "*", e);
    }
  }

  /** Removes {@code dir} and everything in it; logs what it cannot remove. */
  static void deleteQuietly(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  LOG.warn("Could not delete {}: {}", p, e.toString());
                }
              });
    } catch (IOException e) {
      LOG.warn("Could not clean up {}: {}", dir, e.toString());
    }
  }
}
