package io.streamrank.model.features;

/**
 * Running rating statistics of one user or one movie: the per-key state the stream keeps and the
 * trainer rebuilds point-in-time. Immutable; statistics with residuals are added with {@link
 * StreamingFeatures#merge}, which knows their decay.
 *
 * @param count ratings seen
 * @param sum sum of those ratings
 * @param residualSum exponentially decayed sum, as of {@code residualAt}, of those ratings'
 *     residuals against the rated movie's mean at the time ({@link StreamingFeatures#residual});
 *     kept for users, 0 for movies
 * @param residualWeight the same decayed sum of ones: the ratings' decayed count
 * @param residualAt the time the decayed sums are as of, epoch seconds (that of the latest rating)
 */
public record RatingStats(
    long count, double sum, double residualSum, double residualWeight, double residualAt) {
  /** No ratings yet. */
  public static final RatingStats EMPTY = new RatingStats(0, 0, 0, 0, 0);

  /** Statistics without residuals (a movie's). */
  public RatingStats(long count, double sum) {
    this(count, sum, 0, 0, 0);
  }

  /** These statistics with one more rating and no residual (a movie's). */
  public RatingStats plus(float rating) {
    return new RatingStats(count + 1, sum + rating, residualSum, residualWeight, residualAt);
  }
}
