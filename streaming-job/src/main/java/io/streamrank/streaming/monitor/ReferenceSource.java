package io.streamrank.streaming.monitor;

import java.io.Serializable;

/**
 * Finds the reference of a model version for the monitors. Serializable because it travels with the
 * job graph; references are read on the TaskManager, once per version and operator instance.
 */
@FunctionalInterface
public interface ReferenceSource extends Serializable {
  /**
   * The reference of a version.
   *
   * @throws Exception when it cannot be read; the monitor then reports without a reference
   */
  MonitorReference reference(String version) throws Exception;

  /** A source without references: drift and relative error are reported as NaN. */
  static ReferenceSource none() {
    return v -> MonitorReference.NONE;
  }
}
