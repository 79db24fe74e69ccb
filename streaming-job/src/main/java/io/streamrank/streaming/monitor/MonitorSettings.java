package io.streamrank.streaming.monitor;

import java.io.Serializable;
import java.time.Duration;

/**
 * How the monitors window and join the stream.
 *
 * @param window event-time window of every monitor report
 * @param maxOutOfOrderness how far behind the newest event time a prediction or rating may arrive
 *     before it is late
 * @param idleTimeout a source split without records for this long stops holding the watermark back
 * @param labelTimeout event time a prediction waits for its rating (and the other way round)
 * @param labelStateTtl processing-time bound on waiting join state, in case watermarks stall
 * @param labelCapacity predictions each join subtask holds for their ratings; above it, a sample
 * @param policy the retrain trigger policy
 */
public record MonitorSettings(
    Duration window,
    Duration maxOutOfOrderness,
    Duration idleTimeout,
    Duration labelTimeout,
    Duration labelStateTtl,
    long labelCapacity,
    TriggerPolicy policy)
    implements Serializable {

  /** Checks the durations, naming the bad one. */
  public MonitorSettings {
    positive(window, "window");
    if (maxOutOfOrderness.isNegative()) {
      throw new IllegalArgumentException(
          "monitor max-out-of-orderness must be >= 0, got " + maxOutOfOrderness);
    }
    positive(idleTimeout, "idle-timeout");
    positive(labelTimeout, "label-timeout");
    positive(labelStateTtl, "label-state-ttl");
    if (labelCapacity <= 0) {
      throw new IllegalArgumentException(
          "monitor label-capacity must be > 0, got " + labelCapacity);
    }
  }

  private static void positive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("monitor " + name + " must be positive, got " + d);
    }
  }
}
