package io.streamrank.streaming.monitor;

import java.io.Serializable;
import java.util.Map;
import org.apache.flink.metrics.MetricGroup;

/**
 * What one monitor measures over an event-time window: how a record adds to the window's
 * accumulator (a fixed-length array of sums and counts, so it is cheap to keep in keyed state) and
 * which figures the full window yields against the version's reference.
 *
 * @param <T> the records it measures
 */
public interface WindowStatistic<T> extends Serializable {
  /** The report kind, such as {@code drift}; also the metric group name. */
  String kind();

  /** Length of the accumulator array. */
  int size();

  /** Event time of a record, epoch milliseconds; decides its window. */
  long eventTime(T record);

  /** How many measured records a record stands for (a pre-aggregated partial stands for many). */
  default long count(T record) {
    return 1;
  }

  /**
   * Adds a record to the accumulator.
   *
   * @param reference the reference of the record's model version (for figures that look a record up
   *     in it, such as a user's training-set rating count)
   */
  void add(T record, double[] acc, MonitorReference reference);

  /** The window's figures (metric name to value; NaN where undefined). */
  Map<String, Double> metrics(double[] acc, MonitorReference reference);

  /**
   * Called once per operator instance with its metric group, for per-record metrics (histograms,
   * meters) next to the per-window gauges the monitor registers itself.
   */
  default void open(MetricGroup group) {}

  /** Updates per-record metrics; called for every record, including late ones. */
  default void observe(T record) {}
}
