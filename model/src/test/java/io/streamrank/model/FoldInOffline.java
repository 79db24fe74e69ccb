package io.streamrank.model;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.model.features.StreamingFeatures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Scratch: offline prequential RMSE of a fold-in sixth feature. Not shipped. */
public final class FoldInOffline {
  static final int K = 10;
  static int D = K;
  static boolean vectorOnly;

  public static void main(String[] args) {
    List<Rating> all = Ml100k.load().orElseThrow();
    Split split = Splits.byTime(all, 0.5, 0.6);
    StreamingFeatures sf = StreamingFeatures.DEFAULT;
    List<Rating> history = all;
    float[][] trF = sf.pointInTime(history, split.train());
    float[][] vaF = sf.pointInTime(history, split.valid());
    float[][] teF = sf.pointInTime(history, split.test());
    ModelConfig base = ModelConfig.defaults();
    String only = args.length > 0 ? args[0] : "";

    float oov = Float.parseFloat(System.getProperty("oov", "0.02"));
    base = base.toBuilder().oovRate(oov).seed(Long.getLong("seed", base.seed())).build();
    float[] d2Test = null;
    if (only.isEmpty() || only.contains("d2")) {
      RankingModel m2 = train(split, trF, vaF, base.toBuilder().numFeatures(5).build());
      report("def2", m2, split, vaF, teF);
      d2Test = Metrics.predict(m2, split.test(), teF);
      if (only.contains("outside")) {
        outside(m2, split, all, sf, trF, vaF, teF);
      }
    }
    float[] y = Metrics.labels(split.test());
    if (only.contains("lag") && d2Test != null) {
      io.streamrank.model.features.FoldInTable table =
          io.streamrank.model.features.FoldInTable.fit(split.train(), K, 5f, 15, 5f, 42L);
      for (long lag : new long[] {0, 3_600, 43_200, 86_400, 3 * 86_400}) {
        List<Rating> shifted = new ArrayList<>();
        for (Rating r : split.test()) {
          shifted.add(new Rating(r.userId(), r.movieId(), r.timestamp() - lag, r.rating()));
        }
        // Features and correction from the ratings before t - lag only (the stream's ratings lag).
        float[][] f = sf.pointInTime(all, shifted);
        double[] c = sf.foldInCorrections(all, shifted, table);
        RankingModel m2 = train(split, trF, vaF, base.toBuilder().numFeatures(5).build());
        float[] base2 = Metrics.predict(m2, split.test(), f);
        float[] p = new float[y.length];
        for (int i = 0; i < y.length; i++) {
          p[i] = base2[i] + (float) c[i];
        }
        System.out.printf(
            "lag %d s: def2 model %.4f, + correction %.4f%n",
            lag, Metrics.rmse(base2, y, y.length), Metrics.rmse(p, y, y.length));
      }
      return;
    }
    if (only.contains("api") && d2Test != null) {
      for (float ridge : new float[] {5f, 20f}) {
        io.streamrank.model.features.FoldInTable table =
            io.streamrank.model.features.FoldInTable.fit(split.train(), K, 5f, 15, ridge, 42L);
        double[] c = sf.foldInCorrections(all, split.test(), table);
        float[] p = new float[y.length];
        for (int i = 0; i < y.length; i++) {
          p[i] = d2Test[i] + (float) c[i];
        }
        System.out.printf(
            "api: def2 model + foldInCorrection (table on train, ridge %.0f): %.4f%n",
            ridge, Metrics.rmse(p, y, y.length));
      }
      return;
    }
    for (String spec : args[1].split(";")) {
      // tableEnd,lambda,halflife,baseline(0/1),mask(0/1)
      String[] a = spec.split(",");
      double tableEnd = Double.parseDouble(a[0]);
      double lam = Double.parseDouble(a[1]);
      double hl = Double.parseDouble(a[2]);
      boolean againstBaseline = a[3].equals("1");
      boolean mask = a[4].equals("1");
      List<Rating> tableRows = Splits.byTime(all, tableEnd, tableEnd).train();
      long cutoff =
          mask ? tableRows.stream().mapToLong(Rating::timestamp).max().orElse(0) : Long.MIN_VALUE;
      Map<Long, float[]> q = als(tableRows, K, 5.0, 15);
      boolean joint = a.length > 5 && !a[5].equals("0");
      vectorOnly = a.length > 5 && a[5].equals("v");
      D = joint ? K + 1 : K;
      if (joint) {
        q.replaceAll(
            (m, v) -> {
              float[] e = Arrays.copyOf(v, K + 1);
              e[K] = 1;
              return e;
            });
      }
      Map<Rating, Float> fold = foldIn(all, q, sf, lam, hl, null, cutoff, againstBaseline);
      float[][] tr6 = add(trF, split.train(), fold);
      float[][] va6 = add(vaF, split.valid(), fold);
      float[][] te6 = add(teF, split.test(), fold);
      float[] p = new float[y.length];
      for (int i = 0; i < y.length; i++) {
        p[i] = 3.5f + teF[i][3] + teF[i][4] + te6[i][5];
      }
      System.out.printf("%s online baseline+fold: %.4f%n", spec, Metrics.rmse(p, y, y.length));
      if (d2Test != null) {
        for (int i = 0; i < y.length; i++) {
          p[i] = d2Test[i] + te6[i][5];
        }
        System.out.printf("%s def2 model + fold: %.4f%n", spec, Metrics.rmse(p, y, y.length));
      }
      if (only.contains("f6")) {
        RankingModel m6 = train(split, tr6, va6, base.toBuilder().numFeatures(6).build());
        report("f6 " + spec, m6, split, va6, te6);
      }
    }
  }

