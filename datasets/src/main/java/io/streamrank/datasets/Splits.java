package io.streamrank.datasets;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/** The two ways streamrank splits ratings: by time (the seed's) and at random. */
public final class Splits {
  private Splits() {}

  /**
   * Splits at fractions of the timestamp range (not the row count), as the seed tutorial did: with
   * 0.6 and 0.8, train holds ratings before min + 0.6 * range, valid those before min + 0.8 *
   * range, test the rest. Each part is in time order.
   */
  public static Split byTime(List<Rating> ratings, double trainEnd, double validEnd) {
    checkFractions(trainEnd, validEnd);
    if (ratings.isEmpty()) {
      return new Split(List.of(), List.of(), List.of());
    }
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (Rating r : ratings) {
      min = Math.min(min, r.timestamp());
      max = Math.max(max, r.timestamp());
    }
    double range = max - min;
    double trainCut = min + trainEnd * range;
    double validCut = min + validEnd * range;
    List<Rating> sorted = new ArrayList<>(ratings);
    sorted.sort(Comparator.comparingLong(Rating::timestamp));
    List<Rating> train = new ArrayList<>();
    List<Rating> valid = new ArrayList<>();
    List<Rating> test = new ArrayList<>();
    for (Rating r : sorted) {
      if (r.timestamp() < trainCut) {
        train.add(r);
      } else if (r.timestamp() < validCut) {
        valid.add(r);
      } else {
        test.add(r);
      }
    }
    return new Split(train, valid, test);
  }

  /** The seed's time split: 60/20/20 over the timestamp range. */
  public static Split byTime(List<Rating> ratings) {
    return byTime(ratings, 0.6, 0.8);
  }

  /** Shuffles with the seed, then cuts at the row fractions (70/10/20 is {@code 0.7, 0.8}). */
  public static Split random(List<Rating> ratings, double trainEnd, double validEnd, long seed) {
    checkFractions(trainEnd, validEnd);
    List<Rating> shuffled = new ArrayList<>(ratings);
    java.util.Collections.shuffle(shuffled, new Random(seed));
    int a = (int) Math.round(trainEnd * shuffled.size());
    int b = (int) Math.round(validEnd * shuffled.size());
    return new Split(
        List.copyOf(shuffled.subList(0, a)),
        List.copyOf(shuffled.subList(a, b)),
        List.copyOf(shuffled.subList(b, shuffled.size())));
  }

  /** The random split streamrank reports: 70/10/20. */
  public static Split random(List<Rating> ratings, long seed) {
    return random(ratings, 0.7, 0.8, seed);
  }

  private static void checkFractions(double trainEnd, double validEnd) {
    if (!(trainEnd > 0 && trainEnd <= validEnd && validEnd <= 1)) {
      throw new IllegalArgumentException(
          "split fractions must satisfy 0 < train <= valid <= 1, got train="
              + trainEnd
              + " valid="
              + validEnd);
    }
  }
}
