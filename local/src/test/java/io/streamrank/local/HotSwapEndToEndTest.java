package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnx.proto.OnnxMl;
import io.streamrank.datasets.MovieLens;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.onnx.OnnxExporter;
import io.streamrank.model.registry.BundleRef;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.Manifest;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.retrain.ModelAnnouncer;
import io.streamrank.schemas.ModelUpdate;
import io.streamrank.schemas.MonitorReport;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.ScoringOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap on real components: 200,000 events stream while five versions are announced — two good,
 * one corrupt on disk, one with the wrong input signature, one that outputs NaN. Every event must
 * come out exactly once, only the good versions may serve, in announcement order and monotonically
 * per partition, and every rejection must be reported with its reason.
 */
class HotSwapEndToEndTest {
  static final Path ML100K = Path.of("..", "..", "shared", "data", "ml-100k");
  static final ModelConfig SMALL =
      ModelConfig.builder().embeddingDim(8).hiddenLayers(16).epochs(2).seed(1).build();

  private Split split;
  private ModelRegistry registry;

  @Test
  void onlyGoodVersionsServeInOrderAndEveryEventIsScoredOnce(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isRegularFile(ML100K.resolve("u.data")), "ML-100k not at " + ML100K);
    split = Splits.byTime(MovieLens.load(ML100K).ratings(), 0.5, 0.6);
    registry = new ModelRegistry(dir.toUri().toString());
    InitialModel.Trained v1 =
        InitialModel.trainAndPublish(
            split.train(), split.valid(), dir, SMALL.toBuilder().build(), quiet());
    BundleRef v2 = publish("v2-good", train(SMALL.toBuilder().seed(2).build(), false), false);
    BundleRef v3 = publish("v3-corrupt", train(SMALL.toBuilder().seed(3).build(), false), false);
    ModelUpdate corruptAnnouncement = announcement(v3);
    byte[] onnx3 = Files.readAllBytes(Path.of(v3.uri()).resolve(ModelRegistry.MODEL_FILE));
    Files.write(
        Path.of(v3.uri()).resolve(ModelRegistry.MODEL_FILE),
        Arrays.copyOf(onnx3, onnx3.length / 2));
    BundleRef v4 =
        publish("v4-signature", train(SMALL.toBuilder().numFeatures(2).build(), true), false);
    BundleRef v5 = publish("v5-nan", train(SMALL.toBuilder().seed(5).build(), false), true);
    BundleRef v6 = publish("v6-good", train(SMALL.toBuilder().seed(6).build(), false), false);
    List<ModelUpdate> announced =
        List.of(
            announcement(v2),
            corruptAnnouncement,
            announcement(v4),
            announcement(v5),
            announcement(v6));