  /** Model + q^T u with u fitted on residuals against the model itself. */
  static void outside(
      RankingModel m,
      Split split,
      List<Rating> all,
      StreamingFeatures sf,
      float[][] trF,
      float[][] vaF,
      float[][] teF) {
    Map<Rating, Float> pred = new HashMap<>();
    put(pred, split.train(), Metrics.predict(m, split.train(), trF));
    put(pred, split.valid(), Metrics.predict(m, split.valid(), vaF));
    float[] te = Metrics.predict(m, split.test(), teF);
    put(pred, split.test(), te);
    Map<Long, float[]> q = als(split.train(), K, 5.0, 15);
    float[] y = Metrics.labels(split.test());
    for (double hl : new double[] {0, 7}) {
      for (double lam : new double[] {5, 20}) {
        Map<Rating, Float> fold = foldIn(all, q, sf, lam, hl, pred);
        float[] p = new float[y.length];
        for (int i = 0; i < y.length; i++) {
          p[i] = te[i] + fold.get(split.test().get(i));
        }
        System.out.printf(
            "outside model+fold lambda %.0f hl %.0f: %.4f%n",
            lam, hl, Metrics.rmse(p, y, y.length));
      }
    }
  }

  static void put(Map<Rating, Float> m, List<Rating> rows, float[] v) {
    for (int i = 0; i < rows.size(); i++) {
      m.put(rows.get(i), v[i]);
    }
  }

  static RankingModel train(Split s, float[][] tr, float[][] va, ModelConfig cfg) {
    return new Trainer().train(s.train(), tr, s.valid(), va, cfg, TrainingListener.NONE);
  }

  static void report(String name, RankingModel m, Split s, float[][] va, float[][] te) {
    float[] y = Metrics.labels(s.test());
    float[] vy = Metrics.labels(s.valid());
    System.out.printf(
        "%-40s valid %.4f prequential %.4f%n",
        name,
        Metrics.rmse(Metrics.predict(m, s.valid(), va), vy, vy.length),
        Metrics.rmse(Metrics.predict(m, s.test(), te), y, y.length));
  }

