package io.streamrank.model;

import io.streamrank.datasets.Rating;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Offline metrics: RMSE, MAE and NDCG@k, and NDCG@k of a global-popularity ranking as the baseline.
 *
 * <p>NDCG@k, precisely: the test rows are grouped by user. For every user with at least one test
 * row, that user's test movies are ranked by predicted score, descending (ties broken by ascending
 * movie id, so the figure is deterministic). {@code DCG@k = sum over ranks i = 1..min(k, n) of
 * (2^rating_i - 1) / log2(i + 1)}; {@code IDCG@k} is the same sum with the movies ordered by their
 * true rating. NDCG@k is the mean over those users of {@code DCG@k / IDCG@k} (users whose IDCG is 0
 * are skipped). A user with a single test row scores 1 under any ranking; such users are kept, as
 * they are for the baseline, so the two figures are comparable.
 */
public final class Metrics {
  private Metrics() {}

  /** Root mean squared error of {@code predicted[i]} against {@code actual[i]}, i < n. */
  public static double rmse(float[] predicted, float[] actual, int n) {
    requireRows(n);
    double sq = 0;
    for (int i = 0; i < n; i++) {
      double e = (double) predicted[i] - actual[i];
      sq += e * e;
    }
    return Math.sqrt(sq / n);
  }

  /** Mean absolute error of {@code predicted[i]} against {@code actual[i]}, i < n. */
  public static double mae(float[] predicted, float[] actual, int n) {
    requireRows(n);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += Math.abs((double) predicted[i] - actual[i]);
    }
    return sum / n;
  }

  /** The ratings of the rows, as floats. */
  public static float[] labels(List<Rating> rows) {
    float[] y = new float[rows.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = rows.get(i).rating();
    }
    return y;
  }

  /**
   * The model's scores for the rows.
   *
   * @param features one array per row, or null when the model has no features
   */
  public static float[] predict(RankingModel model, List<Rating> rows, float[][] features) {
    int n = rows.size();
    int f = model.numFeatures();
    long[] users = new long[n];
    long[] movies = new long[n];
    float[] packed = f > 0 ? new float[n * f] : null;
    for (int i = 0; i < n; i++) {
      users[i] = rows.get(i).userId();
      movies[i] = rows.get(i).movieId();
      if (f > 0) {
        System.arraycopy(features[i], 0, packed, i * f, f);
      }
    }
    float[] out = new float[n];
    model.predictBatch(users, movies, packed, n, out);
    return out;
  }

  /** RMSE of a model without features on the rows. */
  public static double rmse(RankingModel model, List<Rating> rows) {
    return rmse(predict(model, rows, null), labels(rows), rows.size());
  }

  /** MAE of a model without features on the rows. */
  public static double mae(RankingModel model, List<Rating> rows) {
    return mae(predict(model, rows, null), labels(rows), rows.size());
  }

  /** NDCG@10 of a model without features on the test rows. */
  public static double ndcg10(RankingModel model, List<Rating> test) {
    return ndcg(test, predict(model, test, null), 10);
  }

  /**
   * NDCG@k (defined in the class comment) of the given scores.
   *
   * @param scores one score per test row, aligned with {@code test}
   */
  public static double ndcg(List<Rating> test, float[] scores, int k) {
    if (scores.length != test.size()) {
      throw new IllegalArgumentException(
          "need one score per test row: " + test.size() + " rows, " + scores.length + " scores");
    }
    Map<Long, List<Integer>> byUser = new HashMap<>();
    for (int i = 0; i < test.size(); i++) {
      byUser.computeIfAbsent(test.get(i).userId(), x -> new ArrayList<>()).add(i);
    }
    double sum = 0;
    int users = 0;
    for (List<Integer> rows : byUser.values()) {
      List<Integer> ranked = new ArrayList<>(rows);
      ranked.sort(
          (a, b) -> {
            int c = Float.compare(scores[b], scores[a]);
            return c != 0 ? c : Long.compare(test.get(a).movieId(), test.get(b).movieId());
          });
      List<Integer> ideal = new ArrayList<>(rows);
      ideal.sort((a, b) -> Float.compare(test.get(b).rating(), test.get(a).rating()));
      double idcg = dcg(test, ideal, k);
      if (idcg > 0) {
        sum += dcg(test, ranked, k) / idcg;
        users++;
      }
    }
    return users == 0 ? Double.NaN : sum / users;
  }

  /**
   * NDCG@k of ranking each user's test movies by how many training ratings the movie has (the
   * global-popularity baseline), on the same users as {@link #ndcg(List, float[], int)}.
   */
  public static double popularityNdcg(List<Rating> train, List<Rating> test, int k) {
    Map<Long, Integer> counts = new HashMap<>();
    for (Rating r : train) {
      counts.merge(r.movieId(), 1, Integer::sum);
    }
    float[] scores = new float[test.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = counts.getOrDefault(test.get(i).movieId(), 0);
    }
    return ndcg(test, scores, k);
  }

  private static double dcg(List<Rating> test, List<Integer> order, int k) {
    double dcg = 0;
    int n = Math.min(k, order.size());
    for (int i = 0; i < n; i++) {
      double gain = Math.pow(2, test.get(order.get(i)).rating()) - 1;
      dcg += gain / (Math.log(i + 2) / Math.log(2));
    }
    return dcg;
  }

  private static void requireRows(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("need at least one row, got " + n);
    }
  }
}
