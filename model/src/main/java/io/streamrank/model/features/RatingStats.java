package io.streamrank.model.features;

/**
 * Running rating statistics of one user or one movie: the per-key state the stream keeps and the
 * trainer rebuilds point-in-time. Immutable.
 *
 * @param count ratings seen
 * @param sum sum of those ratings
 */
public record RatingStats(long count, double sum) {
  /** No ratings yet. */
  public static final RatingStats EMPTY = new RatingStats(0, 0);

  /** These statistics with one more rating. */
  public RatingStats plus(float rating) {
    return new RatingStats(count + 1, sum + rating);
  }

  /** These statistics and {@code other}'s together. */
  public RatingStats plus(RatingStats other) {
    return new RatingStats(count + other.count, sum + other.sum);
  }
}
