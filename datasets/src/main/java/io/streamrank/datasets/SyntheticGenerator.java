package io.streamrank.datasets;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A latent-factor world of users and movies, so the demo and the tests need no download.
 *
 * <p>Each user and movie has a bias and a {@code dim}-dimensional factor vector; a rating is {@code
 * mean + userBias + movieBias + <user, movie> + noise}, rounded and clipped to 1..5. Users differ
 * in activity and movies in popularity (both heavy-tailed). Timestamps spread evenly over {@code
 * days}; after {@code driftAt} (a fraction of the time range) the {@link DriftScenario} applies.
 * The same options and seed give the same ratings.
 */
public final class SyntheticGenerator {
  /** Epoch seconds of the first synthetic rating (2024-01-01T00:00:00Z): fixed so runs repeat. */
  public static final long START_EPOCH_SECONDS = 1_704_067_200L;

  private final Options options;

  /**
   * Generator settings with defaults sized like MovieLens 100k.
   *
   * @param users number of users before any drift
   * @param movies number of movies before any drift
   * @param ratings number of ratings to generate
   * @param dim latent dimension of the true model
   * @param days time span of the stream
   * @param driftAt fraction of the time range where the scenario starts
   * @param scenario what changes after the drift point
   * @param seed random seed
   */
  public record Options(
      int users,
      int movies,
      int ratings,
      int dim,
      int days,
      double driftAt,
      DriftScenario scenario,
      long seed) {
    /** Validates every field, naming the one that is wrong. */
    public Options {
      require(users > 0, "users must be > 0, got " + users);
      require(movies > 0, "movies must be > 0, got " + movies);
      require(ratings > 0, "ratings must be > 0, got " + ratings);
      require(dim > 0, "dim must be > 0, got " + dim);
      require(days > 0, "days must be > 0, got " + days);
      require(driftAt > 0 && driftAt < 1, "driftAt must be in (0, 1), got " + driftAt);
      require(scenario != null, "scenario must be set");
    }

    /** 943 users, 1682 movies, 100,000 ratings over 210 days, no drift, seed 42. */
    public static Options defaults() {
      return new Options(943, 1682, 100_000, 8, 210, 0.7, DriftScenario.NONE, 42);
    }

    /** The same options with another size. */
    public Options withRatings(int n) {
      return new Options(users, movies, n, dim, days, driftAt, scenario, seed);
    }

    /** The same options with another scenario. */
    public Options withScenario(DriftScenario s) {
      return new Options(users, movies, ratings, dim, days, driftAt, s, seed);
    }

    /** The same options with another seed. */
    public Options withSeed(long s) {
      return new Options(users, movies, ratings, dim, days, driftAt, scenario, s);
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException("synthetic generator: " + message);
      }
    }
  }

  public SyntheticGenerator(Options options) {
    this.options = options;
  }

  /** Generates the ratings in timestamp order. */
  public RatingData generate() {
    Options o = options;
    Random rnd = new Random(o.seed());
    boolean newUsers = o.scenario() == DriftScenario.NEW_USERS;
    boolean newMovies = o.scenario() == DriftScenario.NEW_MOVIES;
    int extraUsers = newUsers ? Math.max(1, o.users() / 2) : 0;
    int extraMovies = newMovies ? Math.max(1, o.movies() / 3) : 0;
    int totalUsers = o.users() + extraUsers;
    int totalMovies = o.movies() + extraMovies;
    double scale = 1.0 / Math.sqrt(o.dim());
    float[][] userFactors = factors(rnd, totalUsers, o.dim(), 0.9 * Math.sqrt(scale));
    float[][] movieFactors = factors(rnd, totalMovies, o.dim(), 0.9 * Math.sqrt(scale));
    float[][] shiftedFactors = factors(rnd, totalUsers, o.dim(), 0.9 * Math.sqrt(scale));
    float[] userBias = biases(rnd, totalUsers, 0.45);
    float[] movieBias = biases(rnd, totalMovies, 0.55);
    double[] userWeight = heavyTail(rnd, totalUsers, 1.1);
    double[] movieWeight = heavyTail(rnd, totalMovies, 1.4);
    double[] oldUserCdf = cdf(userWeight, 0, o.users());
    double[] allUserCdf = newUsers ? cdfFavouring(userWeight, o.users(), 0.7) : oldUserCdf;
    double[] oldMovieCdf = cdf(movieWeight, 0, o.movies());
    double[] allMovieCdf = newMovies ? cdfFavouring(movieWeight, o.movies(), 0.6) : oldMovieCdf;
    long span = o.days() * 86_400L;
    long driftTime = START_EPOCH_SECONDS + (long) (o.driftAt() * span);
    List<Rating> ratings = new ArrayList<>(o.ratings());
    for (int i = 0; i < o.ratings(); i++) {
      long ts = START_EPOCH_SECONDS + (long) ((double) i / o.ratings() * span);
      boolean drifted = ts >= driftTime;
      int u = pick(rnd, drifted ? allUserCdf : oldUserCdf);
      int m = pick(rnd, drifted ? allMovieCdf : oldMovieCdf);
      float[] uf =
          drifted && o.scenario() == DriftScenario.TASTE_SHIFT ? shiftedFactors[u] : userFactors[u];
      double dot = 0;
      for (int k = 0; k < o.dim(); k++) {
        dot += uf[k] * movieFactors[m][k];
      }
      double value = 3.55 + userBias[u] + movieBias[m] + 2.2 * dot + 0.75 * rnd.nextGaussian();
      float rating = (float) Math.max(1, Math.min(5, Math.round(value)));
      ratings.add(new Rating(u + 1, m + 1, ts, rating));
    }
    return new RatingData("synthetic " + o, List.copyOf(ratings), Map.of(), List.of());
  }

  private static float[][] factors(Random rnd, int n, int dim, double sd) {
    float[][] f = new float[n][dim];
    for (float[] row : f) {
      for (int k = 0; k < dim; k++) {
        row[k] = (float) (sd * rnd.nextGaussian());
      }
    }
    return f;
  }

  private static float[] biases(Random rnd, int n, double sd) {
    float[] b = new float[n];
    for (int i = 0; i < n; i++) {
      b[i] = (float) (sd * rnd.nextGaussian());
    }
    return b;
  }

  /** Pareto-like weights: a few very active users / popular movies, a long tail. */
  private static double[] heavyTail(Random rnd, int n, double shape) {
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] = Math.pow(1 - rnd.nextDouble(), -1 / shape);
    }
    return w;
  }

  private static double[] cdf(double[] weights, int from, int to) {
    double[] c = new double[weights.length];
    double total = 0;
    for (int i = from; i < to; i++) {
      total += weights[i];
    }
    double run = 0;
    for (int i = 0; i < weights.length; i++) {
      if (i >= from && i < to) {
        run += weights[i] / total;
      }
      c[i] = run;
    }
    return c;
  }

  /** A distribution where ids from {@code firstNew} on take {@code share} of the mass. */
  private static double[] cdfFavouring(double[] weights, int firstNew, double share) {
    double oldTotal = 0;
    double newTotal = 0;
    for (int i = 0; i < weights.length; i++) {
      if (i < firstNew) {
        oldTotal += weights[i];
      } else {
        newTotal += weights[i];
      }
    }
    double[] c = new double[weights.length];
    double run = 0;
    for (int i = 0; i < weights.length; i++) {
      run += i < firstNew ? (1 - share) * weights[i] / oldTotal : share * weights[i] / newTotal;
      c[i] = run;
    }
    return c;
  }

  private static int pick(Random rnd, double[] cdf) {
    double x = rnd.nextDouble() * cdf[cdf.length - 1];
    int lo = 0;
    int hi = cdf.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
