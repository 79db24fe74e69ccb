package io.streamrank.streaming;

import io.streamrank.schemas.AvroSerialization;
import io.streamrank.schemas.DeadLetter;
import io.streamrank.schemas.DeadLetterDeserializationSchema;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Prediction;
import io.streamrank.schemas.RatingEvent;
import io.streamrank.schemas.RecordValidator;
import io.streamrank.schemas.RetrainRequest;
import io.streamrank.schemas.Topic;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.monitor.ReferenceSource;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The scoring job wired to Kafka: reads {@code events}, {@code ratings}, {@code model-updates} and
 * {@code model-decisions}, writes {@code predictions}, {@code monitoring}, {@code
 * retrain-requests}, {@code dead-letters} and shadow trials' decisions to {@code model-decisions},
 * exactly-once by default (transactions committed on checkpoints). It never writes {@code
 * model-updates}.
 */
public final class KafkaScoringJob {
  private KafkaScoringJob() {}

  /**
   * Runs the job on a Flink cluster: {@code flink run -c io.streamrank.streaming.KafkaScoringJob
   * streamrank.jar --streamrank.kafka.bootstrap-servers host:9092 --streamrank.model.registry
   * s3://bucket/registry ...}; every option of {@link ScoringOptions} may be given this way.
   */
  public static void main(String[] args) throws Exception {
    Configuration conf = parseArgs(args);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    configure(env, conf);
    create(conf, RegistryModelProvider.fromConfig(conf)).execute(env);
  }

