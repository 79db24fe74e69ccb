package io.streamrank.model;

import java.util.Objects;

/**
 * The ranking model: {@code score = global mean + user bias + movie bias + dot(user factors, movie
 * factors) + MLP(concat(user embedding, movie embedding, features))}, in float32 so it matches the
 * exported ONNX graph. Raw ids map to rows through a {@link Vocabulary}; an unknown user or movie
 * takes the out-of-vocabulary row 0, which training teaches to behave like an average one.
 *
 * <p>Immutable and thread-safe. Build one with {@link Trainer}.
 */
public final class RankingModel {
  private final ModelConfig config;
  private final Vocabulary users;
  private final Vocabulary movies;
  private final ModelWeights weights;

  /**
   * Wraps trained weights; the weights are copied.
   *
   * @throws IllegalArgumentException when the shapes of the weights do not fit the configuration
   *     and vocabularies
   */
  public RankingModel(
      ModelConfig config, Vocabulary users, Vocabulary movies, ModelWeights weights) {
    this.config = Objects.requireNonNull(config, "config");
    this.users = Objects.requireNonNull(users, "users");
    this.movies = Objects.requireNonNull(movies, "movies");
    ModelWeights expected = ModelWeights.zeros(config, users.size(), movies.size(), 0f);
    checkShape(expected, weights);
    this.weights = weights.deepCopy();
  }

  private static void checkShape(ModelWeights expected, ModelWeights w) {
    String e = shapeOf(expected);
    String f = shapeOf(w);
    if (!e.equals(f)) {
      throw new IllegalArgumentException(
          "weights have shape " + f + ", the configuration needs " + e);
    }
  }

  private static String shapeOf(ModelWeights w) {
    StringBuilder sb = new StringBuilder();
    sb.append("d=").append(w.embeddingDim).append(" f=").append(w.numFeatures);
    sb.append(" users=").append(w.userBias.length).append(" movies=").append(w.movieBias.length);
    sb.append(" uf=").append(w.userFactors.length).append(" mf=").append(w.movieFactors.length);
    sb.append(" shared=").append(w.sharedEmbeddings());
    sb.append(" um=").append(w.userMlp.length).append(" mm=").append(w.movieMlp.length);
    for (int l = 0; l < w.kernels.length; l++) {
      sb.append(" L").append(l).append('=').append(w.layerIn[l]).append('x').append(w.layerOut[l]);
      sb.append('/').append(w.kernels[l].length).append('/').append(w.biases[l].length);
    }
    return sb.toString();
  }

  /**
   * Scores one (user, movie) pair.
   *
   * @param features {@link #numFeatures()} values, may be null when the model has none
   */
  public float predict(long userId, long movieId, float[] features) {
    checkFeatures(features, 1);
    return Net.score(
        weights, users.row(userId), movies.row(movieId), features, 0, new Net.Scratch(weights));
  }

  /**
   * Scores {@code n} rows into {@code out[0..n)}.
   *
   * @param featuresRowMajor {@code n * numFeatures()} values, row-major; may be null when the model
   *     has none
   */
  public void predictBatch(
      long[] userIds, long[] movieIds, float[] featuresRowMajor, int n, float[] out) {
    if (userIds.length < n || movieIds.length < n || out.length < n) {
      throw new IllegalArgumentException(
          "arrays shorter than n="
              + n
              + ": users="
              + userIds.length
              + " movies="
              + movieIds.length
              + " out="
              + out.length);
    }
    checkFeatures(featuresRowMajor, n);
    Net.Scratch s = new Net.Scratch(weights);
    int f = weights.numFeatures;
    for (int i = 0; i < n; i++) {
      out[i] =
          Net.score(
              weights, users.row(userIds[i]), movies.row(movieIds[i]), featuresRowMajor, i * f, s);
    }
  }

  /** Scores by rows rather than ids (package use: trainer and metrics). */
  float predictRows(int userRow, int movieRow, float[] features, int offset, Net.Scratch s) {
    return Net.score(weights, userRow, movieRow, features, offset, s);
  }

  private void checkFeatures(float[] features, int n) {
    int f = weights.numFeatures;
    if (f == 0) {
      return;
    }
    if (features == null || features.length < (long) n * f) {
      throw new IllegalArgumentException(
          "expected "
              + ((long) n * f)
              + " feature values ("
              + n
              + " rows x "
              + f
              + "), got "
              + (features == null ? "null" : features.length));
    }
  }

  /** Whether the user has its own embedding row (otherwise the out-of-vocabulary row scores it). */
  public boolean knowsUser(long userId) {
    return users.contains(userId);
  }

  /** Whether the movie has its own embedding row. */
  public boolean knowsMovie(long movieId) {
    return movies.contains(movieId);
  }

  /** Extra float features the model expects per row. */
  public int numFeatures() {
    return weights.numFeatures;
  }

  /** The hyperparameters it was trained with. */
  public ModelConfig config() {
    return config;
  }

  /** User id to row mapping. */
  public Vocabulary users() {
    return users;
  }

  /** Movie id to row mapping. */
  public Vocabulary movies() {
    return movies;
  }

  /** A copy of the weights. */
  public ModelWeights weights() {
    return weights.deepCopy();
  }

  /** The weights without a copy (package use). */
  ModelWeights weightsView() {
    return weights;
  }
}
