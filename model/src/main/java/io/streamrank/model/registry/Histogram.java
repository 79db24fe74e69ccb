package io.streamrank.model.registry;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;

/**
 * A reference distribution for drift monitors: {@code edges.length - 1} bins, bin {@code i}
 * covering {@code [edges[i], edges[i+1])}; values below the first edge count in the first bin and
 * values at or above the last edge in the last, so no value is lost. {@code fractions} sum to 1
 * (all zero when the histogram is empty).
 *
 * @param edges ascending bin edges, at least two
 * @param fractions fraction of values per bin
 * @param count number of values counted
 */
public record Histogram(
    @JsonProperty("edges") double[] edges,
    @JsonProperty("fractions") double[] fractions,
    @JsonProperty("count") long count) {

  /** Checks the shape. */
  public Histogram {
    if (edges == null || edges.length < 2) {
      throw new IllegalArgumentException("a histogram needs at least two edges");
    }
    if (fractions == null || fractions.length != edges.length - 1) {
      throw new IllegalArgumentException(
          "expected "
              + (edges.length - 1)
              + " fractions for "
              + edges.length
              + " edges, got "
              + (fractions == null ? "null" : fractions.length));
    }
    edges = edges.clone();
    fractions = fractions.clone();
  }

  /** Counts the first {@code n} values into bins with the given edges. */
  public static Histogram of(float[] values, int n, double[] edges) {
    double[] counts = new double[edges.length - 1];
    for (int i = 0; i < n; i++) {
      counts[bin(edges, values[i])]++;
    }
    if (n > 0) {
      for (int b = 0; b < counts.length; b++) {
        counts[b] /= n;
      }
    }
    return new Histogram(edges, counts, n);
  }

  /** {@code bins} equal-width bins from {@code lo} to {@code hi}. */
  public static double[] edges(double lo, double hi, int bins) {
    double[] e = new double[bins + 1];
    for (int i = 0; i <= bins; i++) {
      e[i] = lo + (hi - lo) * i / bins;
    }
    return e;
  }

  /** The bin a value falls in (clamped to the outer bins; NaN counts in the first). */
  public static int bin(double[] edges, double v) {
    int last = edges.length - 2;
    if (!(v >= edges[1])) {
      return 0;
    }
    if (v >= edges[last]) {
      return last;
    }
    int i = Arrays.binarySearch(edges, v);
    return i >= 0 ? i : -i - 2;
  }

  @Override
  public double[] edges() {
    return edges.clone();
  }

  @Override
  public double[] fractions() {
    return fractions.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Histogram h
        && Arrays.equals(edges, h.edges)
        && Arrays.equals(fractions, h.fractions)
        && count == h.count;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(edges) + Arrays.hashCode(fractions)) + Long.hashCode(count);
  }

  @Override
  public String toString() {
    return "Histogram[edges="
        + Arrays.toString(edges)
        + ", fractions="
        + Arrays.toString(fractions)
        + ", count="
        + count
        + "]";
  }
}
