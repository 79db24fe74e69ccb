package io.streamrank.retrain;

import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Manifest;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Topics;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Announces registry versions on the compacted {@code model-updates} topic. Announce only after the
 * bundle is in the registry: the scoring job loads what the announcement points at.
 */
public final class ModelAnnouncer implements Announcer, AutoCloseable {
  /** Key of every announcement: compaction keeps the latest one. */
  public static final String KEY = Topics.MODEL_UPDATE_KEY;

  private final Topics topics;
  private final KafkaProducer<String, byte[]> producer;

  public ModelAnnouncer(String bootstrapServers, Topics topics) {
    this(kafkaClient(bootstrapServers), topics);
  }

  /**
   * An announcer whose producer starts from {@code kafkaClient}: {@code bootstrap.servers} and any
   * client settings the brokers need (security.protocol, sasl.mechanism, sasl.jaas.config, ...).
   */
  public ModelAnnouncer(Properties kafkaClient, Topics topics) {
    this.topics = topics;
    Properties p = new Properties();
    p.putAll(kafkaClient);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producer =
        new KafkaProducer<>(
            p,
            new StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer());
  }

  private static Properties kafkaClient(String bootstrapServers) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return p;
  }

  /** The announcement of a published bundle. */
  public static ModelUpdate announcement(BundleRef ref, Manifest manifest, boolean rollback) {
    Map<String, Double> metrics = new HashMap<>(manifest.metrics());
    return ModelUpdate.newBuilder()
        .setVersion(ref.version())
        .setBundleUri(ref.uri().toString())
        .setSha256(ref.sha256())
        .setCreatedAt(Instant.parse(manifest.createdAt()).toEpochMilli())
        .setRollback(rollback)
        .setMetrics(metrics)
        .build();
  }

  /** Sends an announcement and waits until the broker has it. */
  @Override
  public void announce(ModelUpdate update) throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topics.modelUpdates().name(), KEY, topics.modelUpdates().codec().encode(update)))
        .get(30, TimeUnit.SECONDS);
  }

  /** Sends a report to {@code monitoring} and waits until the broker has it. */
  @Override
  public void report(MonitorReport report) throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topics.monitoring().name(),
                report.getKind(),
                topics.monitoring().codec().encode(report)))
        .get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    producer.close();
  }
}
