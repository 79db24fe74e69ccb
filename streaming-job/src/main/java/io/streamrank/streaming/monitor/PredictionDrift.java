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
 * out-of-vocabulary rates of users and movies, and an input distribution: the events' UTC hour of
 * day against the validation rows' (manifests without it report NaN).
 *
 * <p>Report figures: {@code predictions}, {@code prediction_psi}, {@code prediction_js}, {@code
 * prediction_mean}, {@code oov_user_rate}, {@code oov_movie_rate}, {@code oov_rate} (either id
 * unknown), {@code hour_psi}, {@code hour_js}.
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

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public int size() {
    return HOURS + HOUR_EDGES.length - 1;
  }

  @Override
  public long eventTime(Prediction p) {
    return p.getEventTimestamp();
  }

  @Override
  public void add(Prediction p, double[] acc) {
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
    double[] hours = Arrays.copyOfRange(acc, HOURS, HOURS + HOUR_EDGES.length - 1);
    Histogram hourRef = reference.histogram(Manifest.HOUR_OF_DAY_HISTOGRAM);
    boolean hoursComparable = hourRef != null && Arrays.equals(hourRef.edges(), HOUR_EDGES);
    m.put("hour_psi", hoursComparable ? Divergence.psi(hourRef.fractions(), hours) : Double.NaN);
    m.put(
        "hour_js",
        hoursComparable ? Divergence.jensenShannon(hourRef.fractions(), hours) : Double.NaN);
    return m;
  }
}
