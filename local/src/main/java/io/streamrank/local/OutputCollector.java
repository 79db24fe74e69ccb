package io.streamrank.local;

import io.streamrank.schemas.DeadLetter;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RetrainRequest;
import io.streamrank.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads what the scoring job wrote — {@code predictions}, {@code dead-letters}, {@code monitoring}
 * and {@code retrain-requests}, committed transactions only — and keeps the account: which event
 * ids came out and how often, model versions in order of appearance, processing latencies, and
 * scores to compare with labels. Runs on its own thread; the getters are safe to call from another.
 */
public final class OutputCollector implements Runnable, AutoCloseable {
  private final Topics topics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, Integer> seen = new HashMap<>();
  private final Map<String, Float> scores = new HashMap<>();
  private final Set<String> versions = new LinkedHashSet<>();
  private final Map<String, Long> servingAndShadow = new HashMap<>();
  private final Map<String, Long> firstEventTimes = new HashMap<>();
  private final List<DeadLetter> deadLetters = new ArrayList<>();
  private final List<MonitorReport> reports = new ArrayList<>();
  private final List<RetrainRequest> retrainRequests = new ArrayList<>();
  private final Map<Integer, List<String>> versionsByPartition = new HashMap<>();
  private long[] latencies = new long[1024];
  private long[] scoredTimes = new long[1024];
  private long predictions;
  private long duplicates;
  private long unknownUsers;
  private long undecodable;
  private volatile boolean running = true;
  private final boolean perEvent;

  /** A collector that keeps every event's prediction count and score. */
  public OutputCollector(String bootstrapServers, Topics topics) {
    this(bootstrapServers, topics, true);
  }

  /**
   * A collector that keeps no per-event record (no counts by event id, no scores): a benchmark's
   * own maps would live through young collections of the JVM it measures and lengthen every pause.
   */
  public static OutputCollector withoutPerEventRecords(String bootstrapServers, Topics topics) {
    return new OutputCollector(bootstrapServers, topics, false);
  }

