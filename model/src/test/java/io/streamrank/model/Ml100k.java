package io.streamrank.model;

import io.streamrank.datasets.MovieLens;
import io.streamrank.datasets.Rating;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads MovieLens 100k's {@code u.data} from the shared data directory (never from the repository):
 * the system property {@code streamrank.data}, else {@code ../shared/data} or {@code
 * ../../shared/data} relative to the working directory.
 */
public final class Ml100k {
  private Ml100k() {}

  /** The file, when present. */
  public static Optional<Path> file() {
    List<Path> candidates = new ArrayList<>();
    String prop = System.getProperty("streamrank.data");
    if (prop != null) {
      candidates.add(Path.of(prop, "ml-100k", "u.data"));
    }
    candidates.add(Path.of("..", "shared", "data", "ml-100k", "u.data"));
    candidates.add(Path.of("..", "..", "shared", "data", "ml-100k", "u.data"));
    return candidates.stream().filter(Files::isRegularFile).findFirst();
  }

  /**
   * The 100,000 ratings as {@code ./streamrank train --data DIR} reads them ({@link
   * MovieLens#load}: sorted by timestamp, so the seeded random split is the command's), or empty
   * when the file is absent.
   */
  public static Optional<List<Rating>> load() {
    return file().map(p -> MovieLens.load(p.getParent()).ratings());
  }
}
