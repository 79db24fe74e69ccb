package io.streamrank.streaming;

/**
 * Labelled rows a candidate version brings for the swap gate.
 *
 * @param users user ids
 * @param movies movie ids
 * @param ratings the true ratings
 * @param features each row's features, row-major ({@code numFeatures} per row), empty when the rows
 *     carry none
 * @param numFeatures features per row
 */
public record GateRows(
    long[] users, long[] movies, float[] ratings, float[] features, int numFeatures) {
  /** Rows without features. */
  public GateRows(long[] users, long[] movies, float[] ratings) {
    this(users, movies, ratings, new float[0], 0);
  }

  /** No rows: the gate then checks only what the bundle checks did. */
  public static GateRows none() {
    return new GateRows(new long[0], new long[0], new float[0]);
  }

  public int size() {
    return ratings.length;
  }

  /** RMSE of a model on these rows, scored in batches of at most {@code maxBatch}. */
  public double rmse(ScoringModel model, int maxBatch) {
    int n = size();
    if (n == 0) {
      return Double.NaN;
    }
    float[] out = new float[maxBatch];
    long[] u = new long[maxBatch];
    long[] m = new long[maxBatch];
    float[] x = new float[maxBatch * numFeatures];
    double sum = 0;
    for (int from = 0; from < n; from += maxBatch) {
      int k = Math.min(maxBatch, n - from);
      System.arraycopy(users, from, u, 0, k);
      System.arraycopy(movies, from, m, 0, k);
      System.arraycopy(features, from * numFeatures, x, 0, k * numFeatures);
      model.score(u, m, x, k, out);
      for (int i = 0; i < k; i++) {
        double d = out[i] - ratings[from + i];
        sum += d * d;
      }
    }
    return Math.sqrt(sum / n);
  }
}
