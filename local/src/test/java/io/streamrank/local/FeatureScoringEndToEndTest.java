package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.datasets.SyntheticGenerator;
import io.streamrank.model.ModelConfig;
import io.streamrank.model.RankingModel;
import io.streamrank.model.Trainer;
import io.streamrank.model.TrainingListener;
import io.streamrank.model.features.FoldInTable;
import io.streamrank.model.features.StreamingFeatures;
import io.streamrank.model.onnx.Device;
import io.streamrank.model.onnx.OnnxScorer;
import io.streamrank.model.onnx.ScorerOptions;
import io.streamrank.model.registry.Bundles;
import io.streamrank.model.registry.ModelRegistry;
import io.streamrank.schemas.Event;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.RegistryModelProvider;
import io.streamrank.streaming.ScoringOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming features through the real job (KRaft broker, MiniCluster at parallelism 2, ONNX
 * Runtime): with every rating on the topic ahead of the events, each prediction must be the score
 * the trainer's point-in-time features give offline, so the stream attached exactly the training
 * values, and none of a request's own or later ratings.
 */
class FeatureScoringEndToEndTest {
  @Test
  void predictionsUseTheTrainersPointInTimeFeatures(@TempDir Path dir) throws Exception {
    List<Rating> all =
        new SyntheticGenerator(SyntheticGenerator.Options.defaults().withRatings(12_000))
            .generate()
            .ratings();
    Split split = Splits.byTime(all, 0.5, 0.6);
    StreamingFeatures def = StreamingFeatures.DEFAULT;
    ModelConfig cfg =
        ModelConfig.builder()
            .embeddingDim(4)
            .hiddenLayers(8)
            .epochs(1)
            .numFeatures(StreamingFeatures.COUNT)
            .build();
    RankingModel model =
        new Trainer()
            .train(
                split.train(),
                def.pointInTime(all, split.train()),
                split.valid(),
                def.pointInTime(all, split.valid()),
                cfg,
                TrainingListener.NONE);
    ModelRegistry registry = new ModelRegistry(dir.toUri().toString());
    Bundles.exportAndPublish(
        registry,
        model,
        "f1",
        null,
        split.valid(),
        def.pointInTime(all, split.valid()),
        Map.of(),
        def);
    List<Rating> live = split.test().subList(0, 2_000);
    float[] expected = offlineScores(registry.load("f1").onnx(), live, def.pointInTime(all, live));
    // The fold-in correction against a table fitted on the training window is added to each score.
    FoldInTable table = FoldInTable.fit(split.train(), 4, 2f, 5, 3f, 1L);
    Path tableFile = Files.write(dir.resolve("fold-in.bin"), table.toBytes());
    double[] corrections = def.foldInCorrections(all, live, table);
    for (int i = 0; i < live.size(); i++) {
      expected[i] += (float) corrections[i];
    }
    assertThat(Arrays.stream(corrections).filter(c -> Math.abs(c) > 0.01).count())
        .as("events with a correction")
        .isGreaterThan(live.size() / 2);

    Topics topics = Topics.defaults();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(topics, 2);
      Configuration conf = new Configuration();
      conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      conf.set(ScoringOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
      conf.set(ScoringOptions.FEATURES_ENABLED, true);
      conf.set(ScoringOptions.FEATURES_FOLD_IN_TABLE, tableFile.toUri().toString());
      // Two partitions interleave in event time; no event may count as late here.
      conf.set(ScoringOptions.FEATURES_MAX_OUT_OF_ORDERNESS, Duration.ofDays(3650));
      StreamExecutionEnvironment env = LocalFlink.environment(2, false, 8081);
      KafkaScoringJob.configure(env, conf);
      KafkaScoringJob.create(
              conf, new RegistryModelProvider(dir.toUri().toString(), "f1", Device.CPU, 1, def))
          .build(env);
      JobClient job = env.executeAsync("features e2e");
      try (OutputCollector out = new OutputCollector(kafka.bootstrapServers(), topics);
          ReplayProducer replay = new ReplayProducer(kafka.bootstrapServers(), topics)) {
        Thread reader = new Thread(out, "collector");
        reader.start();
        // The ratings topic runs ahead: every label, the live ones included, before any event.
        replay.sendHistory(all, "r-");
        PrequentialEvaluation.awaitConsumed(
            kafka.bootstrapServers(),
            conf.get(ScoringOptions.GROUP_ID) + "-ratings",
            topics.ratings().name(),
            all.size(),
            Duration.ofSeconds(120));
        for (int i = 0; i < live.size(); i++) {
          Rating r = live.get(i);
          replay.sendRawEvent(
              Long.toString(r.userId()),
              topics
                  .events()
                  .codec()
                  .encode(
                      Event.newBuilder()
                          .setEventId("ev-" + i)
                          .setUserId(r.userId())
                          .setMovieId(r.movieId())
                          .setTimestamp(r.timestamp() * 1000)
                          .build()));
        }
        replay.flush();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (out.predictions() < live.size() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        job.cancel().get();
        out.close();
        reader.join(10_000);
        assertThat(out.duplicates()).isZero();
        assertThat(out.versions()).containsExactly("f1");
        Map<String, Float> scores = out.scores();
        assertThat(scores).hasSize(live.size());
        for (int i = 0; i < live.size(); i++) {
          assertThat(scores.get("ev-" + i)).as("ev-%d", i).isCloseTo(expected[i], within(1e-4f));
        }
      }
    }
  }

  private static float[] offlineScores(byte[] onnx, List<Rating> rows, float[][] features) {
    int n = rows.size();
    int f = StreamingFeatures.COUNT;
    long[] users = new long[n];
    long[] movies = new long[n];
    float[] x = new float[n * f];
    for (int i = 0; i < n; i++) {
      users[i] = rows.get(i).userId();
      movies[i] = rows.get(i).movieId();
      System.arraycopy(features[i], 0, x, i * f, f);
    }
    float[] out = new float[n];
    try (OnnxScorer scorer = OnnxScorer.open(onnx, new ScorerOptions(Device.CPU, 1, 256))) {
      scorer.score(users, movies, x, n, out);
    }
    return out;
  }
}
