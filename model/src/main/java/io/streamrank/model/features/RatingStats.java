package io.streamrank.model.features;

import java.util.Arrays;

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
 * @param foldIn the user's fold-in sums against a {@link FoldInTable} of movie vectors q, decayed
 *     like the residual sums: Σqqᵀ (upper triangle, row by row), Σq and Σq·residual, {@code
 *     k(k+1)/2 + 2k} values; null when there are none (movies, or no table)
 */
public record RatingStats(
    long count,
    double sum,
    double residualSum,
    double residualWeight,
    double residualAt,
    double[] foldIn) {
  /** No ratings yet. */
  public static final RatingStats EMPTY = new RatingStats(0, 0, 0, 0, 0, null);

  /** Statistics without fold-in sums. */
  public RatingStats(
      long count, double sum, double residualSum, double residualWeight, double residualAt) {
    this(count, sum, residualSum, residualWeight, residualAt, null);
  }

  /** Statistics without residuals (a movie's). */
  public RatingStats(long count, double sum) {
    this(count, sum, 0, 0, 0, null);
  }

  /** These statistics with one more rating and no residual (a movie's). */
  public RatingStats plus(float rating) {
    return new RatingStats(
        count + 1, sum + rating, residualSum, residualWeight, residualAt, foldIn);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RatingStats s
        && count == s.count
        && Double.compare(sum, s.sum) == 0
        && Double.compare(residualSum, s.residualSum) == 0
        && Double.compare(residualWeight, s.residualWeight) == 0
        && Double.compare(residualAt, s.residualAt) == 0
        && Arrays.equals(foldIn, s.foldIn);
  }

  @Override
  public int hashCode() {
    int h = Long.hashCode(count);
    h = h * 31 + Double.hashCode(sum);
    h = h * 31 + Double.hashCode(residualSum);
    h = h * 31 + Double.hashCode(residualWeight);
    h = h * 31 + Double.hashCode(residualAt);
    return h * 31 + Arrays.hashCode(foldIn);
  }

  @Override
  public String toString() {
    return "RatingStats[count="
        + count
        + ", sum="
        + sum
        + ", residualSum="
        + residualSum
        + ", residualWeight="
        + residualWeight
        + ", residualAt="
        + residualAt
        + (foldIn == null ? "" : ", foldIn " + foldIn.length + " sums")
        + "]";
  }
}
