package io.streamrank.streaming;

import io.streamrank.schemas.AvroSerialization;
import io.streamrank.schemas.DeadLetter;
import io.streamrank.schemas.DeadLetterDeserializationSchema;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.RecordValidator;
import io.streamrank.schemas.Topic;
import io.streamrank.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The scoring job wired to Kafka: reads {@code events}, writes {@code predictions} and {@code
 * dead-letters}, exactly-once by default (transactions committed on checkpoints).
 */
public final class KafkaScoringJob {
  private KafkaScoringJob() {}

  /** The job over the configured Kafka topics, serving the model the provider opens. */
  public static ScoringJob create(Configuration conf, ModelProvider model) {
    ScoringOptions.validate(conf);
    Topics topics = Topics.withPrefix(conf.get(ScoringOptions.TOPIC_PREFIX));
    String servers = conf.get(ScoringOptions.BOOTSTRAP_SERVERS);
    KafkaSource<Either<DeadLetter, Event>> source =
        KafkaSource.<Either<DeadLetter, Event>>builder()
            .setBootstrapServers(servers)
            .setTopics(topics.events().name())
            .setGroupId(conf.get(ScoringOptions.GROUP_ID))
            .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
            .setDeserializer(
                new DeadLetterDeserializationSchema<>(
                    topics.events().codec(), RecordValidator.events()))
            .setProperty("isolation.level", "read_committed")
            .build();
    return new ScoringJob(
        source,
        sink(conf, topics.predictions(), p -> Long.toString(p.getUserId()), "predictions"),
        sink(conf, topics.deadLetters(), d -> d.getSourceTopic(), "dead-letters"),
        model,
        conf.get(ScoringOptions.BATCH_SIZE),
        conf.get(ScoringOptions.FLUSH_INTERVAL).toMillis());
  }

  /** Applies the job's checkpointing settings to an environment. */
  public static void configure(StreamExecutionEnvironment env, Configuration conf) {
    env.enableCheckpointing(conf.get(ScoringOptions.CHECKPOINT_INTERVAL).toMillis());
  }

  private static <T extends SpecificRecordBase> KafkaSink<T> sink(
      Configuration conf, Topic<T> topic, Function<T, String> key, String name) {
    boolean exactlyOnce = conf.get(ScoringOptions.EXACTLY_ONCE);
    Properties producer = new Properties();
    producer.setProperty(
        "transaction.timeout.ms",
        Long.toString(conf.get(ScoringOptions.TRANSACTION_TIMEOUT).toMillis()));
    producer.setProperty("linger.ms", "5");
    var builder =
        KafkaSink.<T>builder()
            .setBootstrapServers(conf.get(ScoringOptions.BOOTSTRAP_SERVERS))
            .setKafkaProducerConfig(producer)
            .setRecordSerializer(
                KafkaRecordSerializationSchema.<T>builder()
                    .setTopic(topic.name())
                    .setKeySerializationSchema(
                        (T r) -> key.apply(r).getBytes(StandardCharsets.UTF_8))
                    .setValueSerializationSchema(new AvroSerialization<>(topic.codec()))
                    .build())
            .setDeliveryGuarantee(
                exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE);
    if (exactlyOnce) {
      builder.setTransactionalIdPrefix(
          conf.get(ScoringOptions.TRANSACTIONAL_ID_PREFIX) + "-" + name);
    }
    return builder.build();
  }
}
