package io.streamrank.retrain;

import io.streamrank.schemas.ModelUpdate;

/** Announces a published version to the scoring job ({@link ModelAnnouncer} on Kafka). */
@FunctionalInterface
public interface Announcer {
  /** Announces; returns once the announcement is durable. */
  void announce(ModelUpdate update) throws Exception;
}
