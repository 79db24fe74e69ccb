package io.streamrank.model;

import io.streamrank.datasets.Rating;
import java.io.IOException;
import java.io.UncheckedIOException;
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

  /** The 100,000 ratings, or empty when the file is absent. */
  public static Optional<List<Rating>> load() {
    return file().map(Ml100k::parse);
  }

  private static List<Rating> parse(Path p) {
    try {
      List<Rating> out = new ArrayList<>(100_000);
      for (String line : Files.readAllLines(p)) {
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t");
        out.add(
            new Rating(
                Long.parseLong(f[0]),
                Long.parseLong(f[1]),
                Long.parseLong(f[3]),
                Float.parseFloat(f[2])));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }
}
