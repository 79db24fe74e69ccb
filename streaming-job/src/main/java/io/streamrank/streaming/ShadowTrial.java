package io.streamrank.streaming;

import io.streamrank.schemas.ModelUpdate;
import io.streamrank.streaming.monitor.ShadowEvaluator;

/**
 * A candidate version scored beside the serving one during a shadow trial. It never serves: its
 * scores ride on the predictions as {@code shadow_score} so the shadow evaluator can compare both
 * versions on the same labelled events. Owns the candidate model and closes it.
 */
final class ShadowTrial implements AutoCloseable {
  /** Value of {@link ModelUpdate#getDecision()} that promotes the candidate. */
  static final String PROMOTE = ShadowEvaluator.PROMOTE;

  private final ModelUpdate announcement;
  private final ScoringModel model;
  private final float[] scores;

  ShadowTrial(ModelUpdate announcement, ScoringModel model, int batchSize) {
    this.announcement = announcement;
    this.model = model;
    this.scores = new float[batchSize];
  }

  /** Whether an announcement asks for a shadow trial rather than a swap. */
  static boolean isTrialRequest(ModelUpdate update) {
    return update.getShadow() && update.getDecision() == null && !update.getRollback();
  }

  /** Whether a record is a trial's promote or drop decision. */
  static boolean isDecision(ModelUpdate update) {
    return update.getDecision() != null;
  }

  String version() {
    return model.version();
  }

  /** The candidate as an announcement to serve, for the serving state once it is promoted. */
  ModelUpdate asServing() {
    return ModelUpdate.newBuilder(announcement).setShadow(false).setDecision(null).build();
  }

  /** Hands the model over to the caller (promotion); the trial no longer closes it. */
  ScoringModel model() {
    return model;
  }

  /**
   * Scores the first {@code n} rows with the candidate.
   *
   * @return the candidate's scores, valid until the next call
   */
  float[] score(long[] users, long[] movies, int n) {
    model.score(users, movies, n, scores);
    return scores;
  }

  @Override
  public void close() {
    model.close();
  }
}
