package io.streamrank.streaming.monitor;

import java.io.Serializable;
import java.time.Duration;

/**
 * How a shadow trial is decided.
 *
 * @param labels labelled events (predictions that met their rating while carrying the candidate's
 *     shadow score) after which the trial is decided
 * @param timeout processing time from the trial's announcement after which a trial without that
 *     many labelled events is dropped
 * @param margin RMSE by which the candidate must beat the serving version on those events to be
 *     promoted
 */
public record ShadowSettings(long labels, Duration timeout, double margin) implements Serializable {
  /** The documented defaults: 1,000 labelled events, one hour, a margin of 0.01. */
  public static ShadowSettings defaults() {
    return new ShadowSettings(1000, Duration.ofHours(1), 0.01);
  }

  /** Checks the settings, naming the bad one. */
  public ShadowSettings {
    if (labels < 1) {
      throw new IllegalArgumentException("shadow labels must be >= 1, got " + labels);
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("shadow timeout must be positive, got " + timeout);
    }
    if (!(margin >= 0)) {
      throw new IllegalArgumentException("shadow margin must be >= 0, got " + margin);
    }
  }
}
