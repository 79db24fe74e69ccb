package io.streamrank.streaming.monitor;

import io.streamrank.model.registry.Histogram;
import io.streamrank.model.registry.Manifest;
import java.util.Map;

/**
 * What a model version's live figures are compared with: the reference histograms and the offline
 * RMSE from its bundle's manifest.
 *
 * @param histograms reference distributions by name ({@link Manifest#PREDICTION_HISTOGRAM}, {@link
 *     Manifest#RATING_HISTOGRAM}); may be empty
 * @param rmse the version's validation RMSE, NaN when unknown
 */
public record MonitorReference(Map<String, Histogram> histograms, double rmse) {
  /** No reference: divergences and relative error are NaN and never breach a threshold. */
  public static final MonitorReference NONE = new MonitorReference(Map.of(), Double.NaN);

  /** Copies the map. */
  public MonitorReference {
    histograms = histograms == null ? Map.of() : Map.copyOf(histograms);
  }

  /** The reference of a manifest: its histograms and its {@code valid_rmse}. */
  public static MonitorReference of(Manifest manifest) {
    Double rmse = manifest.metrics().get("valid_rmse");
    return new MonitorReference(
        manifest.referenceHistograms(), rmse == null ? Double.NaN : rmse.doubleValue());
  }

  /** The named histogram, or null. */
  public Histogram histogram(String name) {
    return histograms.get(name);
  }
}
