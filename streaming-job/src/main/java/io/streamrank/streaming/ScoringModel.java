package io.streamrank.streaming;

/**
 * A loaded model version as the scoring operator sees it: a version name and a batch scoring call.
 * Implementations hold native resources and are closed when the operator is done with them.
 */
public interface ScoringModel extends AutoCloseable {
  /** The version that every prediction from this model carries. */
  String version();

  /**
   * Scores the first {@code n} rows.
   *
   * @param users user ids
   * @param movies movie ids
   * @param n rows to score, at most the batch size the model was opened for
   * @param out receives one score per row
   */
  void score(long[] users, long[] movies, int n, float[] out);

  @Override
  void close();
}
