package io.streamrank.streaming.monitor;

/**
 * Distances between a reference distribution (fractions per bin) and live counts in the same bins.
 *
 * <p>Empty bins would make both measures infinite or undefined, so each side is smoothed: every bin
 * gets at least {@value #FLOOR} of the mass before the distributions are renormalised. With that
 * floor, bins that are empty on both sides contribute nothing, and one sample landing in a bin the
 * reference never saw raises PSI by a bounded amount instead of to infinity.
 */
public final class Divergence {
  /** Smallest fraction a bin is given on either side. */
  public static final double FLOOR = 1e-4;

  private Divergence() {}

  /**
   * Population stability index: {@code sum (live - ref) * ln(live / ref)} over the bins. Common
   * reading: below 0.1 stable, 0.1 to 0.25 moderate shift, above 0.25 major shift.
   *
   * @param reference fractions per bin (sum to 1)
   * @param counts live counts per bin, same length
   * @return PSI, or NaN when there are no live counts or no reference mass
   */
  public static double psi(double[] reference, double[] counts) {
    double[][] pq = smoothed(reference, counts);
    if (pq == null) {
      return Double.NaN;
    }
    double psi = 0;
    for (int i = 0; i < pq[0].length; i++) {
      psi += (pq[1][i] - pq[0][i]) * Math.log(pq[1][i] / pq[0][i]);
    }
    return psi;
  }

  /**
   * Jensen–Shannon divergence in bits (0 for equal distributions, at most 1): the mean of the two
   * Kullback–Leibler divergences to the mixture {@code (ref + live) / 2}.
   *
   * @return JS divergence, or NaN when there are no live counts or no reference mass
   */
  public static double jensenShannon(double[] reference, double[] counts) {
    double[][] pq = smoothed(reference, counts);
    if (pq == null) {
      return Double.NaN;
    }
    double js = 0;
    for (int i = 0; i < pq[0].length; i++) {
      double p = pq[0][i];
      double q = pq[1][i];
      double m = (p + q) / 2;
      js += 0.5 * p * Math.log(p / m) + 0.5 * q * Math.log(q / m);
    }
    return js / Math.log(2);
  }

  /** The two distributions with the floor applied, or null when either side has no mass. */
  private static double[][] smoothed(double[] reference, double[] counts) {
    if (reference.length != counts.length) {
      throw new IllegalArgumentException(
          "reference has " + reference.length + " bins but the live counts have " + counts.length);
    }
    double refTotal = 0;
    double liveTotal = 0;
    for (int i = 0; i < counts.length; i++) {
      refTotal += reference[i];
      liveTotal += counts[i];
    }
    if (!(refTotal > 0) || !(liveTotal > 0)) {
      return null;
    }
    return new double[][] {normalise(reference, refTotal), normalise(counts, liveTotal)};
  }

  private static double[] normalise(double[] v, double total) {
    double[] out = new double[v.length];
    double sum = 0;
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.max(FLOOR, v[i] / total);
      sum += out[i];
    }
    for (int i = 0; i < v.length; i++) {
      out[i] /= sum;
    }
    return out;
  }
}
