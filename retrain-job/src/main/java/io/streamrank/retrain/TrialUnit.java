package io.streamrank.retrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * What the tuner hands one worker task of a tuning session ({@link TrialServer}): trials it runs
 * one after the other on the same data.
 *
 * @param id unique in the session; the worker's reply carries it
 * @param data where the trials' data comes from (each worker JVM loads it once, {@link
 *     DataSpec#load})
 * @param base the configuration the trials' hyperparameters override ({@code ModelConfig#toMap})
 * @param threads training threads per trial
 * @param trials the trials, run in this order
 */
record TrialUnit(
    @JsonProperty("id") long id,
    @JsonProperty("data") DataSpec data,
    @JsonProperty("base") Map<String, Object> base,
    @JsonProperty("threads") int threads,
    @JsonProperty("trials") List<TrialSpec> trials) {

  /**
   * A worker's answer to a unit.
   *
   * @param id the unit's id
   * @param results one per trial, in the unit's order; null when the unit failed
   * @param error why the unit failed, or null
   */
  record Reply(
      @JsonProperty("id") long id,
      @JsonProperty("results") List<TrialResult> results,
      @JsonProperty("error") String error) {}
}
