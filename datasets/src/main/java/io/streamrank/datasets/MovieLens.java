package io.streamrank.datasets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads every published MovieLens layout from a directory the user names.
 *
 * <ul>
 *   <li>100k: {@code u.data} (tab-separated user, item, rating, timestamp) and {@code u.item}
 *       (pipe-separated, latin-1)
 *   <li>1M and 10M: {@code ratings.dat} ({@code ::}-separated) and {@code movies.dat}
 *   <li>latest, 25M, 32M: {@code ratings.csv} and {@code movies.csv} with header lines; half-star
 *       ratings are kept as they are
 * </ul>
 *
 * A line that cannot be parsed is recorded as a {@link MalformedLine} with its number and the
 * reason; it never stops the read.
 */
public final class MovieLens {
  private static final Pattern TAB = Pattern.compile("\t");
  private static final Pattern DOUBLE_COLON = Pattern.compile("::");
  private static final Pattern COMMA = Pattern.compile(",");

  private MovieLens() {}

  /** True when the directory holds a MovieLens layout this reader knows. */
  public static boolean isMovieLens(Path dir) {
    return Files.isRegularFile(dir.resolve("u.data"))
        || Files.isRegularFile(dir.resolve("ratings.dat"))
        || Files.isRegularFile(dir.resolve("ratings.csv"));
  }

  /**
   * Checks that {@code dir} holds a MovieLens layout this reader knows, before anything is started
   * that would read it later.
   *
   * @throws IllegalArgumentException naming the directory and the files looked for
   */
  public static void requireLayout(Path dir) {
    if (!isMovieLens(dir)) {
      throw noLayout(dir);
    }
  }

  private static IllegalArgumentException noLayout(Path dir) {
    return new IllegalArgumentException(
        "no MovieLens ratings in "
            + dir.toAbsolutePath()
            + ": expected u.data (100k), ratings.dat (1M/10M) or ratings.csv (latest/25M/32M)");
  }

  /**
   * Reads the ratings (and titles, where present) of the MovieLens layout found in {@code dir}.
   *
   * @throws IllegalArgumentException when the directory holds no known layout, naming the files it
   *     looked for
   */
  public static RatingData load(Path dir) {
    if (Files.isRegularFile(dir.resolve("u.data"))) {
      return read(
          "MovieLens 100k at " + dir,
          dir.resolve("u.data"),
          TAB,
          false,
          dir.resolve("u.item"),
          Pattern.compile("\\|"),
          StandardCharsets.ISO_8859_1);
    }
    if (Files.isRegularFile(dir.resolve("ratings.dat"))) {
      return read(
          "MovieLens 1M/10M at " + dir,
          dir.resolve("ratings.dat"),
          DOUBLE_COLON,
          false,
          dir.resolve("movies.dat"),
          DOUBLE_COLON,
          StandardCharsets.ISO_8859_1);
    }
    if (Files.isRegularFile(dir.resolve("ratings.csv"))) {
      return read(
          "MovieLens csv at " + dir,
          dir.resolve("ratings.csv"),
          COMMA,
          true,
          dir.resolve("movies.csv"),
          COMMA,
          StandardCharsets.UTF_8);
    }
    throw noLayout(dir);
  }

  private static RatingData read(
      String source,
      Path ratingsFile,
      Pattern separator,
      boolean header,
      Path moviesFile,
      Pattern movieSeparator,
      java.nio.charset.Charset movieCharset) {
    List<Rating> ratings = new ArrayList<>();
    List<MalformedLine> malformed = new ArrayList<>();
    String name = ratingsFile.getFileName().toString();
    try (BufferedReader in = Files.newBufferedReader(ratingsFile, StandardCharsets.ISO_8859_1)) {
      String line;
      long number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (header && number == 1 || line.isBlank()) {
          continue;
        }
        try {
          ratings.add(parseRating(line, separator));
        } catch (IllegalArgumentException e) {
          malformed.add(new MalformedLine(name, number, e.getMessage()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + ratingsFile, e);
    }
    ratings.sort(Comparator.comparingLong(Rating::timestamp));
    Map<Long, String> titles =
        Files.isRegularFile(moviesFile)
            ? readTitles(moviesFile, movieSeparator, movieCharset, header)
            : Map.of();
    return new RatingData(source, List.copyOf(ratings), titles, List.copyOf(malformed));
  }

  /**
   * Parses one rating line: user, movie, rating, timestamp in that order.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  static Rating parseRating(String line, Pattern separator) {
    String[] f = separator.split(line.strip(), -1);
    if (f.length < 4) {
      throw new IllegalArgumentException(
          "expected 4 fields (user, movie, rating, timestamp), found " + f.length);
    }
    long user = parseLong(f[0], "user id");
    long movie = parseLong(f[1], "movie id");
    float rating;
    try {
      rating = Float.parseFloat(f[2].strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("rating is not a number: '" + f[2] + "'");
    }
    if (!(rating >= 0 && rating <= 10)) {
      throw new IllegalArgumentException("rating out of range [0, 10]: " + f[2]);
    }
    long timestamp = parseLong(f[3], "timestamp");
    if (timestamp < 0) {
      throw new IllegalArgumentException("negative timestamp: " + timestamp);
    }
    return new Rating(user, movie, timestamp, rating);
  }

  private static long parseLong(String field, String what) {
    try {
      return Long.parseLong(field.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " is not an integer: '" + field + "'");
    }
  }

  private static Map<Long, String> readTitles(
      Path file, Pattern separator, java.nio.charset.Charset charset, boolean header) {
    Map<Long, String> titles = new HashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, charset)) {
      String line;
      long number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (header && number == 1) {
          continue;
        }
        String[] f = separator.split(line, 3);
        if (f.length < 2) {
          continue;
        }
        try {
          String title = f[1];
          // movies.csv quotes titles that contain commas: take the quoted text whole.
          if (separator == COMMA && line.indexOf('"') > 0) {
            int open = line.indexOf('"');
            title = line.substring(open + 1, line.lastIndexOf('"')).replace("\"\"", "\"");
          }
          titles.put(Long.parseLong(f[0].strip()), title);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
          // A title is decoration: an unreadable one leaves the movie untitled.
          continue;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return Map.copyOf(titles);
  }
}
