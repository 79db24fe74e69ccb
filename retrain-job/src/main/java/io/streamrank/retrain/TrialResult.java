package io.streamrank.retrain;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One trial's outcome.
 *
 * @param id trial id (unique in a run; the rung is part of it under successive halving)
 * @param point the hyperparameters tried
 * @param budget epochs the configuration was allowed in all by the end of the trial
 * @param curve validation RMSE after each epoch of the configuration's training, from epoch 1: a
 *     resumed trial's curve starts with the epochs it resumed from
 * @param bestValidRmse the best validation RMSE reached
 * @param bestEpoch the epoch that reached it (1-based)
 * @param status {@code completed}, or {@code pruned} when successive halving stopped it
 * @param seconds training time of the trial (its own epochs, in the task)
 * @param finishedSeconds when the tuner had the result, seconds after the search started (0 until
 *     the tuner records it)
 * @param resumedEpochs epochs already trained when the trial started (0 when it started from
 *     scratch): this trial trained {@code curve.size() - resumedEpochs} epochs
 * @param jobSeconds from the tuner's submission of the trial's Flink job to its result (0 until the
 *     tuner records it); minus {@code seconds}, the trial's fixed cost: job start, data load,
 *     result collection
 * @param stopped whether early stopping (or a non-finite RMSE) ended the configuration's training:
 *     a larger budget would train it no further
 * @param task where the trial ran: its Flink job's id and the parallel task's index, {@code
 *     JOB/INDEX} (null until the task records it)
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
    @JsonProperty("finished_seconds") double finishedSeconds,
    @JsonProperty("resumed_epochs") int resumedEpochs,
    @JsonProperty("job_seconds") double jobSeconds,
    @JsonProperty("stopped") boolean stopped,
    @JsonProperty("task") String task) {

  /** The same result with another status. */
  public TrialResult withStatus(String s) {
    return copy(s, finishedSeconds, jobSeconds, task);
  }

  /**
   * The same result, recorded {@code at} seconds after the search started, {@code job} seconds
   * after its job was submitted.
   */
  public TrialResult finishedAt(double at, double job) {
    return copy(status, at, job, task);
  }

  /** The same result, run by the parallel task {@code index} of the Flink job {@code job}. */
  public TrialResult ranOn(String job, int index) {
    return copy(status, finishedSeconds, jobSeconds, job + "/" + index);
  }

  /** This result with the fields the tuner and the task record afterwards replaced. */
  private TrialResult copy(String s, double finished, double job, String ranOn) {
    return new TrialResult(
        id,
        point,
        budget,
        curve,
        bestValidRmse,
        bestEpoch,
        s,
        seconds,
        finished,
        resumedEpochs,
        job,
        stopped,
        ranOn);
  }

  /**
   * Epochs in a row, after its best, in which a configuration's validation RMSE was worse that make
   * the pruner treat it as past its best.
   */
  static final int PAST_BEST_EPOCHS = 2;

  /**
   * Whether more epochs cannot improve this configuration's result: early stopping ended its
   * training, or it was worse than its best in each of its last {@value #PAST_BEST_EPOCHS} epochs
   * (it has passed its best: training on from where it paused takes it further from that epoch's
   * weights, which are the ones its result stands for). The pruner ranks such a result like any
   * other but does not promote it.
   */
  public boolean pastItsBest() {
    return stopped || curve.size() - bestEpoch >= PAST_BEST_EPOCHS;
  }

  /** Epochs this trial trained itself (a resumed trial's earlier epochs are not counted). */
  public int epochsTrained() {
    return curve.size() - resumedEpochs;
  }
}
