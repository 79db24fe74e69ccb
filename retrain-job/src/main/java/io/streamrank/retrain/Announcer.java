package io.streamrank.retrain;

import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;

/**
 * Where the retrain job speaks: version announcements for the scoring job, and a summary of each
 * run for {@code monitoring} ({@link ModelAnnouncer} writes both to Kafka).
 */
public interface Announcer {
  /** Announces a published version; returns once the announcement is durable. */
  void announce(ModelUpdate update) throws Exception;

  /** Reports a retrain run's outcome; returns once the report is durable. */
  void report(MonitorReport report) throws Exception;
}
