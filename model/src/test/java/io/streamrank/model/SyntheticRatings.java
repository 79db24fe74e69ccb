package io.streamrank.model;

import io.streamrank.datasets.Rating;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Test fixture: ratings from a small latent-factor world, deterministic for a seed. */
public final class SyntheticRatings {
  private SyntheticRatings() {}

  /**
   * {@code rows} ratings by {@code users} users (ids 1..users) of {@code movies} movies (ids
   * 1..movies): {@code 3.5 + user bias + movie bias + user . movie + noise}, clipped to [1, 5],
   * with increasing timestamps.
   */
  public static List<Rating> generate(int users, int movies, int rows, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    int k = 4;
    double[][] p = new double[users + 1][k];
    double[][] q = new double[movies + 1][k];
    double[] bu = new double[users + 1];
    double[] bm = new double[movies + 1];
    for (int u = 1; u <= users; u++) {
      bu[u] = rng.nextGaussian() * 0.4;
      for (int i = 0; i < k; i++) {
        p[u][i] = rng.nextGaussian() * 0.5;
      }
    }
    for (int m = 1; m <= movies; m++) {
      bm[m] = rng.nextGaussian() * 0.5;
      for (int i = 0; i < k; i++) {
        q[m][i] = rng.nextGaussian() * 0.5;
      }
    }
    List<Rating> out = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      int u = 1 + rng.nextInt(users);
      int m = 1 + rng.nextInt(movies);
      double dot = 0;
      for (int i = 0; i < k; i++) {
        dot += p[u][i] * q[m][i];
      }
      double y = 3.5 + bu[u] + bm[m] + dot + rng.nextGaussian() * 0.3;
      out.add(new Rating(u, m, 1_000_000L + r * 60L, (float) Math.max(1, Math.min(5, y))));
    }
    return out;
  }

  /** Features for each row: a deterministic function of the ids plus a constant column. */
  public static float[][] features(List<Rating> rows, int numFeatures) {
    float[][] f = new float[rows.size()][numFeatures];
    for (int i = 0; i < rows.size(); i++) {
      Rating r = rows.get(i);
      for (int j = 0; j < numFeatures; j++) {
        f[i][j] = (float) Math.sin(r.userId() * 0.37 + r.movieId() * 0.11 + j);
      }
    }
    return f;
  }
}
