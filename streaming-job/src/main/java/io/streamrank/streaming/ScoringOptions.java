package io.streamrank.streaming;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

/** Every setting of the streaming job, with its default and what it does. */
public final class ScoringOptions {
  private ScoringOptions() {}

  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOptions.key("streamrank.kafka.bootstrap-servers")
          .stringType()
          .defaultValue("127.0.0.1:9092")
          .withDescription("Kafka bootstrap servers the job reads from and writes to.");

  public static final ConfigOption<String> TOPIC_PREFIX =
      ConfigOptions.key("streamrank.kafka.topic-prefix")
          .stringType()
          .defaultValue("")
          .withDescription("Prefix of every topic name (events, predictions, dead-letters, ...).");

  public static final ConfigOption<String> GROUP_ID =
      ConfigOptions.key("streamrank.kafka.group-id")
          .stringType()
          .defaultValue("streamrank-scoring")
          .withDescription("Kafka consumer group of the job's sources.");

  public static final ConfigOption<Boolean> EXACTLY_ONCE =
      ConfigOptions.key("streamrank.kafka.exactly-once")
          .booleanType()
          .defaultValue(true)
          .withDescription(
              "Write predictions and dead letters in Kafka transactions committed on checkpoints"
                  + " (readers use isolation.level=read_committed); false writes at-least-once.");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
      ConfigOptions.key("streamrank.kafka.transactional-id-prefix")
          .stringType()
          .defaultValue("streamrank-scoring")
          .withDescription("Prefix of the sink's transactional ids; unique per job on a cluster.");

  public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
      ConfigOptions.key("streamrank.kafka.transaction-timeout")
          .durationType()
          .defaultValue(Duration.ofMinutes(10))
          .withDescription(
              "Producer transaction timeout; must not exceed the broker's"
                  + " transaction.max.timeout.ms (15 minutes by default).");

  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("streamrank.checkpoint-interval")
          .durationType()
          .defaultValue(Duration.ofSeconds(2))
          .withDescription("Checkpoint interval; exactly-once output becomes visible on each one.");

  public static final ConfigOption<Integer> BATCH_SIZE =
      ConfigOptions.key("streamrank.scoring.batch-size")
          .intType()
          .defaultValue(256)
          .withDescription("Largest micro-batch handed to ONNX Runtime in one call.");

  public static final ConfigOption<Duration> FLUSH_INTERVAL =
      ConfigOptions.key("streamrank.scoring.flush-interval")
          .durationType()
          .defaultValue(Duration.ofMillis(20))
          .withDescription("Longest time an event waits for its micro-batch to fill.");

  public static final ConfigOption<String> REGISTRY =
      ConfigOptions.key("streamrank.model.registry")
          .stringType()
          .noDefaultValue()
          .withDescription("Model registry directory (file://, s3://, hdfs://).");

  public static final ConfigOption<String> MODEL_VERSION =
      ConfigOptions.key("streamrank.model.version")
          .stringType()
          .noDefaultValue()
          .withDescription("Version to serve at start; the registry's latest when unset.");

  public static final ConfigOption<Double> GATE_MARGIN =
      ConfigOptions.key("streamrank.model.gate-margin")
          .doubleType()
          .defaultValue(0.02)
          .withDescription(
              "A new version whose RMSE on its bundle's labelled gate rows exceeds the serving"
                  + " version's on the same rows by more than this is rejected.");

  public static final ConfigOption<String> DEVICE =
      ConfigOptions.key("streamrank.model.device")
          .stringType()
          .defaultValue("cpu")
          .withDescription("ONNX Runtime device: cpu, cuda, or auto (CUDA when it loads).");

  public static final ConfigOption<Integer> INTRA_OP_THREADS =
      ConfigOptions.key("streamrank.model.intra-op-threads")
          .intType()
          .defaultValue(1)
          .withDescription("ONNX Runtime intra-op threads per session.");

  /**
   * Checks settings that would otherwise fail late, naming the setting.
   *
   * @throws IllegalArgumentException for the first bad setting found
   */
  public static void validate(Configuration conf) {
    require(conf.get(BATCH_SIZE) > 0, BATCH_SIZE, "must be > 0, got " + conf.get(BATCH_SIZE));
    require(
        !conf.get(FLUSH_INTERVAL).isNegative() && !conf.get(FLUSH_INTERVAL).isZero(),
        FLUSH_INTERVAL,
        "must be positive, got " + conf.get(FLUSH_INTERVAL));
    require(
        conf.get(INTRA_OP_THREADS) > 0,
        INTRA_OP_THREADS,
        "must be > 0, got " + conf.get(INTRA_OP_THREADS));
    require(conf.get(GATE_MARGIN) >= 0, GATE_MARGIN, "must be >= 0, got " + conf.get(GATE_MARGIN));
    String device = conf.get(DEVICE);
    require(
        device.equals("cpu") || device.equals("cuda") || device.equals("auto"),
        DEVICE,
        "must be cpu, cuda or auto, got '" + device + "'");
    require(
        conf.get(TRANSACTION_TIMEOUT).toMillis() <= Duration.ofMinutes(15).toMillis(),
        TRANSACTION_TIMEOUT,
        "must not exceed the broker default transaction.max.timeout.ms of 15 minutes");
    require(
        !conf.get(BOOTSTRAP_SERVERS).isBlank(), BOOTSTRAP_SERVERS, "must name at least one broker");
  }

  private static void require(boolean ok, ConfigOption<?> option, String problem) {
    if (!ok) {
      throw new IllegalArgumentException("setting " + option.key() + " " + problem);
    }
  }
}
