package io.streamrank.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a demo run did, printed at the end and written as JSON with {@code --summary}.
 *
 * @param eventsIn records sent to {@code events} (good and corrupt)
 * @param predictionsOut predictions read back (committed)
 * @param deadLetters dead letters read back (committed)
 * @param duplicates event ids that came out more than once (must be 0)
 * @param modelVersions versions seen on predictions, in order of first appearance
 * @param p50 processing latency median, ms (ingest into the scoring operator → scored)
 * @param p95 95th percentile, ms
 * @param p99 99th percentile, ms
 * @param rmse predictions against the replayed ratings
 * @param wallSeconds whole run, from start to summary
 * @param replaySeconds time spent replaying
 * @param scoringSeconds wall time from the first scored prediction to the last
 * @param retrains what the retrain job did with each request, and the swaps and rejections the
 *     scoring job reported
 * @param trainRmse extra figures of the initial model (valid/test RMSE, rows)
 * @param drift the largest value of each drift signal over the monitor windows ({@code
 *     prediction_psi}, {@code hour_psi}, {@code user_activity_psi}, {@code movie_popularity_psi},
 *     {@code rating_psi}, {@code oov_rate}, {@code rmse_increase})
 * @param retrainRequests every retrain request the trigger raised: id, reason, serving version and
 *     data window
 */
public record DemoSummary(
    long eventsIn,
    long predictionsOut,
    long deadLetters,
    long duplicates,
    List<String> modelVersions,
    long p50,
    long p95,
    long p99,
    double rmse,
    double wallSeconds,
    double replaySeconds,
    double scoringSeconds,
    Map<String, Object> trainRmse,
    Map<String, Double> drift,
    List<Map<String, Object>> retrainRequests,
    Map<String, Object> retrains) {

  /** True when some event is unaccounted for or accounted for twice. */
  public boolean lostOrDuplicated() {
    return eventsIn != predictionsOut + deadLetters || duplicates != 0;
  }

  /** The summary as JSON with the documented keys. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("events_in", eventsIn);
    m.put("predictions_out", predictionsOut);
    m.put("dead_letters", deadLetters);
    m.put("duplicates", duplicates);
    m.put("lost", eventsIn - predictionsOut - deadLetters);
    m.put("model_versions", modelVersions);
    m.put("latency_ms", Map.of("p50", p50, "p95", p95, "p99", p99));
    m.put("rmse", rmse);
    m.put("wall_seconds", wallSeconds);
    m.put("replay_seconds", replaySeconds);
    m.put("scoring_seconds", scoringSeconds);
    // Scoring throughput: predictions over the time between the first and the last one scored.
    m.put("events_per_second", scoringSeconds > 0 ? predictionsOut / scoringSeconds : 0);
    m.put("initial_model", trainRmse);
    m.put("drift", drift);
    m.put("retrain_requests", retrainRequests);
    m.put("retrains", retrains);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write summary JSON", e);
    }
  }
}
