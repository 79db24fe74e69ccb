package io.streamrank.streaming;

/**
 * A loaded, verified model version as the scoring operator sees it: its identity and a batch
 * scoring call. Implementations hold native resources and are closed when the operator is done with
 * them.
 */
public interface ScoringModel extends AutoCloseable {
  /** The version that every prediction from this model carries. */
  String version();

  /** Registry directory of the bundle it was loaded from. */
  String bundleUri();

  /** sha256 of its {@code model.onnx}. */
  String sha256();

  /** When the bundle was built, epoch milliseconds; orders versions. */
  long createdAtMillis();

  /**
   * Labelled rows shipped in the bundle for the swap gate: a candidate is compared with the serving
   * version on its own rows. Empty when the bundle carries no labels.
   */
  GateRows gateRows();

  /** Whether the model has a row for the user; false means the out-of-vocabulary path. */
  boolean knowsUser(long userId);

  /** Whether the model has a row for the movie; false means the out-of-vocabulary path. */
  boolean knowsMovie(long movieId);

  /**
   * Scores the first {@code n} rows.
   *
   * @param users user ids
   * @param movies movie ids
   * @param n rows to score, at most the batch size the model was opened for
   * @param out receives one score per row
   */
  void score(long[] users, long[] movies, int n, float[] out);

  /** Features per row the model takes; 0 for a model of ids alone. */
  default int numFeatures() {
    return 0;
  }

  /**
   * Scores the first {@code n} rows with their features.
   *
   * @param features {@code n * numFeatures()} values row-major, ignored (may be null) when the
   *     model takes none
   */
  default void score(long[] users, long[] movies, float[] features, int n, float[] out) {
    score(users, movies, n, out);
  }

  /** Releases the model's native resources (a shared session closes with its last user). */
  @Override
  void close();
}
