package io.streamrank.retrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * A trial to run.
 *
 * @param id unique id in the run
 * @param point hyperparameters
 * @param budget maximum epochs (early stopping may end it sooner)
 */
public record TrialSpec(
    @JsonProperty("id") String id,
    @JsonProperty("hyperparameters") Map<String, Object> point,
    @JsonProperty("budget_epochs") int budget) {}
