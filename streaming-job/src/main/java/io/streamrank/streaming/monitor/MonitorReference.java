package io.streamrank.streaming.monitor;

import io.streamrank.model.registry.Histogram;
import io.streamrank.model.registry.Manifest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a model version's live figures are compared with: the reference histograms, the offline RMSE
 * and the training-set rating count of each user and movie from its bundle's manifest.
 *
 * @param histograms reference distributions by name ({@link Manifest#PREDICTION_HISTOGRAM}, {@link
 *     Manifest#RATING_HISTOGRAM}, ...); may be empty
 * @param rmse the version's validation RMSE, NaN when unknown
 * @param vocabulary the version's ids with their training-set rating counts, null when unknown; the
 *     user-activity and movie-popularity signals need it
 */
public record MonitorReference(
    Map<String, Histogram> histograms, double rmse, Manifest.Vocabulary vocabulary) {
  private static final Logger LOG = LoggerFactory.getLogger(MonitorReference.class);

  /** No reference: divergences and relative error are NaN and never breach a threshold. */
  public static final MonitorReference NONE = new MonitorReference(Map.of(), Double.NaN);

  /** Copies the map; drops a vocabulary without rating counts. */
  public MonitorReference {
    histograms = histograms == null ? Map.of() : Map.copyOf(histograms);
    vocabulary = vocabulary != null && vocabulary.hasRatingCounts() ? vocabulary : null;
  }

  /** A reference without rating counts. */
  public MonitorReference(Map<String, Histogram> histograms, double rmse) {
    this(histograms, rmse, null);
  }

  /**
   * The reference of a manifest: its histograms, its {@code valid_rmse} and its vocabulary's rating
   * counts. A manifest written before user activity and movie popularity were recorded still loads;
   * the log says those two signals are skipped for its version.
   */
  public static MonitorReference of(Manifest manifest) {
    Double rmse = manifest.metrics().get("valid_rmse");
    MonitorReference r =
        new MonitorReference(
            manifest.referenceHistograms(),
            rmse == null ? Double.NaN : rmse.doubleValue(),
            manifest.vocabulary());
    if (!r.hasActivity()) {
      LOG.info(
          "Model version {}: its manifest has no training-set rating counts or no {} / {}"
              + " reference (written before they were recorded), so user-activity and"
              + " movie-popularity drift are not measured for it",
          manifest.version(),
          Manifest.USER_ACTIVITY_HISTOGRAM,
          Manifest.MOVIE_POPULARITY_HISTOGRAM);
    }
    return r;
  }

  /** The named histogram, or null. */
  public Histogram histogram(String name) {
    return histograms.get(name);
  }

  /**
   * True when the user-activity and movie-popularity signals can be measured: rating counts and
   * both reference histograms are present.
   */
  public boolean hasActivity() {
    return vocabulary != null
        && histograms.containsKey(Manifest.USER_ACTIVITY_HISTOGRAM)
        && histograms.containsKey(Manifest.MOVIE_POPULARITY_HISTOGRAM);
  }
}
