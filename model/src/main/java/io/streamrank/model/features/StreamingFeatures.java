package io.streamrank.model.features;

import io.streamrank.datasets.Rating;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The streaming features, defined once for the trainer and the stream so they cannot drift apart:
 * from a user's and a movie's {@link RatingStats} (ratings with an earlier event time only),
 *
 * <ol>
 *   <li>{@code user_log_count} = ln(1 + user count) / 5
 *   <li>{@code user_mean_offset} = (user sum - user count * prior) / (user count + shrinkage): the
 *       user's mean rating minus the prior, shrunk towards 0 while the user has few ratings
 *   <li>{@code movie_log_count}, {@code movie_mean_offset}: the same for the movie
 *   <li>{@code user_residual_offset} = S / (W + shrinkage), where S is the exponentially decayed
 *       sum (half-life {@code residual_half_life_days}, in event time up to the request) of the
 *       residuals of the user's ratings, W the same decayed count, and the residual of a rating is
 *       the rating minus the rated movie's shrunk mean at that rating's time ({@link #residual}):
 *       how much more the user has lately liked a movie than its other raters did so far (a
 *       baseline predictor's user bias, recent ratings weighing more)
 * </ol>
 *
 * <p>The stream computes them from keyed state before a rating updates it (a rating passes the
 * movie's state first, which gives its residual, then the user's); {@link #pointInTime} computes
 * the same values for a list of ratings, each from the ratings strictly earlier than it (ratings
 * with equal timestamps do not see each other), so training has no label leakage and no
 * training/serving skew.
 *
 * <p>Definition {@value #VERSION}; version 1 had the first four features only. Models trained with
 * version 1 are rejected by {@link #fromMap} with that reason.
 */
public final class StreamingFeatures implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  /** Number of features. */
  public static final int COUNT = 5;

  /** The definition's version, written to manifests. */
  public static final int VERSION = 2;

  /** Feature names, in order. */
  public static final List<String> NAMES =
      List.of(
          "user_log_count",
          "user_mean_offset",
          "movie_log_count",
          "movie_mean_offset",
          "user_residual_offset");

  /** The definition streamrank trains with: prior 3.5, shrinkage 5, residual half-life 7 days. */
  public static final StreamingFeatures DEFAULT = new StreamingFeatures(3.5f, 5f, 7f);

  private static final double SECONDS_PER_DAY = 86_400;

  private final float prior;
  private final float shrinkage;
  private final float residualHalfLifeDays;
  private final double decayPerSecond;

  /**
   * @param prior the rating a key's mean is compared with (and shrunk towards)
   * @param shrinkage pseudo-count of the shrinkage, {@code >= 0}
   * @param residualHalfLifeDays half-life of a rating's weight in {@code user_residual_offset},
   *     days of event time, {@code > 0}
   */
  public StreamingFeatures(float prior, float shrinkage, float residualHalfLifeDays) {
    if (!Float.isFinite(prior) || !(shrinkage >= 0)) {
      throw new IllegalArgumentException(
          "prior must be finite and shrinkage >= 0, got " + prior + ", " + shrinkage);
    }
    if (!(residualHalfLifeDays > 0) || !Float.isFinite(residualHalfLifeDays)) {
      throw new IllegalArgumentException(
          "residual half-life must be > 0 days and finite, got " + residualHalfLifeDays);
    }
    this.prior = prior;
    this.shrinkage = shrinkage;
    this.residualHalfLifeDays = residualHalfLifeDays;
    this.decayPerSecond = Math.log(2) / (residualHalfLifeDays * SECONDS_PER_DAY);
  }

  /** The prior rating. */
  public float prior() {
    return prior;
  }

  /** The shrinkage pseudo-count. */
  public float shrinkage() {
    return shrinkage;
  }

  /** The half-life of a rating's weight in {@code user_residual_offset}, days. */
  public float residualHalfLifeDays() {
    return residualHalfLifeDays;
  }

  /** The definition's parameters, for manifests. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", VERSION);
    m.put("names", NAMES);
    m.put("prior", prior);
    m.put("shrinkage", shrinkage);
    m.put("residual_half_life_days", residualHalfLifeDays);
    return m;
  }

  /**
   * The definition a manifest's {@code features} map ({@link #toMap}) describes.
   *
   * @throws IllegalArgumentException when the map names other features or lacks a parameter
   */
  public static StreamingFeatures fromMap(Map<String, Object> m) {
    if (!NAMES.equals(m.get("names"))) {
      Object version = m.getOrDefault("version", 1);
      throw new IllegalArgumentException(
          "features "
              + m.get("names")
              + " (definition version "
              + version
              + ") are not the streaming features "
              + NAMES
              + " (definition version "
              + VERSION
              + "); retrain the model with the current definition");
    }
    if (!(m.get("prior") instanceof Number prior)
        || !(m.get("shrinkage") instanceof Number s)
        || !(m.get("residual_half_life_days") instanceof Number halfLife)) {
      throw new IllegalArgumentException(
          "feature definition "
              + m
              + " lacks a numeric prior, shrinkage or residual_half_life_days");
    }
    return new StreamingFeatures(prior.floatValue(), s.floatValue(), halfLife.floatValue());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StreamingFeatures f
        && Float.compare(prior, f.prior) == 0
        && Float.compare(shrinkage, f.shrinkage) == 0
        && Float.compare(residualHalfLifeDays, f.residualHalfLifeDays) == 0;
  }

  @Override
  public int hashCode() {
    return (Float.hashCode(prior) * 31 + Float.hashCode(shrinkage)) * 31
        + Float.hashCode(residualHalfLifeDays);
  }

  @Override
  public String toString() {
    return "StreamingFeatures" + toMap();
  }

  /**
   * Writes the {@value #COUNT} features of a (user, movie) pair at time {@code atSeconds} (epoch
   * seconds; the user's residuals decay up to it) into {@code out[offset..]}.
   */
  public void compute(
      RatingStats user, RatingStats movie, double atSeconds, float[] out, int offset) {
    out[offset] = logCount(user.count());
    out[offset + 1] = meanOffset(user);
    out[offset + 2] = logCount(movie.count());
    out[offset + 3] = meanOffset(movie);
    double d = decay(atSeconds - user.residualAt());
    out[offset + 4] = (float) (user.residualSum() * d / (user.residualWeight() * d + shrinkage));
  }

  /** A user's statistics of one rating at {@code atSeconds} with its {@link #residual}. */
  public RatingStats rating(float rating, double residual, double atSeconds) {
    return rating(rating, residual, atSeconds, null);
  }

  /**
   * A user's statistics of one rating at {@code atSeconds} with its {@link #residual}, and the
   * fold-in sums of the rated movie's vector {@code q} (none when null: no table, or a movie
   * without a vector).
   */
  public RatingStats rating(float rating, double residual, double atSeconds, float[] q) {
    return new RatingStats(1, rating, residual, 1, atSeconds, foldInSums(q, residual, true));
  }

  /**
   * A user's statistics that only change the residual of its rating at {@code atSeconds} by {@code
   * change} (when the stream learns of an earlier rating of that movie after it).
   */
  public RatingStats residualChange(double change, double atSeconds) {
    return residualChange(change, atSeconds, null);
  }

  /**
   * As {@link #residualChange(double, double)}, also changing the fold-in sum Σq·residual of the
   * rated movie's vector {@code q} (null: none).
   */
  public RatingStats residualChange(double change, double atSeconds, float[] q) {
    return new RatingStats(0, 0, change, 0, atSeconds, foldInSums(q, change, false));
  }

  /** Both statistics together, the decayed sums as of the later of their times. */
  public RatingStats merge(RatingStats a, RatingStats b) {
    double at = Math.max(a.residualAt(), b.residualAt());
    double da = decay(at - a.residualAt());
    double db = decay(at - b.residualAt());
    return new RatingStats(
        a.count() + b.count(),
        a.sum() + b.sum(),
        a.residualSum() * da + b.residualSum() * db,
        a.residualWeight() * da + b.residualWeight() * db,
        at,
        mergeFoldIn(a.foldIn(), da, b.foldIn(), db));
  }

  private static double[] mergeFoldIn(double[] a, double da, double[] b, double db) {
    if (a == null && b == null) {
      return null;
    }
    if (a == null || b == null) {
      double[] one = a == null ? b : a;
      double d = a == null ? db : da;
      double[] out = new double[one.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = one[i] * d;
      }
      return out;
    }
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "fold-in sums of different tables: " + a.length + " and " + b.length + " values");
    }
    double[] out = new double[a.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = a[i] * da + b[i] * db;
    }
    return out;
  }

  /**
   * The fold-in sums of one rating of a movie with vector {@code q}: qqᵀ (upper triangle), q (when
   * {@code counted}: a rating, not a residual change) and q·residual; null without a vector.
   */
  private static double[] foldInSums(float[] q, double residual, boolean counted) {
    if (q == null) {
      return null;
    }
    int k = q.length;
    int tri = k * (k + 1) / 2;
    double[] s = new double[tri + 2 * k];
    if (counted) {
      int p = 0;
      for (int i = 0; i < k; i++) {
        for (int j = i; j < k; j++) {
          s[p++] = (double) q[i] * q[j];
        }
        s[tri + i] = q[i];
      }
    }
    for (int i = 0; i < k; i++) {
      s[tri + k + i] = q[i] * residual;
    }
    return s;
  }

  /**
   * The fold-in correction of a request for a movie with vector {@code q} at {@code atSeconds}:
   * {@code q·u}, where (u, c) is the ridge fit of the user's decayed residuals ({@link #residual})
   * on the rated movies' vectors plus a bias c, with penalty {@code ridge} on u and the shrinkage
   * on c (so c alone is {@code user_residual_offset}); 0 when the movie has no vector or the user
   * no fold-in sums. What the user's residuals say about this movie beyond the user's mean
   * residual.
   *
   * @param user the user's statistics strictly before the request
   * @param q the requested movie's vector ({@link FoldInTable#vector}), or null
   * @param ridge the penalty on the user vector ({@link FoldInTable#ridge})
   */
  public double foldInCorrection(RatingStats user, float[] q, float ridge, double atSeconds) {
    double[] s = user.foldIn();
    if (q == null || s == null) {
      return 0;
    }
    int k = q.length;
    int tri = k * (k + 1) / 2;
    if (s.length != tri + 2 * k) {
      throw new IllegalArgumentException(
          "fold-in sums of " + s.length + " values do not fit a table of dimension " + k);
    }
    double d = decay(atSeconds - user.residualAt());
    double[][] a = new double[k + 1][k + 2];
    int p = 0;
    for (int i = 0; i < k; i++) {
      for (int j = i; j < k; j++) {
        a[i][j] = s[p] * d;
        a[j][i] = s[p] * d;
        p++;
      }
      a[i][i] += ridge;
      a[i][k] = s[tri + i] * d; // Σq against the bias
      a[k][i] = a[i][k];
      a[i][k + 1] = s[tri + k + i] * d;
    }
    a[k][k] = user.residualWeight() * d + shrinkage;
    a[k][k + 1] = user.residualSum() * d;
    double[] u = FoldInTable.solve(a);
    double c = 0;
    for (int i = 0; i < k; i++) {
      c += q[i] * u[i];
    }
    return c;
  }

  private double decay(double seconds) {
    return Math.exp(-decayPerSecond * Math.max(0, seconds));
  }

  /**
   * A rating's residual against the rated movie's shrunk mean: {@code rating - prior -
   * movie_mean_offset}, with {@code movieBefore} the movie's statistics strictly before the rating.
   */
  public double residual(float rating, RatingStats movieBefore) {
    return rating - (double) prior - meanOffset(movieBefore);
  }

  private static float logCount(long count) {
    return (float) (Math.log1p(count) / 5.0);
  }

  private float meanOffset(RatingStats s) {
    return (float) ((s.sum() - s.count() * (double) prior) / (s.count() + shrinkage));
  }

  /**
   * The features of every rating from the ratings strictly earlier than it in {@code history}.
   *
   * @param history all ratings known (any order), which includes {@code rows}' own ratings when
   *     they are part of the same stream
   * @param rows the rows to compute features for
   * @return one array of {@value #COUNT} values per row, in {@code rows}' order
   */
  public float[][] pointInTime(List<Rating> history, List<Rating> rows) {
    float[][] out = new float[rows.size()][COUNT];
    replay(
        history,
        rows,
        null,
        (idx, r, user, movie) -> compute(user, movie, r.timestamp(), out[idx], 0));
    return out;
  }

  /**
   * The {@link #foldInCorrection} of every rating against {@code table}, from the ratings strictly
   * earlier than it in {@code history}, as the stream computes it.
   *
   * @return one correction per row, in {@code rows}' order
   */
  public double[] foldInCorrections(List<Rating> history, List<Rating> rows, FoldInTable table) {
    double[] out = new double[rows.size()];
    replay(
        history,
        rows,
        table,
        (idx, r, user, movie) ->
            out[idx] =
                foldInCorrection(user, table.vector(r.movieId()), table.ridge(), r.timestamp()));
    return out;
  }

  /** Receives a row with its user's and movie's statistics strictly before it. */
  private interface RowStats {
    void accept(int index, Rating row, RatingStats user, RatingStats movie);
  }

  private void replay(List<Rating> history, List<Rating> rows, FoldInTable table, RowStats sink) {
    // Sort history by time; answer each row from the statistics just before its timestamp.
    Rating[] sorted = history.toArray(new Rating[0]);
    Arrays.sort(sorted, (a, b) -> Long.compare(a.timestamp(), b.timestamp()));
    Integer[] order = new Integer[rows.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Long.compare(rows.get(a).timestamp(), rows.get(b).timestamp()));
    Map<Long, RatingStats> users = new HashMap<>();
    Map<Long, RatingStats> movies = new HashMap<>();
    int h = 0;
    for (Integer idx : order) {
      Rating r = rows.get(idx);
      while (h < sorted.length && sorted[h].timestamp() < r.timestamp()) {
        h = fold(sorted, h, users, movies, table);
      }
      sink.accept(
          idx,
          r,
          users.getOrDefault(r.userId(), RatingStats.EMPTY),
          movies.getOrDefault(r.movieId(), RatingStats.EMPTY));
    }
  }

  /**
   * Folds the ratings of {@code sorted[from]}'s timestamp into the statistics, each user's residual
   * against its movie's statistics before that timestamp, and returns the index after them.
   */
  private int fold(
      Rating[] sorted,
      int from,
      Map<Long, RatingStats> users,
      Map<Long, RatingStats> movies,
      FoldInTable table) {
    long t = sorted[from].timestamp();
    int end = from;
    while (end < sorted.length && sorted[end].timestamp() == t) {
      end++;
    }
    double[] residuals = new double[end - from];
    for (int i = from; i < end; i++) {
      RatingStats movie = movies.getOrDefault(sorted[i].movieId(), RatingStats.EMPTY);
      residuals[i - from] = residual(sorted[i].rating(), movie);
    }
    for (int i = from; i < end; i++) {
      Rating past = sorted[i];
      float[] q = table == null ? null : table.vector(past.movieId());
      users.merge(past.userId(), rating(past.rating(), residuals[i - from], t, q), this::merge);
      movies.merge(past.movieId(), RatingStats.EMPTY.plus(past.rating()), this::merge);
    }
    return end;
  }
}
