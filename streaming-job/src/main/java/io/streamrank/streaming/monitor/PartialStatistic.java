package io.streamrank.streaming.monitor;

import java.util.Map;

/**
 * A {@link WindowStatistic} over {@link WindowPartial}s: adds each partial's accumulator to the
 * window's and reports the wrapped statistic's figures, so {@link WindowedMonitor} merges what
 * {@link PartialWindows} pre-aggregated on every subtask.
 *
 * @param <T> the records the wrapped statistic measures
 */
public final class PartialStatistic<T> implements WindowStatistic<WindowPartial> {
  private static final long serialVersionUID = 1L;

  private final WindowStatistic<T> statistic;

  public PartialStatistic(WindowStatistic<T> statistic) {
    this.statistic = statistic;
  }

  @Override
  public String kind() {
    return statistic.kind();
  }

  @Override
  public int size() {
    return statistic.size();
  }

  @Override
  public long eventTime(WindowPartial partial) {
    return partial.windowStart;
  }

  @Override
  public long count(WindowPartial partial) {
    return partial.records;
  }

  @Override
  public void add(WindowPartial partial, double[] acc, MonitorReference reference) {
    int n = Math.min(acc.length, partial.acc.length);
    for (int i = 0; i < n; i++) {
      acc[i] += partial.acc[i];
    }
  }

  @Override
  public Map<String, Double> metrics(double[] acc, MonitorReference reference) {
    return statistic.metrics(acc, reference);
  }
}