  /**
   * Parses {@code --key value} pairs into a configuration.
   *
   * @throws IllegalArgumentException naming an argument without a value or an unknown key
   */
  static Configuration parseArgs(String[] args) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String key = args[i].startsWith("--") ? args[i].substring(2) : args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("setting " + key + " has no value");
      }
      values.put(key, args[i + 1]);
    }
    return settings(values);
  }

  /**
   * A configuration of the job's settings, each key one of {@link ScoringOptions}' (what {@code
   * --set key=value} of the benchmarks passes on), each value parsed as its option's type.
   *
   * @throws IllegalArgumentException naming an unknown key and listing the known ones, or naming a
   *     value its option cannot parse
   */
  public static Configuration settings(Map<String, String> values) {
    Map<String, ConfigOption<?>> known = new TreeMap<>();
    for (var f : ScoringOptions.class.getFields()) {
      try {
        if (f.get(null) instanceof ConfigOption<?> o) {
          known.put(o.key(), o);
        }
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("cannot read option " + f.getName(), e);
      }
    }
    Configuration conf = Configuration.fromMap(values);
    for (var e : values.entrySet()) {
      ConfigOption<?> option = known.get(e.getKey());
      if (option == null) {
        throw new IllegalArgumentException(
            "unknown setting '" + e.getKey() + "', expected one of " + known.keySet());
      }
      try {
        conf.get(option);
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(
            "setting '" + e.getKey() + "': cannot use '" + e.getValue() + "': " + bad.getMessage(),
            bad);
      }
    }
    return conf;
  }

  /**
   * The job over the configured Kafka topics, serving the model the provider opens; the monitors
   * take their references from the provider when it is a {@link ReferenceSource} (the registry
   * provider is).
   */
  public static ScoringJob create(Configuration conf, ModelProvider model) {
    ScoringOptions.validate(conf);
    Topics topics = Topics.withPrefix(conf.get(ScoringOptions.TOPIC_PREFIX));
    String servers = conf.get(ScoringOptions.BOOTSTRAP_SERVERS);
    Properties client = ScoringOptions.kafkaClientProperties(conf);
    KafkaSource<Either<DeadLetter, Event>> source =
        KafkaSource.<Either<DeadLetter, Event>>builder()
            .setProperties(client)
            .setBootstrapServers(servers)
            .setTopics(topics.events().name())
            .setGroupId(conf.get(ScoringOptions.GROUP_ID))
            .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
            .setDeserializer(
                new DeadLetterDeserializationSchema<>(
                    topics.events().codec(), RecordValidator.events()))
            .setProperty("isolation.level", "read_committed")
            .build();
    // Compacted: reading them whole gives the latest announcement and the latest decision.
    String group = conf.get(ScoringOptions.GROUP_ID);
    KafkaSource<Either<DeadLetter, ModelUpdate>> updates =
        compacted(client, servers, topics.modelUpdates(), group + "-model-updates");
    KafkaSource<Either<DeadLetter, ModelUpdate>> decisions =
        compacted(client, servers, topics.modelDecisions(), group + "-model-decisions");
    KafkaSource<Either<DeadLetter, RatingEvent>> ratings =
        KafkaSource.<Either<DeadLetter, RatingEvent>>builder()
            .setProperties(client)
            .setBootstrapServers(servers)
            .setTopics(topics.ratings().name())
            .setGroupId(conf.get(ScoringOptions.GROUP_ID) + "-ratings")
            .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
            .setDeserializer(
                new DeadLetterDeserializationSchema<>(
                    topics.ratings().codec(), RecordValidator.ratings()))
            .setProperty("isolation.level", "read_committed")
            .build();
    return ScoringJob.builder()
        .events(source)
        .ratings(ratings)
        .modelUpdates(updates)
        .modelDecisionsSource(decisions)
        .predictions(sink(conf, topics.predictions(), KafkaScoringJob::userKey, "predictions"))
        .deadLetters(sink(conf, topics.deadLetters(), DeadLetter::getSourceTopic, "dead-letters"))
        .monitoring(sink(conf, topics.monitoring(), MonitorReport::getKind, "monitoring"))
        .retrainRequests(
            sink(
                conf,
                topics.retrainRequests(),
                RetrainRequest::getServingVersion,
                "retrain-requests"))
        .modelDecisions(
            sink(conf, topics.modelDecisions(), u -> Topics.MODEL_UPDATE_KEY, "model-decisions"))
        .shadowSettings(ScoringOptions.shadowSettings(conf))
        .model(model)
        .references(model instanceof ReferenceSource r ? r : ReferenceSource.none())
        .monitorSettings(ScoringOptions.monitorSettings(conf))
        .batchSize(conf.get(ScoringOptions.BATCH_SIZE))
        .flushIntervalMs(conf.get(ScoringOptions.FLUSH_INTERVAL).toMillis())
        .lowVolumeBufferTimeoutMs(conf.get(ScoringOptions.LOW_VOLUME_BUFFER_TIMEOUT).toMillis())
        .gateMargin(conf.get(ScoringOptions.GATE_MARGIN))
        .predictionsSinkOwnTask(conf.get(ScoringOptions.PREDICTIONS_SINK_OWN_TASK))
        .features(ScoringOptions.featureSettings(conf))
        .build();
  }

  /** A compacted topic of model records, read whole from the start, committed records only. */
  private static KafkaSource<Either<DeadLetter, ModelUpdate>> compacted(
      Properties client, String servers, Topic<ModelUpdate> topic, String groupId) {
    return KafkaSource.<Either<DeadLetter, ModelUpdate>>builder()
        .setProperties(client)
        .setBootstrapServers(servers)
        .setTopics(topic.name())
        .setGroupId(groupId)
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setDeserializer(new DeadLetterDeserializationSchema<>(topic.codec()))
        .setProperty("isolation.level", "read_committed")
        .build();
  }

  private static String userKey(Prediction p) {
    return Long.toString(p.getUserId());
  }

  /**
   * Applies the job's checkpointing, network buffer and object reuse settings to an environment.
   *
   * <p>Object reuse hands a record to the next chained operator without a copy (a deep copy of an
   * Avro record per chained hop otherwise). It is safe here: no operator changes a record it passed
   * on or keeps one it received from a chained operator; the operators that keep records (scoring
   * buffers events, the join and the feature state keep predictions and statistics) get them from a
   * network exchange, which always deserializes a fresh object.
   */
  public static void configure(StreamExecutionEnvironment env, Configuration conf) {
    env.enableCheckpointing(conf.get(ScoringOptions.CHECKPOINT_INTERVAL).toMillis());
    if (conf.get(ScoringOptions.CHECKPOINT_UNALIGNED)) {
      env.getCheckpointConfig().enableUnalignedCheckpoints();
    }
    env.setBufferTimeout(conf.get(ScoringOptions.BUFFER_TIMEOUT).toMillis());
    env.getConfig().enableObjectReuse();
  }

  private static <T extends SpecificRecordBase> KafkaSink<T> sink(
      Configuration conf, Topic<T> topic, SerializableFunction<T, String> key, String name) {
    boolean exactlyOnce = conf.get(ScoringOptions.EXACTLY_ONCE);
    Properties producer = ScoringOptions.kafkaClientProperties(conf);
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