  static float[][] add(float[][] f, List<Rating> rows, Map<Rating, Float> fold) {
    float[][] out = new float[f.length][];
    for (int i = 0; i < f.length; i++) {
      out[i] = Arrays.copyOf(f[i], f[i].length + 1);
      out[i][f[i].length] = fold.get(rows.get(i));
    }
    return out;
  }

  /**
   * Point-in-time fold-in q_i^T u for every rating; residuals against the movie's shrunk mean (def
   * 2) or, when modelPred is given, against the model.
   */
  static Map<Rating, Float> foldIn(
      List<Rating> all,
      Map<Long, float[]> q,
      StreamingFeatures sf,
      double lambda,
      double halfLifeDays,
      Map<Rating, Float> modelPred) {
    return foldIn(all, q, sf, lambda, halfLifeDays, modelPred, Long.MIN_VALUE, false);
  }

  static Map<Rating, Float> foldIn(
      List<Rating> all,
      Map<Long, float[]> q,
      StreamingFeatures sf,
      double lambda,
      double halfLifeDays,
      Map<Rating, Float> modelPred,
      long cutoff,
      boolean againstBaseline) {
    double uresRate = Math.log(2) / (sf.residualHalfLifeDays() * 86400);
    Map<Long, double[]> ures = new HashMap<>(); // S, W, at
    Rating[] sorted = all.toArray(new Rating[0]);
    Arrays.sort(sorted, (a, b) -> Long.compare(a.timestamp(), b.timestamp()));
    double rate = halfLifeDays > 0 ? Math.log(2) / (halfLifeDays * 86400) : 0;
    Map<Long, double[]> movieStats = new HashMap<>(); // count, sum
    Map<Long, double[]> userA = new HashMap<>(); // k*k A, then k b, then time
    Map<Rating, Float> out = new HashMap<>();
    float[] zero = new float[D];
    int h = 0;
    while (h < sorted.length) {
      long t = sorted[h].timestamp();
      int end = h;
      while (end < sorted.length && sorted[end].timestamp() == t) {
        end++;
      }
      double[] res = new double[end - h];
      double[] raw = new double[end - h];
      for (int i = h; i < end; i++) {
        Rating r = sorted[i];
        double[] st = userA.get(r.userId());
        float[] qi = q.getOrDefault(r.movieId(), zero);
        out.put(r, (float) (st == null || t <= cutoff ? 0 : dot(qi, solve(st, lambda, t, rate))));
        if (modelPred != null) {
          res[i - h] = r.rating() - modelPred.get(r);
        } else {
          double[] ms = movieStats.getOrDefault(r.movieId(), new double[2]);
          res[i - h] =
              r.rating() - sf.prior() - (ms[1] - ms[0] * sf.prior()) / (ms[0] + sf.shrinkage());
        }
        raw[i - h] = res[i - h];
        if (againstBaseline) {
          double[] us = ures.get(r.userId());
          if (us != null) {
            double d = Math.exp(-uresRate * Math.max(0, t - us[2]));
            res[i - h] -= us[0] * d / (us[1] * d + sf.shrinkage());
          }
        }
      }
      for (int i = h; i < end; i++) {
        Rating r = sorted[i];
        float[] qi = q.getOrDefault(r.movieId(), zero);
        double[] st = userA.computeIfAbsent(r.userId(), u -> new double[D * D + D + 1]);
        double d = rate > 0 ? Math.exp(-rate * Math.max(0, t - st[D * D + D])) : 1;
        for (int a = 0; a < D; a++) {
          for (int b = 0; b < D; b++) {
            st[a * D + b] = st[a * D + b] * d + qi[a] * qi[b];
          }
          st[D * D + a] = st[D * D + a] * d + qi[a] * res[i - h];
        }
        st[D * D + D] = t;
        if (againstBaseline) {
          double[] us = ures.computeIfAbsent(r.userId(), u -> new double[3]);
          double du = Math.exp(-uresRate * Math.max(0, t - us[2]));
          us[0] = us[0] * du + raw[i - h];
          us[1] = us[1] * du + 1;
          us[2] = t;
        }
        double[] ms = movieStats.computeIfAbsent(r.movieId(), m -> new double[2]);
        ms[0]++;
        ms[1] += r.rating();
      }
      h = end;
    }
    return out;
  }

