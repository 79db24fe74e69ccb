package io.streamrank.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.streamrank.datasets.MovieLens;
import io.streamrank.datasets.Rating;
import io.streamrank.datasets.Split;
import io.streamrank.datasets.Splits;
import io.streamrank.model.ModelConfig;
import io.streamrank.schemas.DeadLetter;
import io.streamrank.schemas.Topics;
import io.streamrank.streaming.KafkaScoringJob;
import io.streamrank.streaming.ScoringOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on real components: KRaft broker, Flink MiniCluster at parallelism 2, ONNX
 * Runtime. 20,000 MovieLens 100k events plus 50 corrupt records go in; every one must come out
 * exactly once, as a prediction with a finite score from the published version or as a dead letter
 * with a reason.
 */
class EndToEndTest {
  static final Path ML100K = Path.of("..", "..", "shared", "data", "ml-100k");

  @Test
  void everyEventComesOutExactlyOnceAsPredictionOrDeadLetter(@TempDir Path registry)
      throws Exception {
    assumeTrue(Files.isRegularFile(ML100K.resolve("u.data")), "ML-100k not at " + ML100K);
    List<Rating> ratings = MovieLens.load(ML100K).ratings();
    Split split = Splits.byTime(ratings, 0.5, 0.6);
    ModelConfig small =
        ModelConfig.builder().embeddingDim(8).hiddenLayers(16).epochs(2).seed(1).build();
    InitialModel.Trained model =
        InitialModel.trainAndPublish(
            split.train(),
            split.valid(),
            registry,
            small,
            new PrintStream(PrintStream.nullOutputStream()));
    List<Rating> live = split.test().subList(0, 20_000);

    Topics topics = Topics.defaults();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics(topics, 2);
      Configuration conf = new Configuration();
      conf.set(ScoringOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      conf.set(ScoringOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
      StreamExecutionEnvironment env = LocalFlink.environment(2, false, 8081);
      KafkaScoringJob.configure(env, conf);
      KafkaScoringJob.create(conf, model.provider()).build(env);
      JobClient job = env.executeAsync("e2e");
      try (OutputCollector out = new OutputCollector(kafka.bootstrapServers(), topics);
          ReplayProducer replay = new ReplayProducer(kafka.bootstrapServers(), topics)) {
        Thread reader = new Thread(out, "collector");
        reader.start();
        replay.replay(live.subList(0, 10_000), 0, "ev-");
        Random rnd = new Random(3);
        for (int i = 0; i < 50; i++) {
          byte[] junk = new byte[1 + rnd.nextInt(30)];
          rnd.nextBytes(junk);
          replay.sendRawEvent("bad" + i, junk);
        }
        replay.replay(live.subList(10_000, 20_000), 0, "ev2-");
        replay.flush();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (out.predictions() + out.deadLetterCount() < 20_050 && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        // Give late duplicates, if there were any, a chance to show up.
        Thread.sleep(1500);
        job.cancel().get();
        out.close();
        reader.join(10_000);

        Map<String, Integer> counts = out.predictionCounts();
        assertThat(out.undecodable()).isZero();
        assertThat(out.duplicates()).isZero();
        assertThat(counts).hasSize(20_000);
        for (int i = 0; i < 10_000; i++) {
          assertThat(counts.get("ev-" + i)).as("ev-%d", i).isEqualTo(1);
          assertThat(counts.get("ev2-" + i)).as("ev2-%d", i).isEqualTo(1);
        }
        assertThat(out.scores().values()).allSatisfy(s -> assertThat(s).isFinite());
        // The time split's later users are new to the model: some, not all, are out of vocabulary.
        assertThat(out.unknownUserPredictions()).isBetween(1L, 19_999L);
        assertThat(out.versions()).containsExactly(model.version());
        // The monitors saw predictions and ratings through the same Kafka wiring: window reports of
        // every kind, and the error monitor joined labels.
        assertThat(out.reports())
            .extracting(r -> r.getKind())
            .contains("drift", "error", "latency");
        assertThat(out.maxFigure("error", "labelled")).isGreaterThan(0);
        assertThat(out.maxFigure("error", "rmse")).isFinite().isPositive();
        List<DeadLetter> dead = out.deadLetters();
        assertThat(dead).hasSize(50);
        assertThat(dead)
            .allSatisfy(
                d -> {
                  assertThat(d.getReason()).isNotBlank();
                  assertThat(d.getSourceTopic()).isEqualTo("events");
                  assertThat(d.getOffset()).isGreaterThanOrEqualTo(0);
                  assertThat(d.getPartition()).isBetween(0, 1);
                });
      }
    }
  }
}