  private OutputCollector(String bootstrapServers, Topics topics, boolean perEvent) {
    this.perEvent = perEvent;
    this.topics = topics;
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "streamrank-output-collector-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(
        List.of(
            topics.predictions().name(),
            topics.deadLetters().name(),
            topics.monitoring().name(),
            topics.retrainRequests().name()));
  }

  @Override
  public void run() {
    try {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          accept(r);
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // close() woke the poll: the loop is over.
      running = false;
    } finally {
      consumer.close();
    }
  }

  private synchronized void accept(ConsumerRecord<byte[], byte[]> r) {
    if (r.topic().equals(topics.predictions().name())) {
      var d = topics.predictions().codec().decode(r.value());
      if (!d.isOk()) {
        undecodable++;
        return;
      }
      Prediction p = d.value();
      predictions++;
      if (!p.getUserKnown()) {
        unknownUsers++;
      }
      if (perEvent) {
        count(p.getEventId());
        scores.put(p.getEventId(), p.getScore());
      }
      versions.add(p.getModelVersion());
      servingAndShadow.merge(
          p.getModelVersion() + " / " + (p.getShadowVersion() == null ? "-" : p.getShadowVersion()),
          1L,
          Long::sum);
      firstEventTimes.merge(p.getModelVersion(), p.getEventTimestamp(), Math::min);
      List<String> seq = versionsByPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>());
      if (seq.isEmpty() || !seq.get(seq.size() - 1).equals(p.getModelVersion())) {
        seq.add(p.getModelVersion());
      }
      if (predictions > latencies.length) {
        latencies = Arrays.copyOf(latencies, latencies.length * 2);
        scoredTimes = Arrays.copyOf(scoredTimes, scoredTimes.length * 2);
      }
      latencies[(int) predictions - 1] = p.getScoredTime() - p.getIngestTime();
      scoredTimes[(int) predictions - 1] = p.getScoredTime();
    } else if (r.topic().equals(topics.monitoring().name())) {
      var d = topics.monitoring().codec().decode(r.value());
      if (!d.isOk()) {
        undecodable++;
        return;
      }
      reports.add(d.value());
    } else if (r.topic().equals(topics.retrainRequests().name())) {
      var d = topics.retrainRequests().codec().decode(r.value());
      if (!d.isOk()) {
        undecodable++;
        return;
      }
      retrainRequests.add(d.value());
    } else {
      var d = topics.deadLetters().codec().decode(r.value());
      if (!d.isOk()) {
        undecodable++;
        return;
      }
      deadLetters.add(d.value());
    }
  }

  private void requirePerEvent() {
    if (!perEvent) {
      throw new IllegalStateException("this collector keeps no per-event record");
    }
  }

  private void count(String eventId) {
    if (seen.merge(eventId, 1, Integer::sum) > 1) {
      duplicates++;
    }
  }

  public synchronized long predictions() {
    return predictions;
  }

  public synchronized long deadLetterCount() {
    return deadLetters.size();
  }

  /** Outputs that could not be decoded; should always be zero. */
  public synchronized long undecodable() {
    return undecodable;
  }

  /** Predictions whose user took the out-of-vocabulary path. */
  public synchronized long unknownUserPredictions() {
    return unknownUsers;
  }

  /** Event ids that came out more than once. */
  public synchronized long duplicates() {
    requirePerEvent();
    return duplicates;
  }

  public synchronized List<DeadLetter> deadLetters() {
    return List.copyOf(deadLetters);
  }

  /** Requests read from {@code retrain-requests}, in arrival order. */
  public synchronized List<RetrainRequest> retrainRequests() {
    return List.copyOf(retrainRequests);
  }

  /**
   * A figure of the latest report of a kind that carries it (by window end), such as {@code
   * ("error", "rmse")}; NaN before there is one.
   */
  public synchronized double latestFigure(String kind, String metric) {
    MonitorReport latest = null;
    for (MonitorReport r : reports) {
      Double v = r.getMetrics().get(metric);
      if (r.getKind().equals(kind)
          && v != null
          && !v.isNaN()
          && (latest == null || r.getWindowEnd() >= latest.getWindowEnd())) {
        latest = r;
      }
    }
    return latest == null ? Double.NaN : latest.getMetrics().get(metric);
  }

  /** The largest value of a figure over the reports of a kind; NaN when none carries it. */
  public synchronized double maxFigure(String kind, String metric) {
    return reports.stream()
        .filter(r -> r.getKind().equals(kind))
        .map(r -> r.getMetrics().get(metric))
        .filter(v -> v != null && !v.isNaN())
        .mapToDouble(Double::doubleValue)
        .max()
        .orElse(Double.NaN);
  }

  /** Reports read from {@code monitoring}, in arrival order. */
  public synchronized List<MonitorReport> reports() {
    return List.copyOf(reports);
  }

  /**
   * For each predictions partition, the model versions in the order they scored its records, each
   * listed once per run (so {@code [v1, v2, v1]} means a partition went back to v1).
   */
  public synchronized Map<Integer, List<String>> versionRunsByPartition() {
    Map<Integer, List<String>> copy = new HashMap<>();
    versionsByPartition.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    return copy;
  }

  /** Model versions in the order they first appeared. */
  public synchronized List<String> versions() {
    return List.copyOf(versions);
  }

  /**
   * Predictions by serving version and shadow version, as {@code "serving / shadow"} ({@code -}
   * without a shadow trial).
   */
  public synchronized Map<String, Long> servingAndShadowCounts() {
    return Map.copyOf(servingAndShadow);
  }

  /** For each model version, the earliest event time (epoch ms) of a prediction it made. */
  public synchronized Map<String, Long> firstEventTimes() {
    return Map.copyOf(firstEventTimes);
  }

  /** How many times each event id came out as a prediction. */
  public synchronized Map<String, Integer> predictionCounts() {
    requirePerEvent();
    return Map.copyOf(seen);
  }

  /** The score each event got. */
  public synchronized Map<String, Float> scores() {
    requirePerEvent();
    return Map.copyOf(scores);
  }

  /**
   * Processing latency (ms) and scored wall time of every prediction read so far, in read order:
   * {@code [0]} latencies, {@code [1]} scored times.
   */
  public synchronized long[][] latencyTrace() {
    int n = (int) predictions;
    return new long[][] {Arrays.copyOf(latencies, n), Arrays.copyOf(scoredTimes, n)};
  }

  /** The {@code q}-quantile (0..1) of processing latency in ms, or 0 before any prediction. */
  public synchronized long latencyQuantile(double q) {
    if (predictions == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(latencies, (int) predictions);
    Arrays.sort(sorted);
    int index = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, index)];
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
  }
}
