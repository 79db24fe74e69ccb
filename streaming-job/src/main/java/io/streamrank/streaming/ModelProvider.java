package io.streamrank.streaming;

import io.streamrank.schemas.ModelUpdate;
import java.io.Serializable;

/**
 * Opens model versions for the scoring operator. Serializable because it travels with the job
 * graph; models themselves are opened on the TaskManager, never shipped. Every version it returns
 * has passed the bundle checks (checksum, input/output signature, finite golden outputs); a version
 * that fails them is a {@link ModelRejectedException} naming the reason.
 */
public interface ModelProvider extends Serializable {
  /**
   * Opens the version the job starts with when no version was restored from a checkpoint.
   *
   * @param maxBatchSize largest batch the model will be asked to score
   */
  ScoringModel openInitial(int maxBatchSize) throws Exception;

  /**
   * Opens and verifies an announced (or restored) version.
   *
   * @throws ModelRejectedException when the bundle fails a check, with the reason
   */
  ScoringModel open(ModelUpdate announcement, int maxBatchSize) throws Exception;
}
