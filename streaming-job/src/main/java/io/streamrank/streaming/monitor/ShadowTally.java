package io.streamrank.streaming.monitor;

/**
 * Running squared errors of the serving version and of a shadow candidate on the same labelled
 * events. A Flink POJO, kept in the shadow evaluator's keyed state.
 */
public final class ShadowTally {
  public long labelled;
  public double servingSquaredError;
  public double candidateSquaredError;

  /** The serving version of the latest event; the trial may outlive a plain swap. */
  public String servingVersion;

  /** For Flink's POJO serializer. */
  public ShadowTally() {}

  /** Adds one matched outcome that carries a shadow score. */
  void add(LabelOutcome o) {
    double served = o.score - o.rating;
    double shadow = o.shadowScore - o.rating;
    labelled++;
    servingSquaredError += served * served;
    candidateSquaredError += shadow * shadow;
    servingVersion = o.modelVersion;
  }

  double servingRmse() {
    return labelled == 0 ? Double.NaN : Math.sqrt(servingSquaredError / labelled);
  }

  double candidateRmse() {
    return labelled == 0 ? Double.NaN : Math.sqrt(candidateSquaredError / labelled);
  }
}
