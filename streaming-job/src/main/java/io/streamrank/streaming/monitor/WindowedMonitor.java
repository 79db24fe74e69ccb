package io.streamrank.streaming.monitor;

import io.streamrank.schemas.MonitorReport;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures one {@link WindowStatistic} per model version (the key) over tumbling event-time windows
 * and emits a {@link MonitorReport} for each window when the watermark passes its end.
 *
 * <p>Each open window is one accumulator array in keyed map state and one event-time timer; the
 * timer emits the report and removes both, so nothing stays behind once the watermark has passed. A
 * record for a window that has already been reported is late: it is counted (in the next report's
 * {@code late} figure and the {@code lateRecords} counter) and otherwise ignored. The figures of
 * the latest report are also Flink gauges under the statistic's kind.
 *
 * @param <T> the records measured
 */
public final class WindowedMonitor<T> extends KeyedProcessFunction<String, T, MonitorReport> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(WindowedMonitor.class);

  private final WindowStatistic<T> statistic;
  private final long windowMs;
  private final ReferenceSource references;

  private transient MapState<Long, double[]> windows;
  private transient ValueState<Long> late;
  private transient Map<String, MonitorReference> referenceCache;
  private transient Map<String, Double> latest;
  private transient Set<String> gauges;
  private transient MetricGroup group;
  private transient Counter lateRecords;
  private transient Counter reports;

  /**
   * @param statistic what to measure
   * @param windowMs event-time window length
   * @param references the reference of each model version
   */
  public WindowedMonitor(WindowStatistic<T> statistic, long windowMs, ReferenceSource references) {
    if (windowMs <= 0) {
      throw new IllegalArgumentException("monitor window must be > 0 ms, got " + windowMs);
    }
    this.statistic = statistic;
    this.windowMs = windowMs;
    this.references = references;
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    windows =
        getRuntimeContext()
            .getMapState(
                new MapStateDescriptor<>(
                    "windows",
                    Types.LONG,
                    PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO));
    late = getRuntimeContext().getState(new ValueStateDescriptor<>("late", Types.LONG));
    referenceCache = new HashMap<>();
    latest = new HashMap<>();
    gauges = new HashSet<>();
    group = getRuntimeContext().getMetricGroup().addGroup("monitor", statistic.kind());
    lateRecords = group.counter("lateRecords");
    reports = group.counter("reports");
    statistic.open(group);
  }

  @Override
  public void processElement(T record, Context ctx, Collector<MonitorReport> out) throws Exception {
    statistic.observe(record);
    long start = windowStart(statistic.eventTime(record));
    long lastMs = start + windowMs - 1;
    if (lastMs <= ctx.timerService().currentWatermark()) {
      long count = statistic.count(record);
      lateRecords.inc(count);
      Long n = late.value();
      late.update(n == null ? count : n + count);
      return;
    }
    double[] acc = windows.get(start);
    if (acc == null) {
      acc = new double[statistic.size()];
      ctx.timerService().registerEventTimeTimer(lastMs);
    } else if (acc.length < statistic.size()) {
      // A window restored from a checkpoint taken before the statistic grew new figures.
      acc = Arrays.copyOf(acc, statistic.size());
    }
    statistic.add(record, acc, reference(ctx.getCurrentKey()));
    windows.put(start, acc);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<MonitorReport> out)
      throws Exception {
    long start = timestamp + 1 - windowMs;
    double[] acc = windows.get(start);
    if (acc == null) {
      return;
    }
    windows.remove(start);
    String version = ctx.getCurrentKey();
    if (acc.length < statistic.size()) {
      acc = Arrays.copyOf(acc, statistic.size());
    }
    Map<String, Double> metrics = new TreeMap<>(statistic.metrics(acc, reference(version)));
    Long n = late.value();
    metrics.put("late", n == null ? 0.0 : n);
    late.clear();
    out.collect(
        MonitorReport.newBuilder()
            .setWindowStart(start)
            .setWindowEnd(start + windowMs)
            .setModelVersion(version)
            .setKind(statistic.kind())
            .setMetrics(new HashMap<>(metrics))
            .setMessage(null)
            .build());
    reports.inc();
    publish(metrics);
  }

  /** Start of the window a timestamp falls in (windows aligned to the epoch). */
  long windowStart(long timestamp) {
    return timestamp - Math.floorMod(timestamp, windowMs);
  }

  private MonitorReference reference(String version) {
    return referenceCache.computeIfAbsent(
        version,
        v -> {
          try {
            MonitorReference r = references.reference(v);
            return r == null ? MonitorReference.NONE : r;
          } catch (Exception e) {
            LOG.warn("No monitoring reference for model version {}: {}", v, e.toString());
            return MonitorReference.NONE;
          }
        });
  }

  /** The latest window's figures as gauges, one per figure, registered when first seen. */
  private void publish(Map<String, Double> metrics) {
    latest.putAll(metrics);
    for (String name : metrics.keySet()) {
      if (gauges.add(name)) {
        group.gauge(name, (Gauge<Double>) () -> latest.get(name));
      }
    }
  }
}
