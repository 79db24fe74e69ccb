package io.streamrank.streaming.monitor;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pre-aggregates a {@link WindowStatistic} on each subtask, before any shuffle: records add to one
 * accumulator per (model version, window), and the accumulators go downstream as {@link
 * WindowPartial}s for a {@link WindowedMonitor} over a {@link PartialStatistic} to merge. Instead
 * of every prediction, only a few small arrays per watermark cross the network.
 *
 * <p>It flushes every accumulator before it forwards a watermark or an idleness change (so a
 * partial always reaches the monitor before the watermark that could close its window), before
 * every checkpoint barrier (so it holds no state of its own) and at the end of input. It judges no
 * lateness: the monitor does, against its own watermark, as it would for single records.
 *
 * @param <T> the records measured
 */
public final class PartialWindows<T> extends AbstractStreamOperator<WindowPartial>
    implements OneInputStreamOperator<T, WindowPartial> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(PartialWindows.class);

  private final WindowStatistic<T> statistic;
  private final KeySelector<T, String> version;
  private final long windowMs;
  private final ReferenceSource references;

  private transient Map<String, Map<Long, WindowPartial>> open;
  private transient Map<String, MonitorReference> referenceCache;

  /**
   * @param statistic what to measure
   * @param version a record's model version
   * @param windowMs event-time window length, the downstream monitor's
   * @param references the reference of each model version
   */
  public PartialWindows(
      WindowStatistic<T> statistic,
      KeySelector<T, String> version,
      long windowMs,
      ReferenceSource references) {
    if (windowMs <= 0) {
      throw new IllegalArgumentException("monitor window must be > 0 ms, got " + windowMs);
    }
    this.statistic = statistic;
    this.version = version;
    this.windowMs = windowMs;
    this.references = references;
  }

  @Override
  public void open() throws Exception {
    super.open();
    open = new HashMap<>();
    referenceCache = new HashMap<>();
    statistic.open(getMetricGroup().addGroup("monitor", statistic.kind()));
  }

  @Override
  public void processElement(StreamRecord<T> element) throws Exception {
    T record = element.getValue();
    statistic.observe(record);
    String v = version.getKey(record);
    long eventTime = statistic.eventTime(record);
    long start = eventTime - Math.floorMod(eventTime, windowMs);
    WindowPartial partial =
        open.computeIfAbsent(v, k -> new HashMap<>())
            .computeIfAbsent(start, s -> new WindowPartial(v, s, 0, new double[statistic.size()]));
    statistic.add(record, partial.acc, reference(v));
    partial.records++;
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    flush();
    super.processWatermark(mark);
  }

  @Override
  public void processWatermarkStatus(WatermarkStatus status) throws Exception {
    flush();
    super.processWatermarkStatus(status);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
    super.prepareSnapshotPreBarrier(checkpointId);
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  private void flush() {
    if (open.isEmpty()) {
      return;
    }
    for (Map<Long, WindowPartial> windows : open.values()) {
      for (WindowPartial partial : windows.values()) {
        output.collect(new StreamRecord<>(partial, partial.windowStart));
      }
    }
    open.clear();
  }

  private MonitorReference reference(String v) {
    return referenceCache.computeIfAbsent(
        v,
        key -> {
          try {
            MonitorReference r = references.reference(key);
            return r == null ? MonitorReference.NONE : r;
          } catch (Exception e) {
            LOG.warn("No monitoring reference for model version {}: {}", key, e.toString());
            return MonitorReference.NONE;
          }
        });
  }
}
