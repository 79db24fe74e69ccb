package io.streamrank.streaming.monitor;

import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Histogram;
import io.streamrank.model.registry.Manifest;
import io.streamrank.schemas.Prediction;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Drift of what the model sees and says: the distribution of predicted scores against the version's
 * reference (PSI and Jensen–Shannon over the manifest's prediction bins), the mean score, and the
 * out-of-vocabulary rates of users and movies, and three input distributions against the validation
 * rows' (manifests without them report NaN):
 *
 * <ul>
 *   <li>hour of day: the events' UTC hour;
 *   <li>user activity: per event, how many training ratings its user had (the count the serving
 *       version's manifest records; 0 for a user the model does not know), in {@link
 *       Bundles#ACTIVITY_EDGES} bins. A wave of new or barely seen users moves mass into the low
 *       bins; a shift towards heavy users moves it up;
 *   <li>movie popularity: the same for the event's movie, so a run on new or niche titles shows.
 * </ul>
 *
 * <p>Report figures: {@code predictions}, {@code prediction_psi}, {@code prediction_js}, {@code
 * prediction_mean}, {@code oov_user_rate}, {@code oov_movie_rate}, {@code oov_rate} (either id
 * unknown), {@code hour_psi}, {@code hour_js}, {@code user_activity_psi}, {@code user_activity_js},
 * {@code movie_popularity_psi}, {@code movie_popularity_js}.
 */
public final class PredictionDrift implements WindowStatistic<Prediction> {
  private static final long serialVersionUID = 1L;

  /** The report kind. */
  public static final String KIND = "drift";

  private static final double[] EDGES = Bundles.PREDICTION_EDGES;
  private static final int BINS = EDGES.length - 1;
  private static final int N = BINS;
  private static final int SUM = BINS + 1;
  private static final int OOV_USER = BINS + 2;
  private static final int OOV_MOVIE = BINS + 3;
  private static final int OOV_ANY = BINS + 4;
  private static final int HOURS = BINS + 5;
  private static final double[] HOUR_EDGES = Bundles.HOUR_EDGES;
  private static final double[] ACTIVITY_EDGES = Bundles.ACTIVITY_EDGES;
  private static final int ACTIVITY_BINS = ACTIVITY_EDGES.length - 1;
  private static final int USER_ACTIVITY = HOURS + HOUR_EDGES.length - 1;
  private static final int MOVIE_POPULARITY = USER_ACTIVITY + ACTIVITY_BINS;

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public int size() {
    return MOVIE_POPULARITY + ACTIVITY_BINS;
  }

  @Override
  public long eventTime(Prediction p) {
    return p.getEventTimestamp();
  }

  @Override
  public void add(Prediction p, double[] acc, MonitorReference reference) {
    acc[Histogram.bin(EDGES, p.getScore())]++;
    acc[N]++;
    if (Float.isFinite(p.getScore())) {
      acc[SUM] += p.getScore();
    }
    if (!p.getUserKnown()) {
      acc[OOV_USER]++;
    }
    if (!p.getMovieKnown()) {
      acc[OOV_MOVIE]++;
    }
    if (!p.getUserKnown() || !p.getMovieKnown()) {
      acc[OOV_ANY]++;
    }
    acc[HOURS + Bundles.hourOfDay(Math.floorDiv(p.getEventTimestamp(), 1000L))]++;
    if (reference.hasActivity()) {
      Manifest.Vocabulary v = reference.vocabulary();
      acc[USER_ACTIVITY + Histogram.bin(ACTIVITY_EDGES, v.userRatingCount(p.getUserId()))]++;
      acc[MOVIE_POPULARITY + Histogram.bin(ACTIVITY_EDGES, v.movieRatingCount(p.getMovieId()))]++;
    }
  }

  @Override
  public Map<String, Double> metrics(double[] acc, MonitorReference reference) {
    double n = acc[N];
    double[] counts = Arrays.copyOf(acc, BINS);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("predictions", n);
    Histogram ref = reference.histogram(Manifest.PREDICTION_HISTOGRAM);
    boolean comparable = ref != null && Arrays.equals(ref.edges(), EDGES);
    m.put("prediction_psi", comparable ? Divergence.psi(ref.fractions(), counts) : Double.NaN);
    m.put(
        "prediction_js",
        comparable ? Divergence.jensenShannon(ref.fractions(), counts) : Double.NaN);
    m.put("prediction_mean", n > 0 ? acc[SUM] / n : Double.NaN);
    m.put("oov_user_rate", n > 0 ? acc[OOV_USER] / n : Double.NaN);
    m.put("oov_movie_rate", n > 0 ? acc[OOV_MOVIE] / n : Double.NaN);
    m.put("oov_rate", n > 0 ? acc[OOV_ANY] / n : Double.NaN);
    divergence(
        m, "hour", acc, HOURS, reference.histogram(Manifest.HOUR_OF_DAY_HISTOGRAM), HOUR_EDGES);
    boolean activity = reference.hasActivity();
    divergence(
        m,
        "user_activity",
        acc,
        USER_ACTIVITY,
        activity ? reference.histogram(Manifest.USER_ACTIVITY_HISTOGRAM) : null,
        ACTIVITY_EDGES);
    divergence(
        m,
        "movie_popularity",
        acc,
        MOVIE_POPULARITY,
        activity ? reference.histogram(Manifest.MOVIE_POPULARITY_HISTOGRAM) : null,
        ACTIVITY_EDGES);
    return m;
  }

  /**
   * Puts {@code <name>_psi} and {@code <name>_js} of the counts at {@code acc[from..]} against a
   * reference, NaN when there is none or its bins differ from {@code edges}.
   */
  private static void divergence(
      Map<String, Double> m, String name, double[] acc, int from, Histogram ref, double[] edges) {
    double[] counts = Arrays.copyOfRange(acc, from, from + edges.length - 1);
    boolean comparable = ref != null && Arrays.equals(ref.edges(), edges);
    m.put(name + "_psi", comparable ? Divergence.psi(ref.fractions(), counts) : Double.NaN);
    m.put(
        name + "_js", comparable ? Divergence.jensenShannon(ref.fractions(), counts) : Double.NaN);
  }
}
