package io.streamrank.streaming.monitor;

import io.streamrank.schemas.Prediction;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * Latency of scoring: processing latency ({@code scored_time - ingest_time}, time from entering the
 * scoring operator to the score) and event-time lag ({@code scored_time - event_timestamp}, how far
 * behind the events the job is; for replayed history this is the age of the data).
 *
 * <p>Report figures: {@code predictions}, {@code processing_p50/p95/p99} and {@code
 * lag_p50/p95/p99} in milliseconds ({@link LatencyBuckets}: exact below 100 ms, about 5% above).
 * Per-record Flink metrics: histograms {@code processingLatencyMs} and {@code eventTimeLagMs} over
 * the last {@value #HISTOGRAM_SIZE} records, and the meter {@code predictionsPerSecond}.
 */
public final class ServingLatency implements WindowStatistic<Prediction> {
  private static final long serialVersionUID = 1L;

  /** The report kind. */
  public static final String KIND = "latency";

  static final int HISTOGRAM_SIZE = 10_000;

  private static final int PROCESSING = 0;
  private static final int LAG = LatencyBuckets.COUNT;
  private static final int N = 2 * LatencyBuckets.COUNT;

  private transient Histogram processingHistogram;
  private transient Histogram lagHistogram;
  private transient Meter throughput;

  @Override
  public String kind() {
    return KIND;
  }

  @Override
  public int size() {
    return N + 1;
  }

  @Override
  public long eventTime(Prediction p) {
    return p.getEventTimestamp();
  }

  @Override
  public void open(MetricGroup group) {
    processingHistogram =
        group.histogram("processingLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_SIZE));
    lagHistogram =
        group.histogram("eventTimeLagMs", new DescriptiveStatisticsHistogram(HISTOGRAM_SIZE));
    throughput = group.meter("predictionsPerSecond", new MeterView(10));
  }

  @Override
  public void observe(Prediction p) {
    if (processingHistogram != null) {
      processingHistogram.update(processing(p));
      lagHistogram.update(lag(p));
      throughput.markEvent();
    }
  }

  @Override
  public void add(Prediction p, double[] acc, MonitorReference reference) {
    acc[PROCESSING + LatencyBuckets.bucket(processing(p))]++;
    acc[LAG + LatencyBuckets.bucket(lag(p))]++;
    acc[N]++;
  }

  @Override
  public Map<String, Double> metrics(double[] acc, MonitorReference reference) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("predictions", acc[N]);
    m.put("processing_p50", LatencyBuckets.quantile(acc, PROCESSING, 0.50));
    m.put("processing_p95", LatencyBuckets.quantile(acc, PROCESSING, 0.95));
    m.put("processing_p99", LatencyBuckets.quantile(acc, PROCESSING, 0.99));
    m.put("lag_p50", LatencyBuckets.quantile(acc, LAG, 0.50));
    m.put("lag_p95", LatencyBuckets.quantile(acc, LAG, 0.95));
    m.put("lag_p99", LatencyBuckets.quantile(acc, LAG, 0.99));
    return m;
  }

  private static long processing(Prediction p) {
    return p.getScoredTime() - p.getIngestTime();
  }

  private static long lag(Prediction p) {
    return p.getScoredTime() - p.getEventTimestamp();
  }
}
