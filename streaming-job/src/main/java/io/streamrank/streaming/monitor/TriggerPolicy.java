package io.streamrank.streaming.monitor;

import java.io.Serializable;
import java.util.List;

/**
 * When sustained degradation becomes a retrain request.
 *
 * <p>A signal breaches in a window when its figure exceeds its threshold; signals computed from
 * labels count only in windows with at least {@code minLabelsPerWindow} labelled predictions (a
 * window with fewer neither breaches nor breaks a streak). A request goes out when some signal has
 * breached in {@code windows} consecutive windows of the serving version, at least {@code
 * minNewLabels} labelled predictions have arrived since the version started serving (or since the
 * last request), no request is open, and the cooldown since the last swap has passed. A request is
 * open until a new version is swapped in, or until {@code requestTimeoutMs} of event time pass
 * without one.
 *
 * <p>A schedule ({@code scheduleMs > 0}) adds one more reason: {@code scheduleMs} of event time
 * since the serving version started (or since the last request), under the same minimum of new
 * labels, open request and cooldown rules. A scheduled request asks for every rating up to its
 * window's end (window start 0), so the new version learns from all the data seen so far. It is the
 * trigger for data where the drift signals stay quiet while the model still goes stale: on
 * MovieLens the live RMSE stays below the validation RMSE of the slice just after training.
 *
 * @param predictionPsi threshold on {@code prediction_psi}
 * @param inputPsi threshold on the hour-of-day input distribution's PSI ({@code hour_psi})
 * @param userActivityPsi threshold on {@code user_activity_psi}
 * @param moviePopularityPsi threshold on {@code movie_popularity_psi}
 * @param ratingPsi threshold on {@code rating_psi}
 * @param oovRate threshold on {@code oov_rate}
 * @param rmseIncrease threshold on {@code rmse_increase} (relative to the version's validation
 *     RMSE)
 * @param minLabelsPerWindow labelled predictions a window needs for label signals to count
 * @param minNewLabels labelled predictions needed since the version started serving
 * @param windows consecutive breaching windows needed (hysteresis)
 * @param cooldownMs event time after a swap during which no request is raised
 * @param requestTimeoutMs event time after which an open request without a swap is abandoned
 * @param scheduleMs event time between scheduled requests, 0 for none
 */
public record TriggerPolicy(
    double predictionPsi,
    double inputPsi,
    double userActivityPsi,
    double moviePopularityPsi,
    double ratingPsi,
    double oovRate,
    double rmseIncrease,
    long minLabelsPerWindow,
    long minNewLabels,
    int windows,
    long cooldownMs,
    long requestTimeoutMs,
    long scheduleMs)
    implements Serializable {

  /**
   * One watched figure.
   *
   * @param metric the report figure
   * @param kind the report kind that carries it
   * @param threshold breaches when the figure is above it
   * @param needsLabels whether it counts only in windows with enough labels
   */
  public record Signal(String metric, String kind, double threshold, boolean needsLabels)
      implements Serializable {}

  /** Checks the values, naming the bad one. */
  public TriggerPolicy {
    if (windows < 1) {
      throw new IllegalArgumentException("trigger windows must be >= 1, got " + windows);
    }
    if (minLabelsPerWindow < 0 || minNewLabels < 0) {
      throw new IllegalArgumentException("trigger label minimums must be >= 0");
    }
    if (cooldownMs < 0 || requestTimeoutMs <= 0) {
      throw new IllegalArgumentException(
          "trigger cooldown must be >= 0 and request timeout > 0, got "
              + cooldownMs
              + " and "
              + requestTimeoutMs);
    }
    if (scheduleMs < 0) {
      throw new IllegalArgumentException("trigger schedule must be >= 0, got " + scheduleMs);
    }
  }

  /** The watched signals. */
  public List<Signal> signals() {
    return List.of(
        new Signal("prediction_psi", PredictionDrift.KIND, predictionPsi, false),
        new Signal("hour_psi", PredictionDrift.KIND, inputPsi, false),
        new Signal("user_activity_psi", PredictionDrift.KIND, userActivityPsi, false),
        new Signal("movie_popularity_psi", PredictionDrift.KIND, moviePopularityPsi, false),
        new Signal("oov_rate", PredictionDrift.KIND, oovRate, false),
        new Signal("rating_psi", PrequentialError.KIND, ratingPsi, true),
        new Signal("rmse_increase", PrequentialError.KIND, rmseIncrease, true));
  }
}
