package io.streamrank.model;

/**
 * Called by {@link Trainer} after every epoch; returning false stops training (the best weights so
 * far are kept), which is how tuning prunes a bad trial early.
 */
@FunctionalInterface
public interface TrainingListener {
  /** A listener that never stops training. */
  TrainingListener NONE = (epoch, trainRmse, validRmse) -> true;

  /**
   * @param epoch 1-based number of the epoch just finished
   * @param trainRmse RMSE on the training rows as seen during the epoch (each row scored just
   *     before its step, out-of-vocabulary replacement included)
   * @param validRmse RMSE on the validation rows after the epoch, NaN when there are none
   * @return true to go on, false to stop
   */
  boolean onEpoch(int epoch, double trainRmse, double validRmse);
}
