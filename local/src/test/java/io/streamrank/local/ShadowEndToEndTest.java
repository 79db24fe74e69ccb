package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.streamrank.datasets.MovieLens;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.ModelAnnouncer;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Topic;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.RegistryModelProvider;
import io.streamrank.streaming.ScoringOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shadow mode on real components (embedded broker, MiniCluster at parallelism 2, ONNX Runtime): the
 * serving version scores every rating 1.5 too high; a candidate trained on the true ratings is
 * announced for a shadow trial and promoted after the configured labelled events; then a candidate
 * 3 too low is trialled and dropped with its reason. Every event comes out exactly once, versions
 * per partition only move forward, the serving version's scores are what the stream receives while
 * a trial runs, the announcements are on {@code model-updates} and the decisions, which the job
 * writes, on {@code model-decisions} for audit.
 */
class ShadowEndToEndTest {
  private static final int LABELS = 500;
  private static final int CHUNK = 500;
  private static final ModelConfig SMALL =
      ModelConfig.builder().embeddingDim(8).hiddenLayers(16).epochs(2).seed(1).build();

  @Test
  void aBetterCandidateIsPromotedAndAWorseOneDroppedWithEveryEventScoredOnce(@TempDir Path dir)
      throws Exception {
    assumeTrue(
        Files.isRegularFile(HotSwapEndToEndTest.ML100K.resolve("u.data")),
        "ML-100k not at " + HotSwapEndToEndTest.ML100K);
    Split split = Splits.byTime(MovieLens.load(HotSwapEndToEndTest.ML100K).ratings(), 0.5, 0.6);
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    publish(registry, "v1-high", split, 1.5f);
    BundleRef good = publish(registry, "v2-good", split, 0f);
    BundleRef bad = publish(registry, "v3-low", split, -3f);

    Topics topics = Topics.defaults();
    List<Rating> live = split.test();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(topics, 2);
      Configuration conf = new Configuration();
      conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      // The swap gate compares on each bundle's own rows; the shadow trial is what is under test.
      conf.set(ScoringOptions.GATE_MARGIN, 10.0);
      conf.set(ScoringOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
      conf.set(ScoringOptions.SHADOW_LABELS, (long) LABELS);
      conf.set(ScoringOptions.SHADOW_MARGIN, 0.05);
      conf.set(ScoringOptions.SHADOW_TIMEOUT, Duration.ofMinutes(5));
      StreamExecutionEnvironment env = LocalFlink.environment(2, false, 8081);
      KafkaScoringJob.configure(env, conf);
      KafkaScoringJob.create(
              conf, new RegistryModelProvider(dir.toUri().toString(), "v1-high", Device.CPU, 1))
          .build(env);
      JobClient job = env.executeAsync("shadow e2e");
      try (OutputCollector out = new OutputCollector(kafka.bootstrapServers(), topics);
          ReplayProducer replay = new ReplayProducer(kafka.bootstrapServers(), topics);
          ModelAnnouncer announcer = new ModelAnnouncer(kafka.bootstrapServers(), topics)) {
        Thread reader = new Thread(out, "collector");
        reader.start();
        Stream stream = new Stream(replay, out, live);
        stream.send(CHUNK);

        announcer.announce(shadow(registry, good));
        stream.sendUntil(() -> out.versions().contains("v2-good"));
        announcer.announce(shadow(registry, bad));
        stream.sendUntil(() -> hasReport(out, "shadow-drop", "v3-low"));
        stream.send(CHUNK); // after the drop: served by v2-good alone
        job.cancel().get();
        out.close();
        reader.join(10_000);

        assertThat(out.duplicates()).isZero();
        assertThat(out.predictionCounts()).hasSize(stream.sent);
        assertThat(out.versions()).containsExactly("v1-high", "v2-good");
        for (Map.Entry<Integer, List<String>> e : out.versionRunsByPartition().entrySet()) {
          assertThat(e.getValue())
              .as("partition %d", e.getKey())
              .containsExactly("v1-high", "v2-good");
        }
        assertThat(out.servingAndShadowCounts().keySet())
            .contains("v1-high / v2-good", "v2-good / v3-low", "v2-good / -")
            .isSubsetOf("v1-high / -", "v1-high / v2-good", "v2-good / -", "v2-good / v3-low");

        MonitorReport promoted = onlyReport(out, "shadow-promote");
        assertThat(promoted.getModelVersion()).isEqualTo("v2-good");
        assertThat(promoted.getMetrics().get("labelled")).isEqualTo(LABELS);
        assertThat(promoted.getMetrics().get("candidate_rmse"))
            .isLessThan(promoted.getMetrics().get("serving_rmse") - 0.05);
        MonitorReport dropped = onlyReport(out, "shadow-drop");
        assertThat(dropped.getModelVersion()).isEqualTo("v3-low");
        assertThat(dropped.getMessage())
            .startsWith("dropped: not better than the serving version by the margin; RMSE")
            .contains("vs serving v2-good");
        assertThat(out.reports())
            .filteredOn(r -> r.getKind().equals("swap"))
            .extracting(MonitorReport::getModelVersion, MonitorReport::getMessage)
            .containsOnly(
                org.assertj.core.groups.Tuple.tuple(
                    "v2-good", "promoted from shadow, replaced v1-high"));

        assertThat(records(kafka.bootstrapServers(), topics.modelUpdates(), 2))
            .containsExactly("v2-good shadow", "v3-low shadow");
        assertThat(records(kafka.bootstrapServers(), topics.modelDecisions(), 2))
            .containsExactly("v2-good promote", "v3-low drop");
      }
    }
  }

