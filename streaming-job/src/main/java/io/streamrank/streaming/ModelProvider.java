package io.streamrank.streaming;

import java.io.Serializable;

/**
 * Opens the model a scoring operator starts with. Serializable because it travels with the job
 * graph; the model itself is opened on the TaskManager, never shipped.
 */
@FunctionalInterface
public interface ModelProvider extends Serializable {
  /**
   * Opens a model able to score batches of up to {@code maxBatchSize} rows.
   *
   * @throws Exception with a message that names the bundle and what was wrong with it
   */
  ScoringModel open(int maxBatchSize) throws Exception;
}
