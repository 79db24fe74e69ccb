package io.streamrank.model.features;

/**
 * Running rating statistics of one user or one movie: the per-key state the stream keeps and the
 * trainer rebuilds point-in-time. Immutable.
 *
 * @param count ratings seen
 * @param sum sum of those ratings
 * @param residualSum sum of those ratings' residuals against the rated movie's mean at the time
 *     ({@link StreamingFeatures#residual}); kept for users, 0 for movies
 */
public record RatingStats(long count, double sum, double residualSum) {
  /** No ratings yet. */
  public static final RatingStats EMPTY = new RatingStats(0, 0, 0);

  /** Statistics without residuals (a movie's). */
  public RatingStats(long count, double sum) {
    this(count, sum, 0);
  }

  /** These statistics with one more rating (no residual: a movie's). */
  public RatingStats plus(float rating) {
    return plus(rating, 0);
  }

  /** These statistics with one more rating and its residual (a user's). */
  public RatingStats plus(float rating, double residual) {
    return new RatingStats(count + 1, sum + rating, residualSum + residual);
  }

  /** These statistics and {@code other}'s together. */
  public RatingStats plus(RatingStats other) {
    return new RatingStats(count + other.count, sum + other.sum, residualSum + other.residualSum);
  }
}
