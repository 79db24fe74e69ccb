package io.streamrank.retrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One trial's outcome.
 *
 * @param id trial id (unique in a run; the rung is part of it under successive halving)
 * @param point the hyperparameters tried
 * @param budget epochs the trial was allowed
 * @param curve validation RMSE after each epoch
 * @param bestValidRmse the best validation RMSE reached
 * @param bestEpoch the epoch that reached it (1-based)
 * @param status {@code completed}, or {@code pruned} when successive halving stopped it
 * @param seconds wall time of the trial
 * @param finishedSeconds when the tuner had the result, seconds after the search started (0 until
 *     the tuner records it)
 */
public record TrialResult(
    @JsonProperty("id") String id,
    @JsonProperty("hyperparameters") Map<String, Object> point,
    @JsonProperty("budget_epochs") int budget,
    @JsonProperty("curve") List<Double> curve,
    @JsonProperty("best_valid_rmse") double bestValidRmse,
    @JsonProperty("best_epoch") int bestEpoch,
    @JsonProperty("status") String status,
    @JsonProperty("seconds") double seconds,
    @JsonProperty("finished_seconds") double finishedSeconds) {

  /** The same result with another status. */
  public TrialResult withStatus(String s) {
    return new TrialResult(
        id, point, budget, curve, bestValidRmse, bestEpoch, s, seconds, finishedSeconds);
  }

  /** The same result, recorded {@code at} seconds after the search started. */
  public TrialResult finishedAt(double at) {
    return new TrialResult(id, point, budget, curve, bestValidRmse, bestEpoch, status, seconds, at);
  }
}
