package io.streamrank.retrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * A trial to run.
 *
 * @param id unique id in the run
 * @param point hyperparameters
 * @param budget epochs the configuration may have trained in all when the trial ends (early
 *     stopping may end it sooner)
 * @param session where the configuration's training is kept between trials ({@link PausedTrials}):
 *     a trial resumes the training left under this key, if any, and leaves its own there; null to
 *     train from scratch and keep nothing
 */
public record TrialSpec(
    @JsonProperty("id") String id,
    @JsonProperty("hyperparameters") Map<String, Object> point,
    @JsonProperty("budget_epochs") int budget,
    @JsonProperty("session") String session) {

  /** A trial that trains from scratch and keeps nothing. */
  public TrialSpec(String id, Map<String, Object> point, int budget) {
    this(id, point, budget, null);
  }
}
