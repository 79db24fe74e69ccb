package io.streamrank.streaming.monitor;

import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Histogram;
import io.streamrank.model.registry.Manifest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prequential error: every prediction was made before its rating was seen, so the error of
 * predictions against the ratings that arrive later is an honest live estimate. Also the rating
 * distribution against the version's reference, and how many predictions and ratings found no
 * partner.
 *
 * <p>Report figures: {@code labelled}, {@code rmse}, {@code mae}, {@code bias} (mean of score minus
 * rating), {@code rmse_reference} (the version's validation RMSE), {@code rmse_increase} ({@code
 * rmse / rmse_reference - 1}), {@code unlabelled} (predictions whose rating never came), {@code
 * unmatched_ratings}, {@code unsampled_ratings} (ratings of events outside the join's sample, which
 * it holds above its label capacity), {@code rating_psi}, {@code rating_js}; the rating
 * distribution counts every rating, sampled or not.
 */
public final class PrequentialError implements WindowStatistic<LabelOutcome> {
  private static final long serialVersionUID = 1L;

  /** The report kind. */
  public static final String KIND = "error";

  private static final double[] EDGES = Bundles.RATING_EDGES;
  private static final int BINS = EDGES.length - 1;
  private static final int N = 0;
  private static final int SQ = 1;
  private static final int ABS = 2;
  private static final int ERR = 3;
  private static final int UNLABELLED = 4;
  private static final int UNMATCHED = 5;
  private static final int RATING_BINS = 6;
  // After the bins, so accumulators written before it existed keep their layout and grow.
  private static final int UNSAMPLED = RATING_BINS + BINS;

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public int size() {
    return UNSAMPLED + 1;
  }

  @Override
  public long eventTime(LabelOutcome o) {
    return o.eventTime;
  }

  @Override
  public void add(LabelOutcome o, double[] acc, MonitorReference reference) {
    switch (o.kind) {
      case MATCHED -> {
        double e = (double) o.score - o.rating;
        acc[N]++;
        acc[SQ] += e * e;
        acc[ABS] += Math.abs(e);
        acc[ERR] += e;
        acc[RATING_BINS + Histogram.bin(EDGES, o.rating)]++;
      }
      case UNLABELLED -> acc[UNLABELLED]++;
      case UNMATCHED_RATING -> {
        acc[UNMATCHED]++;
        acc[RATING_BINS + Histogram.bin(EDGES, o.rating)]++;
      }
      case UNSAMPLED_RATING -> {
        acc[UNSAMPLED]++;
        acc[RATING_BINS + Histogram.bin(EDGES, o.rating)]++;
      }
    }
  }

  @Override
  public Map<String, Double> metrics(double[] acc, MonitorReference reference) {
    double n = acc[N];
    double rmse = n > 0 ? Math.sqrt(acc[SQ] / n) : Double.NaN;
    double[] ratings = Arrays.copyOfRange(acc, RATING_BINS, RATING_BINS + BINS);
    Histogram ref = reference.histogram(Manifest.RATING_HISTOGRAM);
    boolean comparable = ref != null && Arrays.equals(ref.edges(), EDGES);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("labelled", n);
    m.put("rmse", rmse);
    m.put("mae", n > 0 ? acc[ABS] / n : Double.NaN);
    m.put("bias", n > 0 ? acc[ERR] / n : Double.NaN);
    m.put("rmse_reference", reference.rmse());
    m.put("rmse_increase", rmse / reference.rmse() - 1);
    m.put("unlabelled", acc[UNLABELLED]);
    m.put("unmatched_ratings", acc[UNMATCHED]);
    m.put("unsampled_ratings", acc[UNSAMPLED]);
    m.put("rating_psi", comparable ? Divergence.psi(ref.fractions(), ratings) : Double.NaN);
    m.put(
        "rating_js", comparable ? Divergence.jensenShannon(ref.fractions(), ratings) : Double.NaN);
    return m;
  }
}