  static double dot(float[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < (vectorOnly ? K : a.length); i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double[] solve(double[] st, double lambda, long t, double rate) {
    double d = rate > 0 ? Math.exp(-rate * Math.max(0, t - st[D * D + D])) : 1;
    double[][] a = new double[D][D + 1];
    for (int i = 0; i < D; i++) {
      for (int j = 0; j < D; j++) {
        a[i][j] = st[i * D + j] * d + (i == j ? (i < K ? lambda : 5.0) : 0);
      }
      a[i][D] = st[D * D + i] * d;
    }
    return gauss(a);
  }

  static double[] gauss(double[][] a) {
    int n = a.length;
    for (int c = 0; c < n; c++) {
      int p = c;
      for (int r = c + 1; r < n; r++) {
        if (Math.abs(a[r][c]) > Math.abs(a[p][c])) {
          p = r;
        }
      }
      double[] tmp = a[c];
      a[c] = a[p];
      a[p] = tmp;
      for (int r = c + 1; r < n; r++) {
        double f = a[r][c] / a[c][c];
        for (int j = c; j <= n; j++) {
          a[r][j] -= f * a[c][j];
        }
      }
    }
    double[] x = new double[n];
    for (int r = n - 1; r >= 0; r--) {
      double s = a[r][n];
      for (int j = r + 1; j < n; j++) {
        s -= a[r][j] * x[j];
      }
      x[r] = s / a[r][r];
    }
    return x;
  }

  /** ALS on ratings minus the global mean, users' and movies' biases folded into the factors. */
  static Map<Long, float[]> als(List<Rating> rows, int k, double lambda, int iters) {
    double mu = rows.stream().mapToDouble(Rating::rating).average().orElse(3.5);
    Map<Long, List<Rating>> byUser = new HashMap<>();
    Map<Long, List<Rating>> byMovie = new HashMap<>();
    for (Rating r : rows) {
      byUser.computeIfAbsent(r.userId(), u -> new ArrayList<>()).add(r);
      byMovie.computeIfAbsent(r.movieId(), u -> new ArrayList<>()).add(r);
    }
    Random rnd = new Random(42);
    Map<Long, double[]> p = new HashMap<>();
    Map<Long, double[]> q = new HashMap<>();
    for (Long u : byUser.keySet()) {
      p.put(u, rnd.doubles(k, -0.1, 0.1).toArray());
    }
    for (Long m : byMovie.keySet()) {
      q.put(m, rnd.doubles(k, -0.1, 0.1).toArray());
    }
    for (int it = 0; it < iters; it++) {
      step(byUser, q, p, mu, k, lambda, true);
      step(byMovie, p, q, mu, k, lambda, false);
    }
    Map<Long, float[]> out = new HashMap<>();
    q.forEach(
        (m, v) -> {
          float[] f = new float[k];
          for (int i = 0; i < k; i++) {
            f[i] = (float) v[i];
          }
          out.put(m, f);
        });
    return out;
  }

  static void step(
      Map<Long, List<Rating>> groups,
      Map<Long, double[]> fixed,
      Map<Long, double[]> solved,
      double mu,
      int k,
      double lambda,
      boolean users) {
    for (var e : groups.entrySet()) {
      double[][] a = new double[k][k + 1];
      for (Rating r : e.getValue()) {
        double[] f = fixed.get(users ? r.movieId() : r.userId());
        for (int i = 0; i < k; i++) {
          for (int j = 0; j < k; j++) {
            a[i][j] += f[i] * f[j];
          }
          a[i][k] += f[i] * (r.rating() - mu);
        }
      }
      for (int i = 0; i < k; i++) {
        a[i][i] += lambda;
      }
      solved.put(e.getKey(), gauss(a));
    }
  }
}
