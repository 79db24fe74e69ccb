package io.streamrank.datasets;

import java.util.List;
import java.util.Map;

/**
 * Ratings read from a source, in timestamp order, with what could not be read.
 *
 * @param source a short description of where they came from (format and directory, or generator)
 * @param ratings the ratings, sorted by timestamp (stable, so ties keep file order)
 * @param titles movie titles where the source has them (may be empty)
 * @param malformed lines that could not be parsed, in file order
 */
public record RatingData(
    String source, List<Rating> ratings, Map<Long, String> titles, List<MalformedLine> malformed) {

  /**
   * What a reader reports of the lines it skipped: their count and the first, or empty when none
   * was skipped.
   */
  public java.util.Optional<String> malformedSummary() {
    return malformed.isEmpty()
        ? java.util.Optional.empty()
        : java.util.Optional.of(
            source
                + ": "
                + malformed.size()
                + " malformed lines skipped, first: "
                + malformed.get(0));
  }
}