  /** Replays the live ratings in chunks and waits until each chunk is out. */
  private static final class Stream {
    private final ReplayProducer replay;
    private final OutputCollector out;
    private final List<Rating> live;
    int sent;

    Stream(ReplayProducer replay, OutputCollector out, List<Rating> live) {
      this.replay = replay;
      this.out = out;
      this.live = live;
    }

    void send(int n) throws InterruptedException {
      assertThat(sent + n).as("live ratings left").isLessThanOrEqualTo(live.size());
      replay.replay(live.subList(sent, sent + n), 0, "s" + sent + "-");
      sent += n;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.predictions() < sent) {
        assertThat(System.nanoTime()).as("%d predictions", sent).isLessThan(deadline);
        Thread.sleep(20);
      }
    }

    /** Sends chunks until the condition holds; the stream keeps flowing meanwhile. */
    void sendUntil(BooleanSupplier done) throws InterruptedException {
      while (!done.getAsBoolean()) {
        send(CHUNK);
      }
    }
  }

  private static boolean hasReport(OutputCollector out, String kind, String version) {
    return out.reports().stream()
        .anyMatch(r -> r.getKind().equals(kind) && r.getModelVersion().equals(version));
  }

  private static MonitorReport onlyReport(OutputCollector out, String kind) {
    List<MonitorReport> found =
        out.reports().stream().filter(r -> r.getKind().equals(kind)).toList();
    assertThat(found).as(kind + " reports").hasSize(1);
    return found.get(0);
  }

  /** A model trained on the ratings shifted by {@code shift}, published. */
  private static BundleRef publish(ModelRegistry registry, String version, Split split, float shift)
      throws Exception {
    Thread.sleep(5); // distinct created_at, in publication order
    List<Rating> train = shifted(split.train(), shift);
    List<Rating> valid = shifted(split.valid(), shift);
    RankingModel m = new Trainer().train(train, valid, SMALL, TrainingListener.NONE);
    return Bundles.exportAndPublish(registry, m, version, null, valid, Map.of());
  }

  private static List<Rating> shifted(List<Rating> ratings, float shift) {
    return ratings.stream()
        .map(r -> new Rating(r.userId(), r.movieId(), r.timestamp(), r.rating() + shift))
        .toList();
  }

  private static ModelUpdate shadow(ModelRegistry registry, BundleRef ref) throws Exception {
    return ModelUpdate.newBuilder(
            ModelAnnouncer.announcement(ref, registry.load(ref.version()).manifest(), false))
        .setShadow(true)
        .build();
  }

  /** The first {@code n} committed records on a model topic, as "version shadow|promote|drop". */
  private static List<String> records(String servers, Topic<ModelUpdate> topic, int n) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "shadow-audit-" + topic.name());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          ModelUpdate u = topic.codec().decode(r.value()).value();
          out.add(u.getVersion() + " " + (u.getDecision() == null ? "shadow" : u.getDecision()));
        }
      }
    }
    return out;
  }
}
