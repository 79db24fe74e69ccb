package io.streamrank.streaming.monitor;

/**
 * Fixed buckets for durations in milliseconds, so a window's latency distribution is a small array
 * of counts that adds up across records: one bucket per millisecond below {@value #EXACT_BELOW} ms,
 * then buckets growing by {@value #GROWTH}x (about 5% relative error) up to about 290 million
 * years. Negative durations (clock skew) count as 0.
 */
public final class LatencyBuckets {
  /** Durations below this are counted exactly. */
  public static final int EXACT_BELOW = 100;

  /** Ratio between consecutive bucket edges above {@link #EXACT_BELOW}. */
  public static final double GROWTH = 1.1;

  /** Number of buckets. */
  public static final int COUNT = EXACT_BELOW + 400;

  private static final double LOG_GROWTH = Math.log(GROWTH);

  private LatencyBuckets() {}

  /** The bucket a duration falls in. */
  public static int bucket(long millis) {
    if (millis < EXACT_BELOW) {
      return (int) Math.max(0, millis);
    }
    int b = EXACT_BELOW + (int) (Math.log((double) millis / EXACT_BELOW) / LOG_GROWTH);
    return Math.min(COUNT - 1, b);
  }

  /** A representative duration of a bucket: exact below 100 ms, else its geometric middle. */
  public static double value(int bucket) {
    if (bucket < EXACT_BELOW) {
      return bucket;
    }
    return EXACT_BELOW * Math.pow(GROWTH, bucket - EXACT_BELOW + 0.5);
  }

  /**
   * The {@code q}-quantile of counts kept in {@code counts[offset .. offset + COUNT)}: the value of
   * the first bucket where the running count reaches {@code ceil(q * total)}.
   *
   * @return the quantile, or NaN when the buckets are empty
   */
  public static double quantile(double[] counts, int offset, double q) {
    double total = 0;
    for (int i = 0; i < COUNT; i++) {
      total += counts[offset + i];
    }
    if (total <= 0) {
      return Double.NaN;
    }
    double rank = Math.max(1, Math.ceil(q * total));
    double run = 0;
    for (int i = 0; i < COUNT; i++) {
      run += counts[offset + i];
      if (run >= rank) {
        return value(i);
      }
    }
    return value(COUNT - 1);
  }
}
