package io.streamrank.streaming.monitor;

/**
 * One subtask's partial accumulator of a monitor window: the sums and counts of the records of one
 * model version in one window that the subtask saw since its last flush. Monitors add partials up
 * (every {@link WindowStatistic} accumulator is a sum), so each prediction is measured where it is
 * produced and only these small arrays cross the network, written by {@link
 * WindowPartialSerializer}.
 */
public final class WindowPartial {
  public String modelVersion;
  public long windowStart;
  public long records;
  public double[] acc;

  /** An empty partial, for {@link WindowPartialSerializer#createInstance()}. */
  public WindowPartial() {}

  public WindowPartial(String modelVersion, long windowStart, long records, double[] acc) {
    this.modelVersion = modelVersion;
    this.windowStart = windowStart;
    this.records = records;
    this.acc = acc;
  }

  public String getModelVersion() {
    return modelVersion;
  }
}