    Topics topics = Topics.defaults();
    List<Rating> live = split.test();
    int rounds = (int) Math.ceil(200_000.0 / live.size());
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(topics, 2);
      Configuration conf = new Configuration();
      conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      // Gate behaviour has its own harness tests; here any good version must pass it.
      conf.set(ScoringOptions.GATE_MARGIN, 1.0);
      conf.set(ScoringOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
      StreamExecutionEnvironment env = LocalFlink.environment(2, false, 8081);
      KafkaScoringJob.configure(env, conf);
      KafkaScoringJob.create(conf, v1.provider()).build(env);
      JobClient job = env.executeAsync("hot swap e2e");
      try (OutputCollector out = new OutputCollector(kafka.bootstrapServers(), topics);
          ReplayProducer replay = new ReplayProducer(kafka.bootstrapServers(), topics);
          ModelAnnouncer announcer = new ModelAnnouncer(kafka.bootstrapServers(), topics)) {
        Thread reader = new Thread(out, "collector");
        reader.start();
        long total = (long) rounds * live.size();
        for (int round = 0; round < rounds; round++) {
          replay.replay(live, 0, "r" + round + "-");
          // Announce once this round is scored, so each version meets a stream still flowing.
          awaitPredictions(out, (long) (round + 1) * live.size());
          if (round < announced.size()) {
            announcer.announce(announced.get(round));
          }
        }
        awaitPredictions(out, total);
        Thread.sleep(1500);
        job.cancel().get();
        out.close();
        reader.join(10_000);

        assertThat(total).isGreaterThanOrEqualTo(200_000);
        assertThat(out.duplicates()).isZero();
        assertThat(out.predictionCounts()).hasSize((int) total);
        assertThat(out.scores().values()).allSatisfy(s -> assertThat(s).isFinite());
        List<String> good = List.of(v1.version(), "v2-good", "v6-good");
        assertThat(out.versions()).containsExactlyElementsOf(good);
        for (Map.Entry<Integer, List<String>> e : out.versionRunsByPartition().entrySet()) {
          assertThat(e.getValue()).as("partition %d", e.getKey()).isSubsetOf(good);
          List<Integer> order = e.getValue().stream().map(good::indexOf).toList();
          assertThat(order).as("partition %d version order", e.getKey()).isSorted();
          assertThat(order).doesNotHaveDuplicates();
        }
        Map<String, List<String>> rejections =
            out.reports().stream()
                .filter(r -> r.getKind().equals("rejection"))
                .collect(
                    Collectors.groupingBy(
                        MonitorReport::getModelVersion,
                        Collectors.mapping(MonitorReport::getMessage, Collectors.toList())));
        assertThat(rejections).containsOnlyKeys("v3-corrupt", "v4-signature", "v5-nan");
        assertThat(rejections.get("v3-corrupt").get(0)).contains("truncated");
        assertThat(rejections.get("v4-signature").get(0)).contains("signature");
        assertThat(rejections.get("v5-nan").get(0)).contains("NaN");
        assertThat(out.reports().stream().filter(r -> r.getKind().equals("swap")))
            .extracting(MonitorReport::getModelVersion)
            .containsOnly("v2-good", "v6-good");
      }
    }
  }

  private static void awaitPredictions(OutputCollector out, long n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (out.predictions() < n && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  private ModelUpdate announcement(BundleRef ref) throws Exception {
    return ModelAnnouncer.announcement(ref, registry.load(ref.version()).manifest(), false);
  }

  /** A trained model and its ONNX bytes; with features when asked (the wrong signature). */
  private record Trained(RankingModel model, byte[] onnx, float[][] validFeatures) {}

  private Trained train(ModelConfig cfg, boolean withFeatures) {
    float[][] trainF = withFeatures ? features(split.train().size(), cfg.numFeatures()) : null;
    float[][] validF = withFeatures ? features(split.valid().size(), cfg.numFeatures()) : null;
    RankingModel m =
        new Trainer()
            .train(split.train(), trainF, split.valid(), validF, cfg, TrainingListener.NONE);
    return new Trained(m, null, validF);
  }

  private static float[][] features(int rows, int f) {
    float[][] x = new float[rows][f];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < f; k++) {
        x[i][k] = (i * 31 + k) % 7 / 7f;
      }
    }
    return x;
  }

  private BundleRef publish(String version, Trained t, boolean poisonWithNan) throws Exception {
    Thread.sleep(5); // distinct created_at, in announcement order
    byte[] onnx = new OnnxExporter().export(t.model(), version, Map.of());
    if (poisonWithNan) {
      onnx = poisonFirstFloatInitializer(onnx);
    }
    Manifest manifest =
        Bundles.manifest(
            t.model(),
            onnx,
            version,
            null,
            Manifest.DataWindow.ofEpochSeconds(0, 1),
            Map.of(),
            split.valid(),
            t.validFeatures());
    return registry.publish(onnx, manifest);
  }

  /** Sets every value of the model's dense kernels' first float initializer to NaN. */
  private static byte[] poisonFirstFloatInitializer(byte[] onnx) throws Exception {
    OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(onnx);
    OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder();
    List<OnnxMl.TensorProto> inits = new ArrayList<>(graph.getInitializerList());
    for (int i = 0; i < inits.size(); i++) {
      OnnxMl.TensorProto t = inits.get(i);
      if (t.getDataType() == OnnxMl.TensorProto.DataType.FLOAT.getNumber()
          && t.getDimsCount() == 2) {
        long n = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
        OnnxMl.TensorProto.Builder b = t.toBuilder().clearRawData().clearFloatData();
        for (long k = 0; k < n; k++) {
          b.addFloatData(Float.NaN);
        }
        graph.setInitializer(i, b.build());
        return model.toBuilder().setGraph(graph).build().toByteArray();
      }
    }
    throw new IllegalStateException("no 2-d float initializer to poison");
  }

  private static PrintStream quiet() {
    return new PrintStream(PrintStream.nullOutputStream());
  }
}
