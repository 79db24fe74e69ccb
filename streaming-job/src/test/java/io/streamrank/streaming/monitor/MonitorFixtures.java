package io.streamrank.streaming.monitor;

import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Histogram;
import io.streamrank.model.registry.Manifest;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RatingEvent;
import java.util.Map;

/** Hand-made records and references for the monitor tests. */
final class MonitorFixtures {
  private MonitorFixtures() {}

  static Prediction prediction(String id, String version, long eventTime, float score) {
    return prediction(id, version, eventTime, score, 0, true, true);
  }

  static Prediction prediction(
      String id,
      String version,
      long eventTime,
      float score,
      long processingMs,
      boolean userKnown,
      boolean movieKnown) {
    return Prediction.newBuilder()
        .setEventId(id)
        .setUserId(1)
        .setMovieId(2)
        .setEventTimestamp(eventTime)
        .setScore(score)
        .setModelVersion(version)
        .setIngestTime(eventTime + 1000)
        .setScoredTime(eventTime + 1000 + processingMs)
        .setUserKnown(userKnown)
        .setMovieKnown(movieKnown)
        .build();
  }

  static RatingEvent rating(String id, long eventTime, float rating) {
    return RatingEvent.newBuilder()
        .setEventId(id)
        .setUserId(1)
        .setMovieId(2)
        .setTimestamp(eventTime)
        .setRating(rating)
        .build();
  }

  /**
   * A reference with half the predictions in the bin of 3.0 and half in the bin of 4.0, ratings all
   * 4, and validation RMSE {@code rmse}.
   */
  static MonitorReference reference(double rmse) {
    double[] p = new double[Bundles.PREDICTION_EDGES.length - 1];
    p[Histogram.bin(Bundles.PREDICTION_EDGES, 3.0)] = 0.5;
    p[Histogram.bin(Bundles.PREDICTION_EDGES, 4.0)] = 0.5;
    double[] r = new double[Bundles.RATING_EDGES.length - 1];
    r[Histogram.bin(Bundles.RATING_EDGES, 4.0)] = 1.0;
    double[] h = new double[24];
    h[0] = 1.0;
    return new MonitorReference(
        Map.of(
            Manifest.HOUR_OF_DAY_HISTOGRAM,
            new Histogram(Bundles.HOUR_EDGES, h, 1000),
            Manifest.PREDICTION_HISTOGRAM,
            new Histogram(Bundles.PREDICTION_EDGES, p, 1000),
            Manifest.RATING_HISTOGRAM,
            new Histogram(Bundles.RATING_EDGES, r, 1000)),
        rmse);
  }

  static MonitorReport report(
      String kind, String version, long start, long end, Map<String, Double> metrics) {
    return MonitorReport.newBuilder()
        .setWindowStart(start)
        .setWindowEnd(end)
        .setModelVersion(version)
        .setKind(kind)
        .setMetrics(metrics)
        .setMessage(null)
        .build();
  }
}
